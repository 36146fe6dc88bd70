/**
 * The index's contract: what every IndexStore (SQLite, PostgreSQL) must do, as one suite run unchanged
 * against each (test/unit/index-store-sqlite.test.ts, test/integration/index-store-*.test.ts).
 */
import { expect } from "chai";
import { setTimeout as sleep } from "node:timers/promises";
import { CUSTODY_FORMAT, GENESIS_HASH, type CustodyEntry, type NewCustodyEntry } from "../../src/domain/custody-log.ts";
import { verifyCustodyLog } from "../../src/domain/custody-verification.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { CAPTURE_AGING_MS, CAPTURE_PRIORITY } from "../../src/ports/capture-repository.ts";
import type { StoredCustodyEntry } from "../../src/ports/custody-log.ts";
import type { StoredCertificate } from "../../src/ports/certificate-repository.ts";
import type { NewEvidence } from "../../src/ports/evidence-repository.ts";
import type { IndexStore } from "../../src/ports/index-store.ts";
import type { NoticeRecord } from "../../src/ports/notice-repository.ts";
import { LeaseLostError } from "../../src/ports/leases.ts";

const T0 = "2026-11-27T10:00:00.000Z";

export function evidence(id: string, accountId: string, content = id, receivedAt = T0): NewEvidence {
  const sha256 = sha256Hex(content);
  const cid = `bafk-${content}`;
  const metadata = { id, kind: "document" as const, sha256, size: content.length, mediaType: "text/plain", cid, receivedAt };
  return {
    id,
    accountId,
    kind: "document",
    sha256,
    size: content.length,
    mediaType: "text/plain",
    cid,
    metadata,
    metadataSha256: sha256Hex(`m ${id}`),
    receivedAt,
  };
}

const ANCHOR = {
  chainId: 31337,
  registry: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  txHash: "0x" + "aa".repeat(32),
  blockNumber: 7,
  blockHash: "0x" + "bb".repeat(32),
  timestamp: 1_795_632_085,
  registryVersion: "2",
};
const proofsFor = (ids: string[]) =>
  Object.fromEntries(ids.map((id) => [id, { leaf: ["0x" + sha256Hex(id), "0x" + sha256Hex(`m ${id}`)] as [string, string], proof: [] }]));

/**
 * `peer` opens a second store on the database the last `open` made, as another instance would; without
 * one (SQLite in memory, one connection), the "instances" are two users of the same store.
 */
