/**
 * Rows edited in the index file behind the service's back are not served as truth: the record is
 * checked as a verifier would check it (metadata hash, metadata against the row, leaf, proof to the
 * root, the anchor against the chain, the content against its CID) before its content, receipt,
 * certificate or bundle is served.
 */
import { expect } from "chai";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

describe("an index edited behind the service's back", function () {
  this.timeout(60_000);
  const dir = tempDir("tamper-");
  let service: TestService;
  let api: ReturnType<typeof client>;
  let db: DatabaseSync;

  before(async () => {
    service = await startTestService(dir.path);
    api = client(service.url);
    db = new DatabaseSync(join(dir.path, "index.sqlite"));
    db.exec("PRAGMA busy_timeout = 5000");
  });
  after(async () => {
    db?.close();
    await service?.stop();
    dir.remove();
  });

  async function anchoredItem(text: string): Promise<Json> {
    const up = (await (
      await api.postForm(
        "/v1/evidence",
        fileForm({ sourceUrl: "https://marketplace.example/item/1" }, { file: { bytes: Buffer.from(text), name: "e.txt" } }),
      )
    ).json()) as Json;
    return waitForAnchored(api, up.id);
  }

  function row(id: string): Record<string, any> {
    return db.prepare("SELECT * FROM evidence WHERE id = ?").get(id) as Record<string, any>;
  }

  async function expectRefused(path: string, reason: RegExp) {
    const response = await api.get(path);
    const body = (await response.json()) as Json;
    expect(response.status, `${path}: ${JSON.stringify(body)}`).to.equal(500);
    expect(body.code).to.equal("RECORD_INTEGRITY");
    expect(body.detail).to.match(reason);
  }

  it("another item's CID, hash and size put in a row: its content is refused, not the other item's bytes served", async () => {
    const a = await anchoredItem("item A: the evidence of one case");
    const b = await anchoredItem("item B: a longer text, from another case altogether");
    db.prepare("UPDATE evidence SET cid = ?, sha256 = ?, size = ? WHERE id = ?").run(b.cid, b.sha256, b.size, a.id);
    await expectRefused(`/v1/evidence/${a.id}/content`, /its metadata's sha256, size, cid differ from the record's/);
    for (const doc of ["receipt", "certificate.pdf", "bundle"])
      await expectRefused(`/v1/evidence/${a.id}/${doc}`, /differ from the record's/);
    expect((await api.get(`/v1/evidence/${b.id}/content`)).status).to.equal(200); // the other item is untouched
  });

  it("a changed claim in the metadata: receipt, certificate and bundle refused", async () => {
    const a = await anchoredItem("item C");
    const metadata = JSON.parse(row(a.id).metadata_json);
    db.prepare("UPDATE evidence SET metadata_json = ? WHERE id = ?").run(
      JSON.stringify({ ...metadata, sourceUrl: "https://elsewhere.example/" }),
      a.id,
    );
    for (const doc of ["receipt", "certificate.pdf", "bundle", "content"]) {
      await expectRefused(`/v1/evidence/${a.id}/${doc}`, /its metadata does not hash to its metadata SHA-256/);
    }
  });

  it("a changed leaf or proof: refused", async () => {
    const a = await anchoredItem("item D");
    const leaf = JSON.parse(row(a.id).leaf_json) as string[];
    db.prepare("UPDATE evidence SET leaf_json = ? WHERE id = ?").run(JSON.stringify([leaf[0], "0x" + "00".repeat(32)]), a.id);
    await expectRefused(`/v1/evidence/${a.id}/receipt`, /its Merkle leaf is not \[content SHA-256, metadata SHA-256\]/);
    db.prepare("UPDATE evidence SET leaf_json = ?, proof_json = ? WHERE id = ?").run(
      JSON.stringify(leaf),
      JSON.stringify(["0x" + "11".repeat(32)]),
      a.id,
    );
    await expectRefused(`/v1/evidence/${a.id}/receipt`, /its Merkle proof does not lead to the batch root/);
  });

  it("a changed anchor time: refused, because the chain says otherwise (even after the receipt was served once)", async () => {
    const a = await anchoredItem("item E");
    expect((await api.get(`/v1/evidence/${a.id}/receipt`)).status).to.equal(200);
    db.prepare("UPDATE anchors SET timestamp = timestamp - 86400 WHERE batch_id = ?").run(row(a.id).batch_id);
    await expectRefused(
      `/v1/evidence/${a.id}/receipt`,
      /the registry anchored root 0x[0-9a-f]{64} at \d+ in block \d+; the index says \d+, block \d+/,
    );
    const line = service
      .logLines()
      .find((l) => l.msg === "RECORD INTEGRITY: a stored anchor disagrees with the chain" && l.evidence === a.id);
    expect(line?.level).to.equal(50);
  });
});
