import { expect } from "chai";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { releaseDueContent, requestRelease, RELEASE_DELAY_MS } from "../../src/use-cases/release-content.ts";

describe("releasing the content of refused uploads", () => {
  const t0 = new Date("2026-11-27T10:00:00.000Z");
  const at = (ms: number) => () => new Date(t0.getTime() + ms);

  async function setup() {
    const index = await openSqliteIndex(":memory:");
    await index.accounts.create({ id: "acc_a", name: "a", role: "rights-holder", createdAt: t0.toISOString() });
    const unpinned: string[] = [];
    const store = { unpin: async (cid: string) => void unpinned.push(cid) };
    return { index, unpinned, deps: (now: () => Date) => ({ releases: index.releases, evidence: index.evidence, store, now }) };
  }

  async function insertRecord(index: Awaited<ReturnType<typeof setup>>["index"], cid: string) {
    const sha256 = sha256Hex(cid);
    const metadata = { id: "ev_1", kind: "document" as const, sha256, size: 1, mediaType: "text/plain", cid, receivedAt: t0.toISOString() };
    await index.evidence.insert([
      {
        id: "ev_1",
        accountId: "acc_a",
        kind: "document",
        sha256,
        size: 1,
        mediaType: "text/plain",
        cid,
        metadata,
        metadataSha256: sha256,
        receivedAt: t0.toISOString(),
      },
    ]);
  }

  it("unpins a refused upload's content only once the delay has passed, then forgets it", async () => {
    const { unpinned, deps } = await setup();
    await requestRelease(deps(at(0)), ["bafyrefused", "bafyrefused"]);
    expect(await releaseDueContent(deps(at(RELEASE_DELAY_MS - 1)))).to.deep.equal([]);
    expect(await releaseDueContent(deps(at(RELEASE_DELAY_MS + 1)))).to.deep.equal(["bafyrefused"]);
    expect(unpinned).to.deep.equal(["bafyrefused"]);
    expect(await releaseDueContent(deps(at(2 * RELEASE_DELAY_MS)))).to.deep.equal([]); // done once
  });

  it("never unpins content a record uses: the same bytes accepted in another request", async () => {
    const { index, unpinned, deps } = await setup();
    await requestRelease(deps(at(0)), ["bafyshared"]);
    await insertRecord(index, "bafyshared"); // committed after the refusal, within the delay
    expect(await releaseDueContent(deps(at(RELEASE_DELAY_MS + 1)))).to.deep.equal([]);
    expect(unpinned).to.deep.equal([]);
    expect(await index.releases.due(at(3 * RELEASE_DELAY_MS)().toISOString(), 10)).to.deep.equal([]); // forgotten
  });

  it("restarts the wait when the same content is refused again", async () => {
    const { deps } = await setup();
    await requestRelease(deps(at(0)), ["bafyagain"]);
    await requestRelease(deps(at(RELEASE_DELAY_MS - 1000)), ["bafyagain"]);
    expect(await releaseDueContent(deps(at(RELEASE_DELAY_MS + 1)))).to.deep.equal([]);
    expect(await releaseDueContent(deps(at(2 * RELEASE_DELAY_MS)))).to.deep.equal(["bafyagain"]);
  });
});
