/**
 * The chain of custody of the running service (real anvil, Helia, SQLite file): every upload and read of
 * an item is an entry with exact facts, the log's head is anchored with the next batch (checked on the
 * chain), another account sees nothing of it, and rows edited or deleted in the index are caught, by the
 * service and by the verification anyone can run on the document.
 */
import { expect } from "chai";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { jsonRpcChainReader } from "../../src/adapters/chain/chain-reader.ts";
import type { CustodyDocument, CustodyEntry } from "../../src/domain/custody-log.ts";
import { verifyCustodyLog } from "../../src/domain/custody-verification.ts";
import { verifyCustody } from "../../src/use-cases/verify-custody.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { ADMIN_KEY, client, fileForm, startTestService, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { PNG, SNAPSHOT } from "../fixtures/listing-snapshot.ts";

type Json = Record<string, any>;
type Api = ReturnType<typeof client>;

/** Waits for the anchor through the list, which is not an access to the item (polling GET /:id would be). */
async function waitAnchored(api: Api, id: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const page = (await (await api.get("/v1/evidence?limit=500")).json()) as Json;
    if (page.items.find((i: Json) => i.id === id)?.status === "anchored") return;
    if (Date.now() > deadline) throw new Error(`${id} not anchored after 30 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function upload(api: Api, text: string): Promise<Json> {
  const response = await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from(text), name: "e.txt" } }));
  expect(response.status).to.equal(201);
  return (await response.json()) as Json;
}

async function json(response: Response): Promise<Json> {
  return (await response.json()) as Json;
}

describe("the chain of custody of the running service", function () {
  this.timeout(120_000);
  const dir = tempDir("custody-");
  let service: TestService;
  let admin: Api;
  let alice: Api;
  let bob: Api;
  let aliceIds: { accountId: string; keyId: string };
  let item: Json;
  let later: Json;
  let anchoredDocument: CustodyDocument;
  const started = new Date().toISOString();

  before(async () => {
    service = await startTestService(join(dir.path, "data"));
    admin = client(service.url);
    const created = await json(await admin.postJson("/v1/accounts", { name: "Alice Legal" }));
    aliceIds = { accountId: created.id, keyId: created.keyId };
    alice = client(service.url, created.apiKey);
    bob = client(service.url, (await json(await admin.postJson("/v1/accounts", { name: "Bob" }))).apiKey);
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  /** What an entry of Alice's on `item` must say, `at` aside. */
  const expected = (seq: number, method: string, route: string, status: number, evidenceId = item.id): Omit<CustodyEntry, "at"> => ({
    seq,
    evidenceId,
    ...aliceIds,
    method,
    route,
    client: "127.0.0.1",
    status,
  });
  const withoutAt = ({ at, ...entry }: CustodyEntry) => {
    expect(at >= started && at <= new Date().toISOString(), at).to.equal(true);
    return entry;
  };

  it("records the upload and every read, with the account, key, route, client and outcome; another account sees nothing", async () => {
    item = await upload(alice, "the listing, as it was");
    await waitAnchored(alice, item.id);
    expect((await alice.get(`/v1/evidence/${item.id}`, { "x-forwarded-for": "203.0.113.7" })).status).to.equal(200);
    expect((await alice.get(`/v1/evidence/${item.id}/receipt`)).status).to.equal(200);
    const content = await alice.get(`/v1/evidence/${item.id}/content`);
    expect(Buffer.from(await content.arrayBuffer()).toString()).to.equal("the listing, as it was");
    expect((await alice.get(`/v1/evidence/${item.id}/content`, { "if-none-match": `"${item.cid}"` })).status).to.equal(304);
    expect((await alice.get(`/v1/evidence/${item.id}/certificate.pdf`)).status).to.equal(200);
    const bundle = await alice.get(`/v1/evidence/${item.id}/bundle`);
    expect((await bundle.arrayBuffer()).byteLength).to.be.greaterThan(1000);

    for (const path of [`/v1/evidence/${item.id}`, `/v1/evidence/${item.id}/custody`]) {
      const refused = await bob.get(path);
      const body = await json(refused);
      expect([refused.status, body.code]).to.deep.equal([404, "EVIDENCE_NOT_FOUND"]);
      expect(body).not.to.have.property("entries");
    }

    const response = await alice.get(`/v1/evidence/${item.id}/custody`);
    const document = (await response.json()) as CustodyDocument;
    expect(response.status).to.equal(200);
    expect(document.entries.map((l) => withoutAt(l.entry!))).to.deep.equal([
      expected(1, "POST", "/v1/evidence", 201),
      expected(2, "GET", "/v1/evidence/:id", 200),
      expected(3, "GET", "/v1/evidence/:id/receipt", 200),
      expected(4, "GET", "/v1/evidence/:id/content", 200),
      expected(5, "GET", "/v1/evidence/:id/content", 304),
      expected(6, "GET", "/v1/evidence/:id/certificate.pdf", 200),
      expected(7, "GET", "/v1/evidence/:id/bundle", 200),
    ]);
    // The upload was anchored with the item's own batch; the reads wait for the next one.
    expect(document.heads.map((h) => h.seq)).to.deep.equal([1]);
    expect(document.entries.map((l) => l.anchoredBy)).to.deep.equal([1, null, null, null, null, null, null]);
    expect(verifyCustodyLog(document)).to.deep.include({ ok: true, problems: [] });
  });

  it("anchors the head with the next batch, on the chain, and shows the viewing of the log and other items' entries by digest only", async () => {
    later = await upload(alice, "a second item, from another case");
    await waitAnchored(alice, later.id);
    anchoredDocument = (await json(await alice.get(`/v1/evidence/${item.id}/custody`))) as unknown as CustodyDocument;
    const [viewed, stored] = anchoredDocument.entries.slice(7);
    expect(withoutAt(viewed!.entry!)).to.deep.equal(expected(8, "GET", "/v1/evidence/:id/custody", 200));
    expect(stored).to.have.keys("seq", "prev", "hash", "entrySha256"); // the second item's upload: its digest only
    expect(stored!.seq).to.equal(9);
    expect(anchoredDocument.heads.map((h) => h.seq)).to.deep.equal([1, 9]);
    expect(anchoredDocument.entries.filter((l) => l.entry).map((l) => l.anchoredBy)).to.deep.equal([1, 9, 9, 9, 9, 9, 9, 9]);

    const head = anchoredDocument.heads[1]!;
    const laterRecord = (await json(await alice.get(`/v1/evidence/${later.id}`))) as Json;
    expect([head.root, head.anchor.registry]).to.deep.equal([laterRecord.anchor.root, service.chain.deployment.address]); // in the second item's batch
    const reader = jsonRpcChainReader(service.chain.rpcUrl);
    try {
      expect(await reader.anchorOf(head.anchor.registry, head.root)).to.deep.equal({
        timestamp: head.anchor.timestamp,
        blockNumber: head.anchor.blockNumber,
      });
      const verification = await verifyCustody(anchoredDocument, reader);
      expect(verification.problems).to.deep.equal([]);
      expect(verification.chainChecks.map((c) => [c.seq, c.status])).to.deep.equal([
        [1, "pass"],
        [9, "pass"],
      ]);
    } finally {
      reader.close();
    }
    // The item's receipt in that batch still verifies as any receipt does.
    const receipt = await json(await alice.get(`/v1/evidence/${later.id}/receipt`));
    await verifyIndependently(receipt as never, Buffer.from("a second item, from another case"), service.chain.rpcUrl);
  });

  it("gives admins the whole log, every entry shown, and its viewing is logged; a member may not read it", async () => {
    const member = await alice.get("/v1/custody");
    expect([member.status, (await json(member)).code]).to.deep.equal([403, "FORBIDDEN"]);
    const page = await json(await admin.get("/v1/custody?limit=5"));
    expect(page.entries.map((l: Json) => l.seq)).to.deep.equal([1, 2, 3, 4, 5]);
    expect(page.nextCursor).to.equal("5");
    const rest = await json(await admin.get("/v1/custody?after=5&limit=1000"));
    expect(rest.entries.map((l: Json) => l.seq)).to.deep.equal([6, 7, 8, 9, 10, 11, 12, 13]);
    expect(rest.nextCursor).to.equal(null);
    expect(rest.entries.every((l: Json) => l.entry)).to.equal(true);
    expect(verifyCustodyLog(rest)).to.deep.include({ ok: true, problems: [] });
    const viewing = rest.entries.at(-1).entry; // the first page's viewing
    expect(viewing).to.deep.include({ seq: 13, method: "GET", route: "/v1/custody", status: 200 });
    expect(viewing).not.to.have.property("evidenceId");
  });

  it("records a listing snapshot and its screenshot, stored together, each with the upload that stored it", async () => {
    const form = fileForm({ snapshot: JSON.stringify(SNAPSHOT) }, { screenshot: { bytes: PNG, name: "s.png", type: "image/png" } });
    const created = await json(await alice.postForm("/v1/evidence/listing-snapshots", form));
    for (const [seq, id] of [
      [15, created.id],
      [16, created.related[0].id],
    ] as const) {
      const document = (await json(await alice.get(`/v1/evidence/${id}/custody`))) as unknown as CustodyDocument;
      const shown = document.entries.filter((l) => l.entry).map((l) => withoutAt(l.entry!));
      expect(shown).to.deep.equal([expected(seq, "POST", "/v1/evidence/listing-snapshots", 201, id)]);
    }
  });

  describe("rows changed behind the service's back", () => {
    let db: DatabaseSync;
    before(() => {
      db = new DatabaseSync(join(dir.path, "data", "index.sqlite"));
      db.exec("PRAGMA busy_timeout = 5000");
    });
    after(() => db?.close());

    async function expectRefused(reason: RegExp) {
      const response = await alice.get(`/v1/evidence/${item.id}/custody`);
      const body = await json(response);
      expect([response.status, body.code], JSON.stringify(body)).to.deep.equal([500, "CUSTODY_INTEGRITY"]);
      expect(body.detail).to.match(reason);
    }

    it("refuses an UPDATE or DELETE of the log outright", () => {
      expect(() => db.prepare("UPDATE custody_log SET entry_json = entry_json WHERE seq = 4").run()).to.throw(/append-only/);
      expect(() => db.prepare("DELETE FROM custody_log WHERE seq = 4").run()).to.throw(/append-only/);
    });

    it("an edited row: refused by the service (the failure itself logged), and failed by the verification", async () => {
      db.exec("DROP TRIGGER custody_log_no_update");
      const original = (db.prepare("SELECT entry_json FROM custody_log WHERE seq = 4").get() as { entry_json: string }).entry_json;
      const edited = original.replace('"status":200', '"status":404');
      db.prepare("UPDATE custody_log SET entry_json = ? WHERE seq = 4").run(edited);
      await expectRefused(/entry 4: its hash is not SHA-256\(prev ‖ entrySha256\)/);

      const tampered = structuredClone(anchoredDocument);
      tampered.entries[3]!.entry = JSON.parse(edited);
      expect(verifyCustodyLog(tampered).problems).to.deep.equal(["entry 4: its content does not hash to its entrySha256"]);

      db.prepare("UPDATE custody_log SET entry_json = ? WHERE seq = 4").run(original);
      const restored = (await json(await alice.get(`/v1/evidence/${item.id}/custody`))) as unknown as CustodyDocument;
      const failed = restored.entries.find((l) => l.entry?.status === 500)!.entry!;
      expect(withoutAt(failed)).to.deep.equal({
        ...expected(failed.seq, "GET", "/v1/evidence/:id/custody", 500),
        code: "CUSTODY_INTEGRITY",
      });
    });

    it("a deleted row: refused by the service, and failed by the verification", async () => {
      db.exec("DROP TRIGGER custody_log_no_delete");
      db.prepare("DELETE FROM custody_log WHERE seq = 3").run();
      await expectRefused(/1 of the entries 1–9 are missing/);

      const tampered = structuredClone(anchoredDocument);
      tampered.entries.splice(2, 1);
      expect(verifyCustodyLog(tampered).problems).to.deep.equal([
        "entry 2: said to be anchored by head 9, but no head covers it",
        "entries 4–9: not tied to the log's start or to an anchored head, so an entry before them may be missing",
      ]);
    });
  });

  it("behind a trusted proxy (TRUST_PROXY=true), records the client address the proxy forwarded", async () => {
    const proxied = await startTestService(join(dir.path, "proxied"), { TRUST_PROXY: "true" });
    try {
      const form = fileForm({}, { file: { bytes: Buffer.from("via a proxy"), name: "p.txt" } });
      const response = await fetch(`${proxied.url}/v1/evidence`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "x-forwarded-for": "203.0.113.7" },
        body: form,
      });
      const created = await json(response);
      const document = await json(await client(proxied.url).get(`/v1/evidence/${created.id}/custody`));
      expect(document.entries[0].entry).to.include({ seq: 1, method: "POST", client: "203.0.113.7", status: 201 });
    } finally {
      await proxied.stop();
    }
  });
});
