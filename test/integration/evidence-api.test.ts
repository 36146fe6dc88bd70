/**
 * The evidence service end to end on its embedded defaults: real anvil, real Helia block store, real
 * SQLite file. What a rights-holder does with curl, and what a court's expert checks afterwards.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { fileFacts } from "../../src/domain/content-id.ts";
import { findBlockFile } from "../helpers/blocks.ts";
import { verifyIndependently } from "../helpers/independent-verifier.ts";
import { ADMIN_KEY, client, fileForm, startTestService, waitForAnchored, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { PNG, SNAPSHOT } from "../fixtures/listing-snapshot.ts";

type Json = Record<string, any>;

describe("evidence service (embedded chain, IPFS store and index)", function () {
  this.timeout(60_000);
  const dir = tempDir("service-");
  let service: TestService;
  let api: ReturnType<typeof client>;

  before(async () => {
    service = await startTestService(dir.path);
    api = client(service.url);
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  describe("health", () => {
    it("answers /healthz, and /readyz with every part reachable", async () => {
      expect((await api.get("/healthz")).status).to.equal(200);
      const ready = await api.get("/readyz");
      const body = (await ready.json()) as Json;
      expect(ready.status, JSON.stringify(body)).to.equal(200);
      expect(body.checks).to.deep.equal({ chain: { ok: true }, ipfs: { ok: true }, index: { ok: true }, anchoring: { ok: true } });
      expect(body.chain.chainId).to.equal(31337);
    });

    it("listens on 127.0.0.1 by default", () => {
      expect(new URL(service.url).hostname).to.equal("127.0.0.1");
    });
  });

  describe("a screenshot, from upload to an independently verified receipt", () => {
    let created: Json;

    it("answers 201 with the hash, size, sniffed type, CID and status pending", async () => {
      const form = fileForm(
        { kind: "screenshot", sourceUrl: SNAPSHOT.url, capturedAt: "2026-11-20T08:30:00Z", caseRef: "CASE-1" },
        {
          file: { bytes: PNG, name: "listing.png", type: "application/pdf" }, // a wrong claim: recorded, not trusted
        },
      );
      const response = await api.postForm("/v1/evidence", form);
      created = (await response.json()) as Json;
      expect(response.status, JSON.stringify(created)).to.equal(201);
      expect(created).to.include({ kind: "screenshot", status: "pending", size: PNG.length, mediaType: "image/png" });
      expect(created.sha256).to.equal((await import("node:crypto")).createHash("sha256").update(PNG).digest("hex"));
      expect(created.cid).to.match(/^bafkrei/);
      expect(created.metadata).to.include({ claimedMediaType: "application/pdf", fileName: "listing.png", caseRef: "CASE-1" });
      expect(response.headers.get("location")).to.equal(`/v1/evidence/${created.id}`);
      expect(created.links.receipt).to.equal(`/v1/evidence/${created.id}/receipt`);
    });

    it("answers 409 EVIDENCE_NOT_ANCHORED for the receipt while pending, then anchors it", async () => {
      const early = await api.get(`/v1/evidence/${created.id}/receipt`);
      if (early.status !== 200) {
        expect(early.status).to.equal(409);
        expect(((await early.json()) as Json).error.code).to.equal("EVIDENCE_NOT_ANCHORED");
      }
      const anchored = await waitForAnchored(api, created.id);
      expect(anchored.status).to.equal("anchored");
      expect(anchored.anchor).to.include({ chainId: 31337, registry: service.chain.deployment.address });
    });

    it("gives a receipt that an independent verifier accepts against the chain", async () => {
      const receipt = (await (await api.get(`/v1/evidence/${created.id}/receipt`)).json()) as Json;
      expect(receipt.version).to.equal("evidence-receipt/v2");
      expect(receipt.anchor.registryVersion).to.equal("2");
      expect(receipt.timestamps).to.deep.equal([]); // no TSA configured
      expect(receipt.timestampsPending).to.deep.equal([]);
      const proven = await verifyIndependently(receipt, PNG, service.chain.rpcUrl);
      expect(proven.timestamp).to.equal(receipt.anchor.timestamp);
      expect(proven.registryVersion).to.equal("2");
      const receivedAt = Date.parse(receipt.metadata.receivedAt) / 1000;
      expect(proven.timestamp).to.be.within(Math.floor(receivedAt) - 1, receivedAt + 60);
    });

    it("and a verifier refuses the same receipt for a file with one byte changed", async () => {
      const receipt = (await (await api.get(`/v1/evidence/${created.id}/receipt`)).json()) as Json;
      const altered = Buffer.from(PNG);
      altered[altered.length - 1]! ^= 1;
      let error: unknown;
      await verifyIndependently(receipt, altered, service.chain.rpcUrl).catch((e) => (error = e));
      expect(String(error)).to.match(/sha256 does not match/);
    });

    it("serves the content back with its type, ETag = CID, and as a download", async () => {
      const response = await api.get(`/v1/evidence/${created.id}/content`);
      expect(response.status).to.equal(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).to.equal(true);
      expect(response.headers.get("content-type")).to.equal("image/png");
      expect(response.headers.get("etag")).to.equal(`"${created.cid}"`);
      expect(response.headers.get("content-disposition")).to.equal('attachment; filename="listing.png"');
      expect(response.headers.get("x-content-sha256")).to.equal(created.sha256);
      const again = await api.get(`/v1/evidence/${created.id}/content`, { "if-none-match": `"${created.cid}"` });
      expect(again.status).to.equal(304);
    });
  });

  it("names a download in any script (RFC 6266 filename*), and in ASCII from its id for clients that read only filename", async () => {
    const name = "证据 8842 «原图».png";
    const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: randomBytes(64), name } }))).json()) as Json;
    const response = await api.get(`/v1/evidence/${up.id}/content`);
    expect(response.status).to.equal(200);
    expect(response.headers.get("content-disposition")).to.equal(
      `attachment; filename="${up.id}.png"; filename*=UTF-8''${encodeURIComponent(name).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`,
    );
    await response.arrayBuffer();
  });

  describe("listing snapshots", () => {
    it("stores a JSON snapshot as canonical JSON, so the same snapshot always has the same hash", async () => {
      const first = (await (await api.postJson("/v1/evidence/listing-snapshots", { ...SNAPSHOT, caseRef: "CASE-2" })).json()) as Json;
      const reordered = Object.fromEntries(Object.entries(SNAPSHOT).reverse());
      const second = (await (await api.postJson("/v1/evidence/listing-snapshots", reordered)).json()) as Json;
      expect(first).to.include({ kind: "listing-snapshot", mediaType: "application/json", status: "pending" });
      expect(first.metadata).to.include({ sourceUrl: SNAPSHOT.url, capturedAt: SNAPSHOT.capturedAt, caseRef: "CASE-2" });
      expect(second.sha256).to.equal(first.sha256);
      expect(second.cid).to.equal(first.cid);
      expect(second.id).to.not.equal(first.id);

      const content = await (await api.get(`/v1/evidence/${first.id}/content`)).text();
      expect(JSON.parse(content)).to.deep.equal(SNAPSHOT);
      expect(content.startsWith('{"attributes":{"condition":"new","quantity":12},"capturedAt"')).to.equal(true);

      await waitForAnchored(api, first.id);
      const receipt = (await (await api.get(`/v1/evidence/${first.id}/receipt`)).json()) as Json;
      await verifyIndependently(receipt, Buffer.from(content), service.chain.rpcUrl);
    });

    it("takes a snapshot with its screenshot as two linked items, both anchored", async () => {
      const form = fileForm(
        { snapshot: JSON.stringify(SNAPSHOT), caseRef: "CASE-3" },
        { screenshot: { bytes: PNG, name: "shot.png", type: "image/png" } },
      );
      const response = await api.postForm("/v1/evidence/listing-snapshots", form);
      const body = (await response.json()) as Json;
      expect(response.status, JSON.stringify(body)).to.equal(201);
      expect(body.related).to.have.length(1);
      const shot = body.related[0];
      expect(shot).to.include({ kind: "screenshot", mediaType: "image/png" });
      expect(shot.metadata).to.include({ relatedTo: body.id, sourceUrl: SNAPSHOT.url, caseRef: "CASE-3" });
      const [a, b] = [await waitForAnchored(api, body.id), await waitForAnchored(api, shot.id)];
      expect([a.status, b.status]).to.deep.equal(["anchored", "anchored"]);
      const receipt = (await (await api.get(`/v1/evidence/${shot.id}/receipt`)).json()) as Json;
      await verifyIndependently(receipt, PNG, service.chain.rpcUrl);
    });
  });

  describe("the same bytes twice", () => {
    it("gives two records sharing one stored copy, both found by sha256", async () => {
      const bytes = randomBytes(300_000); // over one 256 KiB chunk: a DAG, not a single block
      const blocksBefore = countFiles(join(dir.path, "ipfs"));
      const a = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "a.bin" } }))).json()) as Json;
      const blocksAfterFirst = countFiles(join(dir.path, "ipfs"));
      const b = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "b.bin" } }))).json()) as Json;
      expect(a.id).to.not.equal(b.id);
      expect(a.cid).to.equal(b.cid);
      expect(a.cid).to.match(/^bafybei/);
      expect(blocksAfterFirst - blocksBefore).to.equal(3); // two leaves and their parent
      expect(countFiles(join(dir.path, "ipfs"))).to.equal(blocksAfterFirst);
      const found = (await (await api.get(`/v1/evidence?sha256=${a.sha256.toUpperCase()}`)).json()) as Json;
      expect(found.items.map((i: Json) => i.id)).to.deep.equal([a.id, b.id]);
    });
  });

  describe("accounts", () => {
    it("lets the admin create an account whose key sees only its own evidence (others' ids are 404)", async () => {
      const created = await api.postJson("/v1/accounts", { name: "Brand Co. legal" });
      const account = (await created.json()) as Json;
      expect(created.status).to.equal(201);
      expect(account.apiKey).to.match(/^eak_/);
      const brand = client(service.url, account.apiKey);
      const upload = (await (
        await brand.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from("brand evidence"), name: "e.txt" } }))
      ).json()) as Json;

      expect((await brand.get(`/v1/evidence/${upload.id}`)).status).to.equal(200);
      expect((await api.get(`/v1/evidence/${upload.id}`)).status).to.equal(404);
      expect((await api.get(`/v1/evidence/${upload.id}/content`)).status).to.equal(404);
      const mine = (await (await brand.get("/v1/evidence")).json()) as Json;
      expect(mine.items.map((i: Json) => i.id)).to.deep.equal([upload.id]);
      const notFound = (await (await brand.get(`/v1/evidence/does-not-exist`)).json()) as Json;
      expect(notFound.error.code).to.equal("EVIDENCE_NOT_FOUND");

      // a member may not create accounts
      const forbidden = await brand.postJson("/v1/accounts", { name: "x" });
      expect(forbidden.status).to.equal(403);
      expect(((await forbidden.json()) as Json).error.code).to.equal("FORBIDDEN");
    });

    it("issues and revokes keys; a revoked key gets 401", async () => {
      const account = (await (await api.postJson("/v1/accounts", { name: "Platform" })).json()) as Json;
      const key = (await (await api.postJson(`/v1/accounts/${account.id}/keys`, {})).json()) as Json;
      const platform = client(service.url, key.apiKey);
      expect((await platform.get("/v1/account")).status).to.equal(200);
      const list = (await (await api.get(`/v1/accounts/${account.id}/keys`)).json()) as Json;
      expect(list.items).to.have.length(2);
      expect(JSON.stringify(list)).to.not.include(key.apiKey);
      expect((await api.delete(`/v1/accounts/${account.id}/keys/${key.id}`)).status).to.equal(204);
      const denied = await platform.get("/v1/account");
      expect(denied.status).to.equal(401);
      expect(((await denied.json()) as Json).error.code).to.equal("UNAUTHENTICATED");
    });

    it("keeps keys only as hashes in the index file", async () => {
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(join(dir.path, "index.sqlite"), { readOnly: true });
      const hashes = db
        .prepare("SELECT key_hash FROM api_keys")
        .all()
        .map((r) => String(r.key_hash));
      db.close();
      expect(hashes).to.not.include(ADMIN_KEY);
      expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h))).to.equal(true);
    });
  });

  describe("bad input: a clear 4xx with a stable code, and nothing half-written", () => {
    let before: Json;
    beforeEach(async () => {
      before = { count: await evidenceCount() };
    });
    afterEach(async () => {
      expect(await evidenceCount(), "no record was written").to.equal(before.count);
    });
    async function evidenceCount() {
      const body = (await (await api.get("/v1/evidence?limit=500")).json()) as Json;
      return body.items.length;
    }
    async function expectError(response: Response, status: number, code: string) {
      const body = (await response.json()) as Json;
      expect(response.status, JSON.stringify(body)).to.equal(status);
      expectProblem(response, body, status, code);
    }

    it("no API key, or a wrong one: 401", async () => {
      await expectError(await client(service.url, null).get("/v1/evidence"), 401, "UNAUTHENTICATED");
      await expectError(await client(service.url, "eak_wrong").get("/v1/evidence"), 401, "UNAUTHENTICATED");
    });
    it("no file: 400 FILE_REQUIRED", async () => {
      await expectError(await api.postForm("/v1/evidence", fileForm({ kind: "document" }, {})), 400, "FILE_REQUIRED");
    });
    it("an empty file: 400 EMPTY_FILE", async () => {
      await expectError(
        await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: new Uint8Array(0), name: "e" } })),
        400,
        "EMPTY_FILE",
      );
    });
    it("a second file in another field: 400 UNEXPECTED_FIELD naming it", async () => {
      const form = fileForm({}, { file: { bytes: PNG, name: "a.png" }, attachment: { bytes: PNG, name: "b.png" } });
      const response = await api.postForm("/v1/evidence", form);
      const body = (await response.json()) as Json;
      expectProblem(response, body, 400, "UNEXPECTED_FIELD");
      expect(body.detail).to.equal("Unexpected field 'attachment'");
    });
    it("a snapshot with invalid Unicode (a lone surrogate): 400 INVALID_REQUEST naming the field", async () => {
      const json = JSON.stringify({ ...SNAPSHOT, title: "Designer \ud800 bag" }); // JSON.stringify writes the escape \ud800
      const response = await api.postRaw("/v1/evidence/listing-snapshots", json, "application/json");
      const body = (await response.json()) as Json;
      expectProblem(response, body, 400, "INVALID_REQUEST");
      expect(body.detail).to.equal("title: holds invalid Unicode (a lone surrogate); send well-formed text");
    });
    it("a body that says gzip but is not: 400 INVALID_REQUEST", async () => {
      const response = await fetch(`${service.url}/v1/evidence/listing-snapshots`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", "content-encoding": "gzip" },
        body: JSON.stringify(SNAPSHOT),
      });
      const body = (await response.json()) as Json;
      expectProblem(response, body, 400, "INVALID_REQUEST");
      expect(body.detail).to.match(/^the body could not be decoded as its Content-Encoding says/);
    });
    it("a malformed %-escape in the path: 400 INVALID_REQUEST", async () => {
      const response = await api.get("/v1/evidence/%E0%A4%A/receipt");
      expectProblem(response, (await response.json()) as Json, 400, "INVALID_REQUEST");
    });
    it("two files: 400 TOO_MANY_FILES", async () => {
      const form = fileForm({}, { file: { bytes: PNG, name: "a.png" } });
      form.append("file", new Blob([PNG]), "b.png");
      await expectError(await api.postForm("/v1/evidence", form), 400, "TOO_MANY_FILES");
    });
    it("a file in an unknown field: 400 UNEXPECTED_FIELD", async () => {
      await expectError(
        await api.postForm("/v1/evidence", fileForm({}, { attachment: { bytes: PNG, name: "a.png" } })),
        400,
        "UNEXPECTED_FIELD",
      );
    });
    it("an unknown text field: 400 UNEXPECTED_FIELD", async () => {
      await expectError(
        await api.postForm("/v1/evidence", fileForm({ colour: "red" }, { file: { bytes: PNG, name: "a.png" } })),
        400,
        "UNEXPECTED_FIELD",
      );
    });
    it("an invalid date, kind or URL: 400 INVALID_REQUEST naming the field", async () => {
      const cases: Record<string, string>[] = [
        { capturedAt: "yesterday" },
        { capturedAt: "2026-13-45T00:00:00Z" },
        { kind: "video" },
        { sourceUrl: "javascript:alert(1)" },
      ];
      for (const fields of cases) {
        const response = await api.postForm("/v1/evidence", fileForm(fields, { file: { bytes: PNG, name: "a.png" } }));
        const body = (await response.json()) as Json;
        expect(response.status).to.equal(400);
        expect(body.error.code).to.equal("INVALID_REQUEST");
        expect(body.error.message).to.include(Object.keys(fields)[0]);
      }
    });
    it("a refused upload's stored content is queued for release (unpinned later unless a record uses it)", async () => {
      const bytes = randomBytes(1000);
      const response = await api.postForm("/v1/evidence", fileForm({ kind: "video" }, { file: { bytes, name: "x.bin" } }));
      expect(response.status).to.equal(400);
      const { cid } = await fileFacts([bytes]);
      const { DatabaseSync } = await import("node:sqlite");
      const db = new DatabaseSync(join(dir.path, "index.sqlite"), { readOnly: true });
      const rows = db.prepare("SELECT cid FROM content_releases WHERE cid = ?").all(cid);
      db.close();
      expect(rows.map((r) => r.cid)).to.deep.equal([cid]);
    });
    it("a body that is not multipart: 415", async () => {
      await expectError(await api.postRaw("/v1/evidence", "hello", "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE");
    });
    it("malformed multipart: 400 MALFORMED_MULTIPART", async () => {
      const body = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nunterminated';
      await expectError(await api.postRaw("/v1/evidence", body, "multipart/form-data; boundary=XYZ"), 400, "MALFORMED_MULTIPART");
      await expectError(await api.postRaw("/v1/evidence", "garbage", "multipart/form-data"), 400, "MALFORMED_MULTIPART");
    });
    it("invalid JSON: 400 MALFORMED_JSON", async () => {
      await expectError(await api.postRaw("/v1/evidence/listing-snapshots", '{"url": ', "application/json"), 400, "MALFORMED_JSON");
    });
    it("a snapshot missing fields or with unknown ones: 400", async () => {
      const { title: _omit, ...withoutTitle } = SNAPSHOT;
      await expectError(await api.postJson("/v1/evidence/listing-snapshots", withoutTitle), 400, "INVALID_REQUEST");
      await expectError(await api.postJson("/v1/evidence/listing-snapshots", { ...SNAPSHOT, html: "<p>" }), 400, "UNEXPECTED_FIELD");
      await expectError(await api.postJson("/v1/evidence/listing-snapshots", [1, 2]), 400, "INVALID_REQUEST");
    });
    it("a bad sha256 or cursor in a list query: 400", async () => {
      await expectError(await api.get("/v1/evidence?sha256=xyz"), 400, "INVALID_REQUEST");
      await expectError(await api.get("/v1/evidence?cursor=abc"), 400, "INVALID_REQUEST");
      await expectError(await api.get("/v1/evidence?limit=100000"), 400, "INVALID_REQUEST");
    });
    it("an unknown id or route: 404", async () => {
      await expectError(await api.get("/v1/evidence/ev_nope/receipt"), 404, "EVIDENCE_NOT_FOUND");
      await expectError(await api.get("/v1/nothing-here"), 404, "NOT_FOUND");
    });
    it("oversized headers: 431, from the HTTP server itself", async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(service.url);
        const req = request(
          { host: url.hostname, port: url.port, path: "/v1/evidence", headers: { "x-big": "a".repeat(64 * 1024) } },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(status).to.equal(431);
    });
  });

  describe("a file over MAX_UPLOAD_BYTES", () => {
    it("is refused with 413 FILE_TOO_LARGE and leaves nothing behind", async () => {
      const small = await startTestService(join(dir.path, "small"), { MAX_UPLOAD_BYTES: "1000" });
      try {
        const response = await client(small.url).postForm(
          "/v1/evidence",
          fileForm({}, { file: { bytes: randomBytes(5000), name: "big.bin" } }),
        );
        const body = (await response.json()) as Json;
        expect(response.status).to.equal(413);
        expect(body.error.code).to.equal("FILE_TOO_LARGE");
        const list = (await (await client(small.url).get("/v1/evidence")).json()) as Json;
        expect(list.items).to.deep.equal([]);
      } finally {
        await small.stop();
      }
    });
  });

  describe("content altered on disk", () => {
    it("is detected on read: 500 CONTENT_INTEGRITY, and not one altered byte is served", async () => {
      const bytes = Buffer.from("evidence that someone will tamper with");
      const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes, name: "t.txt" } }))).json()) as Json;
      const blockFile = findBlockFile(join(dir.path, "ipfs"), up.cid);
      const tampered = Buffer.from(bytes);
      tampered[0]! ^= 1;
      writeFileSync(blockFile, tampered);
      const response = await api.get(`/v1/evidence/${up.id}/content`);
      const body = (await response.json()) as Json;
      expectProblem(response, body, 500, "CONTENT_INTEGRITY");
      // The real cause is in the log, on the request's line, with the id the client was given.
      const line = service.logLines().find((l) => l.req?.id === body.requestId);
      expect(line, "the request's log line").to.include({ level: 50, msg: "request failed with 500" });
      expect(line!.err).to.include({ type: "AppError", code: "CONTENT_INTEGRITY" });
      expect(line!.err.message).to.match(/does not match its CID/);
      writeFileSync(blockFile, bytes); // put it back for the tests that follow
    });
  });

  describe("restart", () => {
    it("finds the same registry and the same anchors, and the old receipts still verify", async () => {
      const up = (await (
        await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: Buffer.from("before restart"), name: "r.txt" } }))
      ).json()) as Json;
      await waitForAnchored(api, up.id);
      const receipt = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
      const registry = service.chain.deployment.address;
      await service.stop();

      service = await startTestService(dir.path);
      api = client(service.url);
      expect(service.chain.deployment.address).to.equal(registry);
      const after = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
      expect(after).to.deep.equal(receipt);
      await verifyIndependently(after, Buffer.from("before restart"), service.chain.rpcUrl);
    });
  });
});

/** An RFC 9457 problem, with the deprecated `error` object still beside it. */
function expectProblem(response: Response, body: Json, status: number, code: string) {
  expect(response.status, JSON.stringify(body)).to.equal(status);
  expect(response.headers.get("content-type")).to.equal("application/problem+json; charset=utf-8");
  expect(body).to.include({ type: `/problems/${code}`, status, code });
  expect(body.title).to.be.a("string").and.not.be.empty;
  expect(body.detail).to.be.a("string").and.not.be.empty;
  expect(body.requestId).to.equal(response.headers.get("x-request-id"));
  expect(body.error).to.deep.equal({ code, message: body.detail });
}

function countFiles(root: string): number {
  let n = 0;
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) if (entry.isFile()) n++;
  return n;
}
