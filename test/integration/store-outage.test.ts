/**
 * The content store stops answering (a Kubo node frozen, as with SIGSTOP): every call that needs it ends
 * within STORE_TIMEOUT_MS with 503 STORE_UNAVAILABLE and Retry-After, nothing is committed, /readyz names
 * the store, and what does not need the store (records, receipts) is still served. Certificates are kept
 * in the store once made, so they need it too.
 */
import { expect } from "chai";
import { join } from "node:path";
import { startFrozenServer } from "../helpers/frozen-server.ts";
import { client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { PNG, SNAPSHOT } from "../fixtures/listing-snapshot.ts";

type Json = Record<string, any>;

describe("a content store that stops answering", function () {
  this.timeout(60_000);
  const dir = tempDir("store-outage-");
  let frozen: Awaited<ReturnType<typeof startFrozenServer>>;
  let service: TestService;
  let anchoredId: string;

  before(async () => {
    // An item stored and anchored while the (embedded) store worked...
    const first = await startTestService(join(dir.path, "data"));
    const api = client(first.url);
    const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: PNG, name: "l.png" } }))).json()) as Json;
    anchoredId = (await waitForAnchored(api, up.id)).id;
    expect((await api.get(`/v1/evidence/${anchoredId}/certificate.pdf`)).status).to.equal(200); // made and stored
    await first.stop();
    // ...then the same index on a store that accepts connections and never answers.
    frozen = await startFrozenServer();
    service = await startTestService(join(dir.path, "data"), { IPFS_API_URL: frozen.url, STORE_TIMEOUT_MS: "1000" });
  });
  after(async () => {
    await service?.stop();
    await frozen?.close();
    dir.remove();
  });

  async function expectStoreUnavailable(response: Response, started: number) {
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).to.equal(503);
    expect(body.code).to.equal("STORE_UNAVAILABLE");
    expect(body.detail).to.match(/^The content store is unavailable: no answer within 1000 ms while /);
    expect(response.headers.get("retry-after")).to.equal("30");
    expect(Date.now() - started, "answered within the deadline, not when the client gave up").to.be.below(5000);
  }

  it("answers an upload 503 STORE_UNAVAILABLE within the deadline, and commits nothing", async () => {
    const api = client(service.url);
    const started = Date.now();
    await expectStoreUnavailable(await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: PNG, name: "x.png" } })), started);
    const list = (await (await api.get("/v1/evidence")).json()) as Json;
    expect(list.items.map((i: Json) => i.id)).to.deep.equal([anchoredId]);
    expect(frozen.connections()).to.be.greaterThan(0); // it did try the store
  });

  it("answers a listing snapshot 503 too", async () => {
    const started = Date.now();
    await expectStoreUnavailable(await client(service.url).postJson("/v1/evidence/listing-snapshots", SNAPSHOT), started);
  });

  it("answers content, bundles and the stored certificate 503, and still serves the record and the receipt", async () => {
    const api = client(service.url);
    for (const path of ["content", "bundle", "certificate.pdf"]) {
      const started = Date.now();
      await expectStoreUnavailable(await api.get(`/v1/evidence/${anchoredId}/${path}`), started);
    }
    expect((await api.get(`/v1/evidence/${anchoredId}`)).status).to.equal(200);
    expect((await api.get(`/v1/evidence/${anchoredId}/receipt`)).status).to.equal(200);
  });

  it("says on /readyz that the store is the part that is down", async () => {
    const response = await client(service.url).get("/readyz");
    const body = (await response.json()) as Json;
    expect(response.status).to.equal(503);
    expect(body.unavailable).to.deep.equal(["ipfs"]);
    expect(body.checks.ipfs.error).to.equal("The content store is unavailable: no answer within 3000 ms while checking the store");
  });
});