export function describeIndexStore(
  name: string,
  open: () => Promise<IndexStore>,
  close: (store: IndexStore) => Promise<void> = (s) => s.close(),
  peer?: () => Promise<IndexStore>,
): void {
  describe(`the index contract: ${name}`, function () {
    this.timeout(30_000);
    let index: IndexStore;
    beforeEach(async () => {
      index = await open();
      for (const id of ["acc_a", "acc_b"]) await index.accounts.create({ id, name: id, role: "rights-holder", createdAt: T0 });
    });
    afterEach(() => close(index));

    describe("evidence", () => {
      it("shows an account only its own evidence", async () => {
        await index.evidence.insert([evidence("ev_1", "acc_a"), evidence("ev_2", "acc_b")]);
        expect((await index.evidence.get("acc_a", "ev_1"))!.id).to.equal("ev_1");
        expect(await index.evidence.get("acc_a", "ev_2")).to.equal(null);
        expect((await index.evidence.list("acc_a", { limit: 10 })).items.map((r) => r.id)).to.deep.equal(["ev_1"]);
      });

      it("reads several records at once, only the account's own", async () => {
        await index.evidence.insert([evidence("ev_1", "acc_a"), evidence("ev_2", "acc_b"), evidence("ev_3", "acc_a")]);
        const read = await index.evidence.getMany("acc_a", ["ev_3", "ev_2", "ev_1", "ev_none"]);
        expect(read.map((r) => r.id).sort()).to.deep.equal(["ev_1", "ev_3"]);
        expect(read.find((r) => r.id === "ev_3")).to.deep.equal(await index.evidence.get("acc_a", "ev_3"));
        expect(await index.evidence.getMany("acc_a", [])).to.deep.equal([]);
      });

      it("keeps a record as it was given, pending", async () => {
        const given = evidence("ev_1", "acc_a");
        await index.evidence.insert([given]);
        expect(await index.evidence.get("acc_a", "ev_1")).to.deep.equal({ ...given, status: "pending" });
      });

      it("inserts several records all or nothing", async () => {
        let error: unknown;
        await index.evidence.insert([evidence("ev_1", "acc_a"), evidence("ev_1", "acc_a")]).catch((e) => (error = e));
        expect(error).to.be.an("error");
        expect((await index.evidence.countByStatus()).pending).to.equal(0);
      });

      it("commits concurrent inserts, and refuses only the caller whose rows are bad", async () => {
        await index.evidence.insert([evidence("ev_taken", "acc_a")]);
        const results = await Promise.allSettled([
          index.evidence.insert([evidence("ev_1", "acc_a")]),
          index.evidence.insert([evidence("ev_taken", "acc_b")]),
          index.evidence.insert([evidence("ev_2", "acc_b"), evidence("ev_3", "acc_b")]),
        ]);
        expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
        expect((await index.evidence.countByStatus()).pending).to.equal(4);
        expect(await index.evidence.get("acc_b", "ev_taken")).to.equal(null);
      });

      it("pages through a list in upload order with an opaque cursor, and filters by sha256", async () => {
        for (let i = 0; i < 5; i++) await index.evidence.insert([evidence(`ev_${i}`, "acc_a", i % 2 ? "same" : `c${i}`)]);
        const first = await index.evidence.list("acc_a", { limit: 2 });
        const second = await index.evidence.list("acc_a", { limit: 2, cursor: first.nextCursor! });
        const third = await index.evidence.list("acc_a", { limit: 2, cursor: second.nextCursor! });
        expect([...first.items, ...second.items, ...third.items].map((r) => r.id)).to.deep.equal(["ev_0", "ev_1", "ev_2", "ev_3", "ev_4"]);
        expect(third.nextCursor).to.equal(null);
        expect((await index.evidence.list("acc_a", { limit: 10, sha256: sha256Hex("same") })).items.map((r) => r.id)).to.deep.equal([
          "ev_1",
          "ev_3",
        ]);
      });

      it("knows the oldest pending item and whether any record has a CID", async () => {
        expect(await index.evidence.oldestPendingReceivedAt()).to.equal(null);
        await index.evidence.insert([
          evidence("ev_2", "acc_a", "x", "2026-11-27T10:00:02.000Z"),
          evidence("ev_1", "acc_b", "y", "2026-11-27T10:00:01.000Z"),
        ]);
        expect(await index.evidence.oldestPendingReceivedAt()).to.equal("2026-11-27T10:00:01.000Z");
        expect(await index.evidence.isContentReferenced("bafk-x")).to.equal(true);
        expect(await index.evidence.isContentReferenced("bafk-z")).to.equal(false);
      });
    });

    describe("the anchoring queue and batches", () => {
      async function batchOf(id: string, itemIds: string[], root = `0x${sha256Hex(id)}`) {
        await index.transaction(async (tx) => {
          await tx.batches.create({ id, root, createdAt: T0 });
          await tx.evidence.assignToBatch(id, proofsFor(itemIds));
        });
      }

      it("hands out pending items oldest first, each to at most one live batch", async () => {
        await index.evidence.insert([evidence("ev_1", "acc_a"), evidence("ev_2", "acc_b"), evidence("ev_3", "acc_a")]);
        expect((await index.evidence.nextPending(2)).map((i) => i.id)).to.deep.equal(["ev_1", "ev_2"]);
        await batchOf("bt_1", ["ev_1", "ev_2"]);
        expect((await index.evidence.nextPending(10)).map((i) => i.id)).to.deep.equal(["ev_3"]);
        let error: unknown;
        await batchOf("bt_2", ["ev_2", "ev_3"]).catch((e) => (error = e));
        expect(String(error)).to.match(/ev_2 is no longer waiting for a batch/);
        expect(await index.evidence.itemsOf("bt_1")).to.deep.equal(["ev_1", "ev_2"]);
        expect(await index.evidence.itemsOf("bt_2")).to.deep.equal([]); // rolled back, batch and all
        expect((await index.batches.open()).map((b) => b.id)).to.deep.equal(["bt_1"]);
      });

      it("records a batch's steps: signed, cleared, anchored; and its items' anchor", async () => {
        await index.evidence.insert([evidence("ev_1", "acc_a"), evidence("ev_2", "acc_b")]);
        await batchOf("bt_1", ["ev_1", "ev_2"], "0x" + "cc".repeat(32));
        const tx = { txHash: "0x" + "dd".repeat(32), rawTx: "0xf86b", nonce: 4, fromBlock: 6 };
        await index.batches.recordSigned("bt_1", tx);
        expect(await index.batches.open()).to.deep.equal([
          { id: "bt_1", root: "0x" + "cc".repeat(32), state: "sent", createdAt: T0, attempts: 1, tx },
        ]);
        await index.batches.clearSigned("bt_1", "replaced");
        expect((await index.batches.open())[0])
          .to.include({ state: "prepared" })
          .and.not.have.property("tx");
        const anchored = await index.transaction(async (t) => {
          await t.batches.markAnchored("bt_1", ANCHOR, T0);
          return t.evidence.markAnchored("bt_1");
        });
        expect(anchored).to.have.deep.members([
          { id: "ev_1", accountId: "acc_a" },
          { id: "ev_2", accountId: "acc_b" },
        ]);
        const record = (await index.evidence.get("acc_b", "ev_2"))!;
        expect(record.status).to.equal("anchored");
        expect(record.anchor).to.deep.equal(ANCHOR);
        expect(record.merkle).to.deep.equal({ leaf: proofsFor(["ev_2"]).ev_2!.leaf, proof: [], root: "0x" + "cc".repeat(32) });
        expect(await index.batches.open()).to.deep.equal([]);
        expect(await index.batches.recentAnchors(5)).to.deep.equal([{ batchId: "bt_1", root: "0x" + "cc".repeat(32), anchor: ANCHOR }]);
        expect(await index.batches.countByState()).to.deep.equal({ prepared: 0, sent: 0, anchored: 1, abandoned: 0 });
        expect(await index.evidence.countByStatus()).to.deep.equal({ pending: 0, anchored: 2, failed: 0 });
      });

      it("returns a reverted batch's items to the queue, failing them after the last attempt", async () => {
        await index.evidence.insert([evidence("ev_1", "acc_a")]);
        for (let attempt = 1; attempt <= 3; attempt++) {
          await batchOf(`bt_${attempt}`, ["ev_1"]);
          const failed = await index.transaction(async (tx) => {
            expect(await tx.batches.abandon(`bt_${attempt}`, "reverted", ["prepared", "sent"])).to.equal(true);
            return tx.evidence.returnToQueue(`bt_${attempt}`, "reverted", 3);
          });
          expect(failed).to.deep.equal(attempt === 3 ? [{ id: "ev_1", accountId: "acc_a" }] : []);
        }
        const record = (await index.evidence.get("acc_a", "ev_1"))!;
        expect(record).to.include({ status: "failed", failureReason: "reverted" });
        expect(await index.evidence.nextPending(5)).to.deep.equal([]);
      });

      it("gives up a batch only from the states named, and queues a lost anchor's items again", async () => {
        await index.evidence.insert([evidence("ev_1", "acc_a")]);
        await batchOf("bt_1", ["ev_1"], "0x" + "ee".repeat(32));
        await index.transaction(async (t) => {
          await t.batches.markAnchored("bt_1", ANCHOR, T0);
          await t.evidence.markAnchored("bt_1");
        });
        expect(await index.batches.abandon("bt_1", "lost", ["prepared", "sent"])).to.equal(false);
        const requeued = await index.transaction(async (t) => {
          expect(await t.batches.abandon("bt_1", "lost", ["anchored"])).to.equal(true);
          return t.evidence.requeueLost("bt_1");
        });
        expect(requeued).to.deep.equal([{ id: "ev_1", accountId: "acc_a" }]);
        expect((await index.evidence.get("acc_a", "ev_1"))!.status).to.equal("pending");
        expect(await index.batches.recentAnchors(5)).to.deep.equal([]);
        // The same root may be anchored again: the lost batch no longer holds it.
        await batchOf("bt_2", ["ev_1"], "0x" + "ee".repeat(32));
        expect((await index.batches.open()).map((b) => b.id)).to.deep.equal(["bt_2"]);
      });

      it("keeps one live batch per root", async () => {
        await index.evidence.insert([evidence("ev_1", "acc_a"), evidence("ev_2", "acc_a")]);
        await batchOf("bt_1", ["ev_1"], "0x" + "ab".repeat(32));
        let error: unknown;
        await batchOf("bt_2", ["ev_2"], "0x" + "ab".repeat(32)).catch((e) => (error = e));
        expect(error).to.be.an("error");
      });
    });

    describe("captures", () => {
      async function queue(...ids: string[]) {
        for (const [i, id] of ids.entries()) {
          await index.captures.create({
            id,
            accountId: "acc_a",
            url: `https://m.example/${id}`,
            requestedAt: `2026-11-27T10:00:0${i}.000Z`,
          });
        }
      }

      it("claims the oldest queued captures under a lease, and not again while it holds", async () => {
        await queue("cap_1", "cap_2", "cap_3");
        const claimed = await index.captures.claim(2, "inst_a", 60_000);
        expect(claimed.map((c) => [c.id, c.status, c.attempts])).to.deep.equal([
          ["cap_1", "running", 1],
          ["cap_2", "running", 1],
        ]);
        expect((await index.captures.claim(5, "inst_b", 60_000)).map((c) => c.id)).to.deep.equal(["cap_3"]);
        expect(await index.captures.claim(5, "inst_b", 60_000)).to.deep.equal([]);
        expect(await index.captures.claimable()).to.equal(false);
      });

      it("claims a takedown's capture first, then a reported listing's, then routine ones, until one has waited too long", async () => {
        const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
        const take = (id: string, priority: number, requestedAt = ago(0)) =>
          index.captures.create({ id, accountId: "acc_a", url: `https://m.example/${id}`, requestedAt, priority });
        await take("cap_routine", CAPTURE_PRIORITY.routine);
        await take("cap_reported", CAPTURE_PRIORITY.reported);
        await take("cap_takedown_1", CAPTURE_PRIORITY.takedown);
        await take("cap_takedown_2", CAPTURE_PRIORITY.takedown);
        const claim = async (max: number) => (await index.captures.claim(max, "inst_a", 60_000)).map((c) => [c.id, c.priority]);
        expect(await claim(2)).to.deep.equal([
          ["cap_takedown_1", 2],
          ["cap_takedown_2", 2],
        ]);
        expect(await claim(1)).to.deep.equal([["cap_reported", 1]]);
        // A routine capture that has waited CAPTURE_AGING_MS goes before a newer takedown's.
        await take("cap_waited", CAPTURE_PRIORITY.routine, ago(CAPTURE_AGING_MS + 1000));
        await take("cap_takedown_3", CAPTURE_PRIORITY.takedown);
        expect(await claim(1)).to.deep.equal([["cap_waited", 0]]);
        expect(await claim(5)).to.deep.equal([
          ["cap_routine", 0],
          ["cap_takedown_3", 2],
        ]);
      });

      it("keeps the device a capture is made as: a desktop unless asked otherwise", async () => {
        await queue("cap_1");
        await index.captures.create({ id: "cap_2", accountId: "acc_a", url: "https://m.example/2", requestedAt: T0, device: "mobile" });
        expect((await index.captures.get("acc_a", "cap_1"))!.device).to.equal("desktop");
        expect((await index.captures.claim(5, "inst_a", 60_000)).map((c) => [c.id, c.device])).to.deep.equal([
          ["cap_1", "desktop"],
          ["cap_2", "mobile"],
        ]);
      });

      it("never hands one capture to two instances claiming at once", async () => {
        await queue("cap_1", "cap_2", "cap_3", "cap_4", "cap_5");
        const [a, b] = await Promise.all([index.captures.claim(3, "inst_a", 60_000), index.captures.claim(3, "inst_b", 60_000)]);
        const ids = [...a, ...b].map((c) => c.id).sort();
        expect(ids).to.deep.equal(["cap_1", "cap_2", "cap_3", "cap_4", "cap_5"]);
      });

      it("claims a capture again once its lease expired, and only its holder renews or finishes it", async () => {
        await queue("cap_1");
        await index.captures.claim(1, "inst_a", 150);
        expect(await index.captures.renewLeases(["cap_1"], "inst_b", 150)).to.deep.equal([]);
        expect(await index.captures.renewLeases(["cap_1"], "inst_a", 150)).to.deep.equal(["cap_1"]);
        await sleep(300);
        const again = await index.captures.claim(1, "inst_b", 60_000);
        expect(again.map((c) => [c.id, c.attempts])).to.deep.equal([["cap_1", 2]]);
        const outcome = {
          status: "captured" as const,
          manifestId: "ev_m",
          summary: { finalUrl: "https://m.example/cap_1" },
          startedAt: "2026-11-27T10:00:00.250Z",
          finishedAt: T0,
        };
        expect(await index.captures.finish("cap_1", "inst_a", outcome)).to.equal(false);
        expect(await index.captures.finish("cap_1", "inst_b", outcome)).to.equal(true);
        expect(await index.captures.get("acc_a", "cap_1")).to.deep.include({
          status: "captured",
          manifestId: "ev_m",
          startedAt: "2026-11-27T10:00:00.250Z", // the browser's start, as the manifest says, not the claim's
          finishedAt: T0,
          summary: outcome.summary,
        });
      });

      it("puts queued captures back among routine ones, and leaves those already running", async () => {
        const take = (id: string) =>
          index.captures.create({
            id,
            accountId: "acc_a",
            url: `https://m.example/${id}`,
            requestedAt: T0,
            priority: CAPTURE_PRIORITY.reported,
          });
        await take("cap_running");
        await index.captures.claim(1, "inst_a", 60_000);
        await take("cap_queued");
        expect(await index.captures.lowerPriority(["cap_running", "cap_queued"])).to.equal(1);
        expect((await index.captures.list("acc_a", 10)).map((c) => [c.id, c.priority])).to.deep.equal([
          ["cap_queued", 0],
          ["cap_running", 1],
        ]);
      });

      it("ends the leases an owner's dead process held: claimable at once, each run counted", async () => {
        await queue("cap_1");
        await index.captures.claim(1, "embedded", 60_000);
        expect(await index.captures.endLeases("inst_b")).to.equal(0);
        expect(await index.captures.claim(1, "inst_b", 60_000)).to.deep.equal([]);
        expect(await index.captures.endLeases("embedded")).to.equal(1);
        expect((await index.captures.claim(1, "embedded", 60_000)).map((c) => [c.id, c.attempts])).to.deep.equal([["cap_1", 2]]);
      });

      it("hands captures back on a clean stop, fails those cut short too often, and counts them", async () => {
        await queue("cap_1", "cap_2");
        await index.captures.claim(2, "inst_a", 100);
        await index.captures.release(["cap_1"], "inst_a");
        expect(await index.captures.get("acc_a", "cap_1")).to.deep.include({ status: "queued", attempts: 0 }); // not counted
        await sleep(200);
        expect(await index.captures.failExhausted(1, "cut short", T0)).to.equal(1); // cap_2: lease expired after 1 run
        expect(await index.captures.get("acc_a", "cap_2")).to.deep.include({ status: "failed", failureReason: "cut short" });
        expect(await index.captures.countByStatus()).to.deep.equal({ queued: 1, running: 0, captured: 0, failed: 1 });
        expect((await index.captures.list("acc_a", 10)).map((c) => c.id)).to.deep.equal(["cap_2", "cap_1"]);
        expect(await index.captures.get("acc_b", "cap_1")).to.equal(null);
      });
    });

    describe("accounts and keys", () => {
      it("finds a live key's account by its hash; a revoked key finds nothing", async () => {
        expect(await index.accounts.count()).to.equal(2);
        await index.accounts.addKey({ id: "key_1", accountId: "acc_a", prefix: "eak_abc", createdAt: T0, revokedAt: null, keyHash: "h1" });
        expect(await index.accounts.byKeyHash("h1")).to.deep.equal({
          account: { id: "acc_a", name: "acc_a", role: "rights-holder", createdAt: T0 },
          keyId: "key_1",
        });
        expect(await index.accounts.revokeKey("acc_b", "key_1", T0)).to.equal(false);
        expect(await index.accounts.revokeKey("acc_a", "key_1", "2026-11-27T11:00:00.000Z")).to.equal(true);
        expect(await index.accounts.byKeyHash("h1")).to.equal(null);
        expect(await index.accounts.listKeys("acc_a")).to.deep.equal([
          { id: "key_1", accountId: "acc_a", prefix: "eak_abc", createdAt: T0, revokedAt: "2026-11-27T11:00:00.000Z" },
        ]);
      });
    });

    describe("transactions and the outbox", () => {
      it("writes events with the change they tell of, and drops both when the transaction fails", async () => {
        const event = (id: string) => ({
          id,
          type: "evidence.anchored" as const,
          accountId: "acc_a",
          subject: "ev_1",
          data: { root: "0xab" },
          occurredAt: T0,
        });
        await index.transaction(async (tx) => {
          await tx.evidence.insert([evidence("ev_1", "acc_a")]);
          await tx.outbox.append([event("evt_1")]);
        });
        let error: unknown;
        await index
          .transaction(async (tx) => {
            await tx.evidence.insert([evidence("ev_2", "acc_a")]);
            await tx.outbox.append([event("evt_2")]);
            throw new Error("the change failed");
          })
          .catch((e) => (error = e));
        expect((error as Error).message).to.equal("the change failed");
        expect(await index.evidence.get("acc_a", "ev_2")).to.equal(null);
        const events = await index.outbox.after(0, 10);
        expect(events.map(({ seq: _seq, ...e }) => e)).to.deep.equal([event("evt_1")]);
        expect(await index.outbox.after(events[0]!.seq, 10)).to.deep.equal([]);
      });
    });

    describe("leases", () => {
      it("has one holder at a time; a renewal keeps the token; a new holder after expiry gets a higher one", async () => {
        const first = await index.leases.acquire("anchoring", "inst_a", 200);
        expect(first).to.be.a("number");
        expect(await index.leases.acquire("anchoring", "inst_b", 200)).to.equal(null);
        expect(await index.leases.acquire("anchoring", "inst_a", 200)).to.equal(first);
        await sleep(300);
        const second = await index.leases.acquire("anchoring", "inst_b", 60_000);
        expect(second).to.equal(first! + 1);
        expect(await index.leases.acquire("anchoring", "inst_a", 200)).to.equal(null);
      });

      it("lets a transaction write only while its token holds", async () => {
        const token = (await index.leases.acquire("anchoring", "inst_a", 60_000))!;
        await index.transaction((tx) => tx.leases.assertHeld("anchoring", token));
        await index.leases.release("anchoring", "inst_a");
        const next = (await index.leases.acquire("anchoring", "inst_b", 60_000))!;
        expect(next).to.equal(token + 1);
        let error: unknown;
        await index
          .transaction(async (tx) => {
            await tx.leases.assertHeld("anchoring", token);
            await tx.evidence.insert([evidence("ev_late", "acc_a")]);
          })
          .catch((e) => (error = e));
        expect(error).to.be.instanceOf(LeaseLostError);
        expect(await index.evidence.get("acc_a", "ev_late")).to.equal(null);
      });
    });

    describe("time-stamps", () => {
      const ROOT = "0x" + "cd".repeat(32);
      const TSA_A = "http://tsa-a.test/";
      const TSA_B = "http://tsa-b.test/";
      const TOKEN = { token: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]), genTime: "2026-11-27T10:00:01.250Z", serialNumber: "0a1b" };

      it("asks each TSA once per root, hands a due stamp to one claimant, and keeps its token", async () => {
        await index.transaction((tx) => tx.timestamps.request(ROOT, [TSA_A, TSA_B], T0));
        await index.timestamps.request(ROOT, [TSA_A], "2026-11-27T11:00:00.000Z"); // a second batch of the same root
        expect((await index.timestamps.forRoot(ROOT)).map((t) => [t.tsa, t.status, t.requestedAt])).to.deep.equal([
          [TSA_A, "pending", T0],
          [TSA_B, "pending", T0],
        ]);
        const [first, second] = await Promise.all([
          index.timestamps.claimDue([TSA_A], "inst_a", 60_000, 10),
          index.timestamps.claimDue([TSA_A], "inst_b", 60_000, 10),
        ]);
        expect([first.length, second.length].sort()).to.deep.equal([0, 1]);
        const owner = first.length ? "inst_a" : "inst_b";
        expect((first.length ? first : second)[0]).to.include({ root: ROOT, tsa: TSA_A, attempts: 1 });
        expect(await index.timestamps.recordToken(ROOT, TSA_A, "inst_x", TOKEN, T0)).to.equal(false);
        expect(await index.timestamps.recordToken(ROOT, TSA_A, owner, TOKEN, "2026-11-27T10:00:02.000Z")).to.equal(true);
        const [a, b] = await index.timestamps.forRoot(ROOT);
        expect(a).to.deep.equal({
          root: ROOT,
          tsa: TSA_A,
          status: "stamped",
          requestedAt: T0,
          attempts: 1,
          stamped: { ...TOKEN, stampedAt: "2026-11-27T10:00:02.000Z" },
        });
        expect(b).to.include({ tsa: TSA_B, status: "pending", attempts: 0 });
        expect(await index.timestamps.countByStatus()).to.deep.equal({ pending: 1, stamped: 1, abandoned: 0 });
      });

      it("makes a failed stamp due again after its retry delay, and gives up TSAs no longer configured", async () => {
        await index.timestamps.request(ROOT, [TSA_A, TSA_B], T0);
        const [claimed] = await index.timestamps.claimDue([TSA_A], "inst_a", 60_000, 10);
        expect(claimed!.tsa).to.equal(TSA_A);
        expect(await index.timestamps.anyDue([TSA_A])).to.equal(false); // claimed
        await index.timestamps.recordFailure(ROOT, TSA_A, "inst_a", "HTTP 503 from the TSA", 300);
        expect(await index.timestamps.anyDue([TSA_A])).to.equal(false);
        expect(await index.timestamps.claimDue([TSA_A], "inst_a", 60_000, 10)).to.deep.equal([]);
        await sleep(400);
        const [again] = await index.timestamps.claimDue([TSA_A], "inst_b", 60_000, 10);
        expect(again).to.include({ tsa: TSA_A, attempts: 2, lastError: "HTTP 503 from the TSA" });
        expect(await index.timestamps.abandonOthers([TSA_A], "no longer in TSA_URLS")).to.equal(1);
        expect((await index.timestamps.forRoot(ROOT)).map((t) => t.status)).to.deep.equal(["pending", "abandoned"]);
        expect(await index.timestamps.claimDue([TSA_B], "inst_b", 60_000, 10)).to.deep.equal([]);
      });

      it("takes a stamp back from an instance whose claim ran out", async () => {
        await index.timestamps.request(ROOT, [TSA_A], T0);
        expect(await index.timestamps.claimDue([TSA_A], "inst_a", 200, 10)).to.have.length(1);
        expect(await index.timestamps.claimDue([TSA_A], "inst_b", 60_000, 10)).to.deep.equal([]);
        await sleep(300);
        expect(await index.timestamps.claimDue([TSA_A], "inst_b", 60_000, 10)).to.have.length(1);
        expect(await index.timestamps.recordToken(ROOT, TSA_A, "inst_a", TOKEN, T0)).to.equal(false);
        expect(await index.timestamps.recordToken(ROOT, TSA_A, "inst_b", TOKEN, T0)).to.equal(true);
      });

      it("gives back a claim cut short by a shutdown: due at once, the attempt not counted, only by its owner", async () => {
        await index.timestamps.request(ROOT, [TSA_A], T0);
        expect(await index.timestamps.claimDue([TSA_A], "inst_a", 60_000, 10)).to.have.length(1);
        await index.timestamps.release(ROOT, TSA_A, "inst_b");
        expect(await index.timestamps.claimDue([TSA_A], "inst_b", 60_000, 10)).to.deep.equal([]);
        await index.timestamps.release(ROOT, TSA_A, "inst_a");
        const [again] = await index.timestamps.claimDue([TSA_A], "inst_b", 60_000, 10);
        expect(again).to.include({ root: ROOT, tsa: TSA_A, attempts: 1 });
      });
    });

    describe("the custody log", () => {
      const access = (evidenceId: string | undefined, n: number): NewCustodyEntry => ({
        at: T0,
        ...(evidenceId ? { evidenceId } : {}),
        accountId: "acc_a",
        keyId: "key_1",
        method: "GET",
        route: "/v1/evidence/:id",
        client: `203.0.113.${n}`,
        status: 200,
      });
      /** The rows as a page of the whole log, checked as any verifier would. */
      const verified = (rows: StoredCustodyEntry[]) =>
        verifyCustodyLog({
          format: CUSTODY_FORMAT,
          entries: rows.map((r) => ({
            seq: r.seq,
            prev: r.prev,
            hash: r.hash,
            entrySha256: sha256Hex(r.entryJson),
            entry: JSON.parse(r.entryJson),
          })),
          heads: [],
        });

      it("appends entries one after another, each chained to the one before, and finds an item's", async () => {
        expect(await index.custody.head()).to.deep.equal({ seq: 0, hash: GENESIS_HASH });
        const first = await index.custody.append(access("ev_1", 1));
        await index.custody.append(access(undefined, 2));
        const third = await index.custody.append(access("ev_1", 3));
        expect(first).to.deep.include({ seq: 1, prev: GENESIS_HASH, evidenceId: "ev_1" });
        expect(JSON.parse(first.entryJson) as CustodyEntry).to.deep.equal({ seq: 1, ...access("ev_1", 1) });
        expect(await index.custody.head()).to.deep.equal({ seq: 3, hash: third.hash });
        const rows = await index.custody.range(1, 3);
        expect(rows[0]).to.deep.equal(first);
        expect(rows.map((r) => r.evidenceId)).to.deep.equal(["ev_1", null, "ev_1"]);
        expect(verified(rows).problems).to.deep.equal([]);
        expect(await index.custody.seqsOf("ev_1")).to.deep.equal([1, 3]);
        expect(await index.custody.range(2, 2)).to.have.length(1);
      });

      it("writes an entry with the change it records, and drops both when the transaction fails", async () => {
        await index.transaction(async (tx) => {
          await tx.evidence.insert([evidence("ev_1", "acc_a")]);
          await tx.custody.append(access("ev_1", 1));
        });
        let error: unknown;
        await index
          .transaction(async (tx) => {
            await tx.evidence.insert([evidence("ev_2", "acc_a")]);
            await tx.custody.append(access("ev_2", 2));
            throw new Error("the upload failed");
          })
          .catch((e) => (error = e));
        expect((error as Error).message).to.equal("the upload failed");
        const next = await index.custody.append(access("ev_1", 3));
        expect(next.seq).to.equal(2); // the rolled-back entry took no place in the chain
        expect(await index.custody.seqsOf("ev_2")).to.deep.equal([]);
        expect(verified(await index.custody.range(1, 2)).ok).to.equal(true);
      });

      it("keeps one chain when two instances append at once, some inside transactions that fail", async () => {
        const other = peer ? await peer() : index;
        try {
          const appends = Array.from({ length: 40 }, (_, n) => {
            const store = n % 2 ? other : index;
            if (n % 5 === 4) {
              return store.transaction(async (tx) => {
                await tx.custody.append(access("ev_x", n));
                throw new Error("rolled back");
              });
            }
            return n % 3 ? store.custody.append(access("ev_1", n)) : store.transaction((tx) => tx.custody.append(access("ev_1", n)));
          });
          const results = await Promise.allSettled(appends);
          expect(results.filter((r) => r.status === "rejected")).to.have.length(8);
          const rows = await index.custody.range(1, 100);
          expect(rows.map((r) => r.seq)).to.deep.equal(Array.from({ length: 32 }, (_, i) => i + 1));
          expect(verified(rows).problems).to.deep.equal([]);
          expect(new Set(rows.map((r) => JSON.parse(r.entryJson).client)).size).to.equal(32);
          expect((await other.custody.head()).hash).to.equal(rows.at(-1)!.hash);
        } finally {
          if (other !== index) await other.close();
        }
      });

      it("finds the anchored heads around an entry; a head whose batch was given up does not count", async () => {
        for (let n = 1; n <= 6; n++) await index.custody.append(access("ev_1", n));
        const rows = await index.custody.range(1, 6);
        const headAt = async (batchId: string, seq: number, state: "anchored" | "abandoned" | "prepared") => {
          const root = `0x${sha256Hex(batchId)}`;
          await index.transaction(async (tx) => {
            await tx.batches.create({ id: batchId, root, createdAt: T0 });
            await tx.custody.recordBatchHead(batchId, { seq, hash: rows[seq - 1]!.hash, leaf: ["0x01", "0x02"], proof: ["0x03"] });
            if (state !== "prepared") await tx.batches.markAnchored(batchId, { ...ANCHOR, blockNumber: seq }, T0);
            if (state === "abandoned") await tx.batches.abandon(batchId, "lost", ["anchored"]);
          });
          return { seq, hash: rows[seq - 1]!.hash, leaf: ["0x01", "0x02"], proof: ["0x03"], root, anchor: { ...ANCHOR, blockNumber: seq } };
        };
        const two = await headAt("bt_2", 2, "anchored");
        await headAt("bt_3", 3, "abandoned");
        await headAt("bt_4", 4, "prepared");
        const five = await headAt("bt_5", 5, "anchored");
        expect(await index.custody.anchoredHeadFrom(1)).to.deep.equal(two);
        expect(await index.custody.anchoredHeadFrom(3)).to.deep.equal(five);
        expect(await index.custody.anchoredHeadFrom(6)).to.equal(null);
        expect(await index.custody.anchoredHeadBefore(5)).to.deep.equal(two);
        expect(await index.custody.anchoredHeadBefore(2)).to.equal(null);
        expect(await index.custody.anchoredHeadsIn(1, 6)).to.deep.equal([two, five]);
      });
    });

    describe("fixed certificates", () => {
      const certificate = (overrides: Partial<StoredCertificate> = {}): StoredCertificate => ({
        evidenceId: "ev_1",
        anchorTxHash: ANCHOR.txHash,
        sha256: sha256Hex("pdf of ev_1"),
        cid: "bafk-certificate-1",
        size: 52_114,
        createdAt: T0,
        signed: true,
        ...overrides,
      });

      it("records a certificate once per item and anchor, and gives it back as recorded", async () => {
        expect(await index.certificates.get("ev_1", ANCHOR.txHash)).to.equal(null);
        expect(await index.certificates.record(certificate())).to.deep.equal(certificate());
        expect(await index.certificates.get("ev_1", ANCHOR.txHash)).to.deep.equal(certificate());
        expect(await index.certificates.get("ev_1", "0x" + "cc".repeat(32))).to.equal(null);
        expect(await index.certificates.get("ev_2", ANCHOR.txHash)).to.equal(null);
      });

      it("keeps the first of certificates recorded at once for the same anchor, and tells every caller which", async () => {
        const made = [1, 2, 3].map((n) =>
          certificate({ sha256: sha256Hex(`pdf ${n}`), cid: `bafk-pdf-${n}`, size: n, signed: n % 2 === 0 }),
        );
        const recorded = await Promise.all(made.map((c) => index.certificates.record(c)));
        const kept = await index.certificates.get("ev_1", ANCHOR.txHash);
        expect(made.map((c) => c.cid)).to.include(kept!.cid);
        expect(recorded).to.deep.equal([kept, kept, kept]);
      });

      it("records a new certificate for the item's new anchor beside the old one", async () => {
        await index.certificates.record(certificate());
        const again = certificate({ anchorTxHash: "0x" + "cc".repeat(32), cid: "bafk-certificate-2", signed: false });
        expect(await index.certificates.record(again)).to.deep.equal(again);
        expect(await index.certificates.get("ev_1", ANCHOR.txHash)).to.deep.equal(certificate());
      });

      it("counts a certificate's content as referenced, so that it is never released", async () => {
        expect(await index.evidence.isContentReferenced("bafk-certificate-1")).to.equal(false);
        await index.certificates.record(certificate());
        expect(await index.evidence.isContentReferenced("bafk-certificate-1")).to.equal(true);
      });
    });

    describe("webhooks", () => {
      const hook = (id: string, accountId = "acc_a") => ({
        id,
        accountId,
        url: `https://hooks.example/${id}`,
        events: ["*"] as const,
        secret: `whsec_${id}`,
        createdAt: T0,
      });
      const queued = (webhookId: string, eventId: string) => ({
        id: `dlv_${webhookId}_${eventId}`,
        webhookId,
        eventId,
        eventType: "capture.finished",
        payload: `{"e":"${eventId}"}`,
        createdAt: T0,
      });

      it("keeps each account's webhooks to itself, and deletes one with its deliveries", async () => {
        await index.webhooks.create(hook("wh_1"));
        await index.webhooks.create(hook("wh_2", "acc_b"));
        expect((await index.webhooks.list("acc_a")).map((w) => [w.id, w.url, w.events])).to.deep.equal([
          ["wh_1", "https://hooks.example/wh_1", ["*"]],
        ]);
        expect(await index.webhooks.get("acc_b", "wh_1")).to.equal(undefined);
        expect(await index.webhooks.delete("acc_b", "wh_1")).to.equal(false);
        await index.webhooks.enqueue([queued("wh_1", "evt_1")]);
        expect(await index.webhooks.delete("acc_a", "wh_1")).to.equal(true);
        expect(await index.webhooks.deliveries("wh_1", 10)).to.deep.equal([]);
        expect((await index.webhooks.ofAccounts(["acc_a", "acc_b"])).map((w) => w.id)).to.deep.equal(["wh_2"]);
      });

      it("queues one delivery per webhook and event, and moves its cursor over the outbox", async () => {
        await index.webhooks.create(hook("wh_1"));
        expect(await index.webhooks.cursor()).to.equal(0);
        await index.webhooks.enqueue([queued("wh_1", "evt_1")]);
        await index.webhooks.enqueue([{ ...queued("wh_1", "evt_1"), id: "dlv_again" }]);
        expect((await index.webhooks.deliveries("wh_1", 10)).map((d) => [d.id, d.state, d.attempts])).to.deep.equal([
          ["dlv_wh_1_evt_1", "pending", 0],
        ]);
        await index.transaction(async (tx) => {
          expect(await tx.webhooks.cursor()).to.equal(0);
          await tx.webhooks.moveCursor(42);
        });
        expect(await index.webhooks.cursor()).to.equal(42);
      });

      it("never hands one delivery to two instances claiming at once", async () => {
        await index.webhooks.create(hook("wh_1"));
        await index.webhooks.enqueue(["evt_1", "evt_2", "evt_3", "evt_4", "evt_5"].map((e) => queued("wh_1", e)));
        const [a, b] = await Promise.all([index.webhooks.claimDue("inst_a", 60_000, 3), index.webhooks.claimDue("inst_b", 60_000, 3)]);
        expect([...a, ...b].map((d) => d.eventId).sort()).to.deep.equal(["evt_1", "evt_2", "evt_3", "evt_4", "evt_5"]);
        expect(a[0]).to.deep.include({ url: "https://hooks.example/wh_1", secret: "whsec_wh_1", attempts: 1 });
      });

      it("records an attempt only under its claim, makes a failure due again later, and redelivers", async () => {
        await index.webhooks.create(hook("wh_1"));
        await index.webhooks.enqueue([queued("wh_1", "evt_1")]);
        const [claimed] = await index.webhooks.claimDue("inst_a", 60_000, 1);
        expect(await index.webhooks.claimDue("inst_b", 60_000, 1)).to.deep.equal([]);
        const failure = { at: T0, status: 500, error: "answered 500" };
        expect(await index.webhooks.recordAttempt(claimed!.id, "inst_b", failure, { state: "pending", retryInMs: 200 })).to.equal(false);
        expect(await index.webhooks.recordAttempt(claimed!.id, "inst_a", failure, { state: "pending", retryInMs: 200 })).to.equal(true);
        expect(await index.webhooks.claimDue("inst_b", 60_000, 1)).to.deep.equal([]); // not due yet
        await sleep(300);
        const [again] = await index.webhooks.claimDue("inst_b", 60_000, 1);
        expect(again!.attempts).to.equal(2);
        expect(await index.webhooks.recordAttempt(again!.id, "inst_b", { at: T0, error: "timeout" }, { state: "dead" })).to.equal(true);
        let [listed] = await index.webhooks.deliveries("wh_1", 10);
        expect(listed!.state).to.equal("dead");
        expect(listed!.attemptLog.map((a) => [a.attempt, a.status ?? null, a.error, typeof a.nextAttemptAt])).to.deep.equal([
          [1, 500, "answered 500", "string"],
          [2, null, "timeout", "undefined"],
        ]);
        expect(await index.webhooks.redeliver("wh_1", "dlv_nope")).to.equal(false);
        expect(await index.webhooks.redeliver("wh_1", again!.id)).to.equal(true);
        [listed] = await index.webhooks.deliveries("wh_1", 10);
        expect(listed!.state).to.equal("pending");
        const [third] = await index.webhooks.claimDue("inst_a", 60_000, 1);
        expect([third!.attempts, third!.elapsedMs < 5000]).to.deep.equal([3, true]);
      });

      it("gives back a claim cut short by a shutdown: due at once, the attempt not counted, only by its owner", async () => {
        await index.webhooks.create(hook("wh_1"));
        await index.webhooks.enqueue([queued("wh_1", "evt_1")]);
        const [claimed] = await index.webhooks.claimDue("inst_a", 60_000, 1);
        expect(await index.webhooks.release([claimed!.id], "inst_b")).to.equal(0);
        expect(await index.webhooks.claimDue("inst_b", 60_000, 1)).to.deep.equal([]);
        expect(await index.webhooks.release([claimed!.id], "inst_a")).to.equal(1);
        const [again] = await index.webhooks.claimDue("inst_b", 60_000, 1);
        expect([again!.id, again!.attempts]).to.deep.equal([claimed!.id, 1]);
        const [listed] = await index.webhooks.deliveries("wh_1", 10);
        expect([listed!.state, listed!.attemptLog]).to.deep.equal(["pending", []]);
      });
    });

    describe("content to release and rate limits", () => {
      it("queues CIDs to release, moving a repeated one back, and forgets them", async () => {
        await index.releases.request(["bafy1", "bafy2"], "2026-11-27T10:00:00.000Z");
        await index.releases.request(["bafy1"], "2026-11-27T10:05:00.000Z");
        expect(await index.releases.due("2026-11-27T10:01:00.000Z", 10)).to.deep.equal(["bafy2"]);
        expect(await index.releases.due("2026-11-27T10:06:00.000Z", 10)).to.deep.equal(["bafy2", "bafy1"]);
        await index.releases.forget("bafy2");
        expect(await index.releases.due("2026-11-27T10:06:00.000Z", 10)).to.deep.equal(["bafy1"]);
      });

      it("counts hits per key and window, also when they arrive together", async () => {
        const hits = await Promise.all([1, 2, 3].map(() => index.rateLimits.hit("203.0.113.9", 60_000)));
        expect(hits.sort()).to.deep.equal([1, 2, 3]);
        expect(await index.rateLimits.hit("203.0.113.9", 120_000)).to.equal(1);
        expect(await index.rateLimits.hit("198.51.100.7", 60_000)).to.equal(1);
        await index.rateLimits.prune(120_000);
        expect(await index.rateLimits.hit("203.0.113.9", 60_000)).to.equal(1);
      });
    });

    describe("idempotency keys", () => {
      const at = (minute: number) => `2026-11-27T10:${String(minute).padStart(2, "0")}:00.000Z`;
      const answer = { status: 201, body: '{"id":"ev_1"}', location: "/v1/evidence/ev_1" };

      it("gives a key to one of several requests racing for it, then its answer to every retry", async () => {
        const claims = await Promise.all([1, 2, 3].map(() => index.idempotencyKeys.claim("acc_a", "k1", "f1", at(0), at(10))));
        expect(claims.filter((c) => c.state === "claimed")).to.have.length(1);
        expect(claims.filter((c) => c.state === "running")).to.deep.equal([
          { state: "running", fingerprint: "f1" },
          { state: "running", fingerprint: "f1" },
        ]);
        await index.idempotencyKeys.complete("acc_a", "k1", answer, at(30));
        expect(await index.idempotencyKeys.claim("acc_a", "k1", "f2", at(1), at(11))).to.deep.equal({
          state: "done",
          fingerprint: "f1",
          answer,
        });
        expect(await index.idempotencyKeys.claim("acc_b", "k1", "f2", at(1), at(11))).to.deep.equal({ state: "claimed" });
      });

      it("lets a released key, an expired hold and an expired answer be claimed again, and prunes expired keys", async () => {
        await index.idempotencyKeys.claim("acc_a", "k2", "f1", at(0), at(10));
        await index.idempotencyKeys.release("acc_a", "k2");
        expect(await index.idempotencyKeys.claim("acc_a", "k2", "f2", at(1), at(11))).to.deep.equal({ state: "claimed" });
        expect(await index.idempotencyKeys.claim("acc_a", "k2", "f3", at(11), at(21))).to.deep.equal({ state: "claimed" });
        await index.idempotencyKeys.complete("acc_a", "k2", { ...answer, location: undefined }, at(30));
        await index.idempotencyKeys.release("acc_a", "k2"); // a done key is not released
        expect(await index.idempotencyKeys.claim("acc_a", "k2", "f3", at(29), at(39))).to.deep.equal({
          state: "done",
          fingerprint: "f3",
          answer: { ...answer, location: undefined },
        });
        expect(await index.idempotencyKeys.claim("acc_a", "k2", "f4", at(30), at(40))).to.deep.equal({ state: "claimed" });
        await index.idempotencyKeys.prune(at(41));
        expect(await index.idempotencyKeys.claim("acc_a", "k2", "f5", at(0), at(5))).to.deep.equal({ state: "claimed" });
      });

      it("frees the keys of requests that never answered, and keeps the answers", async () => {
        await index.idempotencyKeys.claim("acc_a", "held", "f1", at(0), at(10));
        await index.idempotencyKeys.claim("acc_a", "answered", "f1", at(0), at(10));
        await index.idempotencyKeys.complete("acc_a", "answered", answer, at(30));
        expect(await index.idempotencyKeys.releaseRunning()).to.equal(1);
        expect(await index.idempotencyKeys.claim("acc_a", "held", "f2", at(1), at(11))).to.deep.equal({ state: "claimed" });
        expect((await index.idempotencyKeys.claim("acc_a", "answered", "f1", at(1), at(11))).state).to.equal("done");
      });
    });
    describe("notices", () => {
      const notice = (id: string, changes: Partial<NoticeRecord> = {}): NoticeRecord => ({
        id,
        notifierId: "acc_a",
        platformId: "acc_p",
        status: "filed",
        filedAt: T0,
        decisionDueAt: "2026-11-28T10:00:00.000Z",
        decidedAt: null,
        overdueAt: null,
        restorationDueAt: null,
        closedAt: null,
        listings: [{ url: "https://marketplace.example/item/1", listingId: "1" }],
        summary: { right: { type: "trademark", owner: "Owner", jurisdiction: "EU" }, notifierName: "A" },
        ...changes,
      });
      beforeEach(async () => {
        await index.accounts.create({ id: "acc_p", name: "Platform", role: "platform", createdAt: T0 });
        await index.accounts.create({
          id: "acc_r",
          name: "Seller",
          role: "respondent",
          platformId: "acc_p",
          sellerIds: ["s-1"],
          createdAt: T0,
        });
      });

      it("lists a case's captures by step, each step's in the order they were queued, whatever their ids", async () => {
        await index.notices.create(notice("ntc_1"), []);
        const capture = (id: string) =>
          index.captures.create({ id, accountId: "acc_a", url: `https://marketplace.example/item/${id}`, requestedAt: T0 });
        for (const id of ["cap_z", "cap_a", "cap_m"]) await capture(id);
        const tie = (captureId: string, listingId: string, eventSeq: number) =>
          ({ noticeId: "ntc_1", captureId, listingId, purpose: eventSeq === 1 ? "reported" : "takedown", eventSeq }) as const;
        await index.notices.addCaptures([tie("cap_m", "3", 3), tie("cap_z", "1", 1), tie("cap_a", "2", 1)]);
        expect((await index.notices.captures("ntc_1")).map((c) => [c.eventSeq, c.captureId])).to.deep.equal([
          [1, "cap_z"],
          [1, "cap_a"],
          [3, "cap_m"],
        ]);
      });

      it("shows each party only its cases: the notifier, the platform, and respondents by seller id", async () => {
        await index.notices.create(notice("ntc_1"), []);
        await index.notices.create(notice("ntc_2", { notifierId: "acc_b", filedAt: "2026-11-27T11:00:00.000Z" }), ["s-2"]);
        const ids = async (viewer: Parameters<IndexStore["notices"]["list"]>[0], filter = {}) =>
          (await index.notices.list(viewer, filter, { limit: 10 })).map((n) => n.id);
        expect(await ids({ role: "rights-holder", accountId: "acc_a" })).to.deep.equal(["ntc_1"]);
        expect(await ids({ role: "platform", accountId: "acc_p" })).to.deep.equal(["ntc_2", "ntc_1"]);
        expect(await ids({ role: "platform", accountId: "acc_b" })).to.deep.equal([]);
        expect(await ids({ role: "admin" })).to.deep.equal(["ntc_2", "ntc_1"]);
        const respondent = { role: "respondent" as const, platformId: "acc_p", sellerIds: ["s-1"] };
        expect(await ids(respondent)).to.deep.equal([]);
        expect(await index.notices.parties("ntc_1")).to.deep.equal(["acc_a", "acc_p"]);
        await index.notices.update("ntc_1", { status: "decided" }, ["s-1"]);
        expect(await ids(respondent)).to.deep.equal(["ntc_1"]);
        expect(await index.notices.isParty("ntc_1", respondent)).to.equal(true);
        expect(await index.notices.isParty("ntc_2", respondent)).to.equal(false);
        expect(await index.notices.parties("ntc_1")).to.deep.equal(["acc_a", "acc_p", "acc_r"]);
        expect(await ids({ role: "admin" }, { status: "decided" })).to.deep.equal(["ntc_1"]);
        expect(await ids({ role: "admin" }, { from: "2026-11-27T10:30:00.000Z" })).to.deep.equal(["ntc_2"]);
        expect((await index.notices.list({ role: "admin" }, {}, { limit: 10, before: "ntc_2" })).map((n) => n.id)).to.deep.equal(["ntc_1"]);
      });

      it("numbers a case's steps one after another", async () => {
        await index.notices.create(notice("ntc_1"), []);
        const step = (id: string) => ({
          noticeId: "ntc_1",
          id,
          type: "notice.filed" as const,
          actorId: "acc_a",
          at: T0,
          evidenceId: null,
          data: { n: id },
        });
        expect((await index.notices.appendEvent(step("evt_1"))).seq).to.equal(1);
        expect((await index.notices.appendEvent(step("evt_2"))).seq).to.equal(2);
        expect((await index.notices.events("ntc_1")).map((e) => [e.seq, e.id, e.data])).to.deep.equal([
          [1, "evt_1", { n: "evt_1" }],
          [2, "evt_2", { n: "evt_2" }],
        ]);
      });

      it("fires each due timer once across instances, and not one that was cancelled or is not due", async () => {
        await index.notices.create(notice("ntc_1"), []);
        await index.notices.create(notice("ntc_2"), []);
        await index.notices.setTimer({ id: "tmr_1", noticeId: "ntc_1", kind: "decision-due", runAt: "2026-11-28T10:00:00.000Z" });
        await index.notices.setTimer({ id: "tmr_2", noticeId: "ntc_2", kind: "decision-due", runAt: "2026-11-28T10:00:00.000Z" });
        await index.notices.setTimer({ id: "tmr_3", noticeId: "ntc_2", kind: "restoration-due", runAt: "2026-12-18T10:00:00.000Z" });
        await index.notices.cancelTimer("ntc_2", "decision-due");
        expect(await index.notices.claimDueTimers("2026-11-28T09:59:59.999Z", "one", 60_000, 10)).to.deep.equal([]);
        const other = peer ? await peer() : index;
        try {
          const [a, b] = await Promise.all([
            index.notices.claimDueTimers("2026-11-28T10:00:00.000Z", "one", 60_000, 10),
            other.notices.claimDueTimers("2026-11-28T10:00:00.000Z", "two", 60_000, 10),
          ]);
          expect([...a, ...b].map((t) => [t.id, t.kind])).to.deep.equal([["tmr_1", "decision-due"]]);
          const owner = a.length ? "one" : "two";
          expect(await index.notices.finishTimer("tmr_1", owner === "one" ? "two" : "one")).to.equal(false);
          expect(await index.notices.finishTimer("tmr_1", owner)).to.equal(true);
        } finally {
          if (other !== index) await other.close();
        }
        expect((await index.notices.pendingTimers("ntc_2")).map((t) => [t.kind, t.runAt])).to.deep.equal([
          ["restoration-due", "2026-12-18T10:00:00.000Z"],
        ]);
        const [claimed] = await index.notices.claimDueTimers("2026-12-18T10:00:00.000Z", "one", 60_000, 10);
        expect(await index.notices.postponeTimer(claimed!.id, "one", "2026-12-18T10:00:02.000Z")).to.equal(true);
        expect(await index.notices.claimDueTimers("2026-12-18T10:00:01.000Z", "one", 60_000, 10)).to.deep.equal([]);
        expect((await index.notices.claimDueTimers("2026-12-18T10:00:02.000Z", "two", 60_000, 10)).map((t) => t.id)).to.deep.equal([
          "tmr_3",
        ]);
      });
    });
  });
}
