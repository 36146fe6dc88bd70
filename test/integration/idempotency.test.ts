/**
 * Idempotency-Key on the POSTs that create something: a retried request creates nothing twice and
 * answers as the first did, across a restart; the same key on another request is refused; each
 * account's keys are its own.
 */
import { expect } from "chai";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Request } from "express";
import { requestFingerprint } from "../../src/http/idempotency.ts";
import { ADMIN_KEY, client, fileForm, startTestService, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";
import { PNG, SNAPSHOT } from "../fixtures/listing-snapshot.ts";

type Json = Record<string, any>;

describe("Idempotency-Key (a retried POST creates nothing twice)", function () {
  this.timeout(60_000);
  const dir = tempDir("idempotency-");
  let service: TestService;
  let alice: string;
  let bob: string;

  const post = (key: string, path: string, body: string | FormData, idempotencyKey?: string, type?: string) =>
    fetch(service.url + path, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        ...(type ? { "content-type": type } : {}),
        ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
      },
      body,
    });
  const snapshot = (key: string, body: unknown, idempotencyKey: string) =>
    post(key, "/v1/evidence/listing-snapshots", JSON.stringify(body), idempotencyKey, "application/json");
  const evidenceIds = async (key: string) =>
    (((await (await client(service.url, key).get("/v1/evidence?limit=500")).json()) as Json).items as Json[]).map((i) => i.id);

  before(async () => {
    service = await startTestService(dir.path);
    const admin = client(service.url);
    alice = ((await (await admin.postJson("/v1/accounts", { name: "Alice" })).json()) as Json).apiKey;
    bob = ((await (await admin.postJson("/v1/accounts", { name: "Bob" })).json()) as Json).apiKey;
  });
  after(async () => {
    await service?.stop();
    dir.remove();
  });

  it("answers a retried snapshot with the first answer, creating one record, even after a restart", async () => {
    const first = await snapshot(alice, SNAPSHOT, '"snap-1"');
    const firstBody = await first.text();
    expect(first.status, firstBody).to.equal(201);
    const id = JSON.parse(firstBody).id;

    const retry = await snapshot(alice, SNAPSHOT, '"snap-1"');
    expect(retry.status).to.equal(201);
    expect(await retry.text()).to.equal(firstBody);
    expect(retry.headers.get("location")).to.equal(first.headers.get("location"));
    expect(retry.headers.get("idempotent-replayed")).to.equal("true");
    expect(await evidenceIds(alice)).to.deep.equal([id]);

    await service.stop();
    service = await startTestService(dir.path);
    const afterRestart = await snapshot(alice, SNAPSHOT, '"snap-1"');
    expect(afterRestart.status).to.equal(201);
    expect(await afterRestart.text()).to.equal(firstBody);
    expect(await evidenceIds(alice)).to.deep.equal([id]);
  });

  it("refuses the same key with a different request: 422 IDEMPOTENCY_KEY_REUSED, nothing created", async () => {
    const before = await evidenceIds(alice);
    const response = await snapshot(alice, { ...SNAPSHOT, listingId: "other" }, '"snap-1"');
    const body = (await response.json()) as Json;
    expect(response.status).to.equal(422);
    expect(body.code).to.equal("IDEMPOTENCY_KEY_REUSED");
    expect(body.detail).to.equal("The Idempotency-Key 'snap-1' was first used for a different request: send a new key for a new request");
    const otherRoute = await post(
      alice,
      "/v1/evidence/listing-snapshots:batch",
      JSON.stringify(SNAPSHOT),
      '"snap-1"',
      "application/x-ndjson",
    );
    expect(otherRoute.status).to.equal(422);
    expect(await evidenceIds(alice)).to.deep.equal(before);
  });

  it("keeps each account's keys apart: another account's same key creates its own record", async () => {
    const aliceIds = await evidenceIds(alice);
    const response = await snapshot(bob, SNAPSHOT, '"snap-1"');
    const body = (await response.json()) as Json;
    expect(response.status).to.equal(201);
    expect(aliceIds).not.to.include(body.id);
    expect(await evidenceIds(bob)).to.deep.equal([body.id]);
    expect(await evidenceIds(alice)).to.deep.equal(aliceIds);
  });

  it("answers a retried batch and a retried upload as the first time, creating nothing twice", async () => {
    const before = await evidenceIds(alice);
    const lines = `${JSON.stringify({ ...SNAPSHOT, listingId: "b1" })}\n${JSON.stringify({ ...SNAPSHOT, listingId: "b2" })}\n`;
    const batch = () => post(alice, "/v1/evidence/listing-snapshots:batch", lines, "batch-7", "application/x-ndjson");
    const firstBatch = await (await batch()).text();
    const ids = (JSON.parse(firstBatch) as Json).results.map((r: Json) => r.id);
    expect(ids).to.have.length(2);
    const retriedBatch = await batch();
    expect(retriedBatch.status).to.equal(200);
    expect(await retriedBatch.text()).to.equal(firstBatch);

    const upload = () => post(alice, "/v1/evidence", fileForm({ kind: "screenshot" }, { file: { bytes: PNG, name: "l.png" } }), "upload-1");
    const firstUpload = (await (await upload()).json()) as Json;
    const retriedUpload = await upload();
    expect(retriedUpload.status).to.equal(201);
    expect(((await retriedUpload.json()) as Json).id).to.equal(firstUpload.id);
    expect(await evidenceIds(alice)).to.deep.equal([...before, ...ids, firstUpload.id]);
  });

  it("does not keep an error: a request refused once runs again when retried with its key", async () => {
    const bad = await snapshot(alice, { ...SNAPSHOT, title: "" }, "fix-me");
    expect(bad.status).to.equal(400);
    const again = await snapshot(alice, { ...SNAPSHOT, title: "" }, "fix-me");
    expect(again.status).to.equal(400);
    expect(again.headers.get("idempotent-replayed")).to.equal(null);
  });

  it("replays a created account without its API key (shown once), and creates one account", async () => {
    const create = () => post(ADMIN_KEY, "/v1/accounts", JSON.stringify({ name: "Carol" }), "acct-1", "application/json");
    const first = (await (await create()).json()) as Json;
    expect(first.apiKey).to.be.a("string");
    const retry = await create();
    expect(retry.status).to.equal(201);
    const { apiKey: _shown, ...rest } = first;
    expect(await retry.json()).to.deep.equal(rest);
  });

  it("answers 409 IDEMPOTENCY_KEY_IN_USE while the first request with the key still runs, and creates nothing; frees the key at a restart", async () => {
    // The first request, caught running: its claim, as the service wrote it, with the retry's fingerprint.
    const aliceId = ((await (await client(service.url, alice).get("/v1/account")).json()) as Json).id;
    const first = { method: "POST", baseUrl: "/v1/evidence", path: "/listing-snapshots", body: SNAPSHOT, get: () => "application/json" };
    const db = new DatabaseSync(join(dir.path, "index.sqlite"));
    try {
      db.exec("PRAGMA busy_timeout = 5000");
      const now = new Date();
      db.prepare(
        "INSERT INTO idempotency_keys (account_id, key, fingerprint, state, created_at, expires_at) VALUES (?, ?, ?, 'running', ?, ?)",
      ).run(
        aliceId,
        "slow-1",
        requestFingerprint(first as unknown as Request),
        now.toISOString(),
        new Date(now.getTime() + 60_000).toISOString(),
      );
    } finally {
      db.close();
    }
    const before = await evidenceIds(alice);
    const response = await snapshot(alice, SNAPSHOT, "slow-1");
    const body = (await response.json()) as Json;
    expect(response.status).to.equal(409);
    expect(body.code).to.equal("IDEMPOTENCY_KEY_IN_USE");
    expect(response.headers.get("retry-after")).to.equal("1");
    expect(await evidenceIds(alice)).to.deep.equal(before);

    // The service restarts (the request holding the key died with it): the retry runs, once.
    await service.stop();
    service = await startTestService(dir.path);
    const retried = await snapshot(alice, SNAPSHOT, "slow-1");
    expect(retried.status).to.equal(201);
    const created = ((await retried.json()) as Json).id;
    expect((await evidenceIds(alice)).sort()).to.deep.equal([...before, created].sort());
    expect(
      service
        .logLines()
        .filter((l) => l.msg?.startsWith("idempotency keys held"))
        .map((l) => l.keys),
    ).to.deep.equal([1]);
  });

  it("refuses a malformed key with 400 IDEMPOTENCY_KEY_INVALID", async () => {
    const response = await snapshot(alice, SNAPSHOT, "x".repeat(256));
    expect(response.status).to.equal(400);
    expect(((await response.json()) as Json).code).to.equal("IDEMPOTENCY_KEY_INVALID");
  });
});
