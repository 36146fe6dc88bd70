import { expect } from "chai";
import { SqliteIndex } from "../../src/adapters/sqlite/sqlite-index.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import type { EvidenceRecord } from "../../src/ports/repositories.ts";

function record(id: string, accountId: string, content = id): Omit<EvidenceRecord, "status"> {
  const sha256 = sha256Hex(content);
  const metadata = { id, kind: "document" as const, sha256, size: content.length, mediaType: "text/plain", cid: "bafk", receivedAt: "2026-01-01T00:00:00Z" };
  return { id, accountId, kind: "document", sha256, size: content.length, mediaType: "text/plain", cid: "bafk", metadata, metadataSha256: sha256Hex(id), receivedAt: metadata.receivedAt };
}

describe("SqliteIndex", () => {
  function withAccounts() {
    const index = new SqliteIndex(":memory:");
    for (const id of ["acc_a", "acc_b"]) index.createAccount({ id, name: id, role: "member", createdAt: "2026-01-01T00:00:00Z" });
    return index;
  }

  it("shows an account only its own evidence", async () => {
    const index = withAccounts();
    await index.insert(record("ev_1", "acc_a"), record("ev_2", "acc_b"));
    expect(index.get("acc_a", "ev_1")!.id).to.equal("ev_1");
    expect(index.get("acc_a", "ev_2")).to.equal(null);
    expect(index.list("acc_a", { limit: 10 }).items.map((r) => r.id)).to.deep.equal(["ev_1"]);
  });

  it("inserts several records all or nothing", async () => {
    const index = withAccounts();
    let error: unknown;
    await index.insert(record("ev_1", "acc_a"), record("ev_1", "acc_a")).catch((e) => (error = e));
    expect(String(error)).to.match(/UNIQUE/);
    expect(index.countByStatus().pending).to.equal(0);
  });

  it("commits concurrent inserts together, and refuses only the caller whose rows are bad", async () => {
    const index = withAccounts();
    await index.insert(record("ev_taken", "acc_a"));
    const results = await Promise.allSettled([
      index.insert(record("ev_1", "acc_a")),
      index.insert(record("ev_taken", "acc_b")),
      index.insert(record("ev_2", "acc_b"), record("ev_3", "acc_b")),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    expect(index.countByStatus().pending).to.equal(4);
    expect(index.get("acc_b", "ev_taken")).to.equal(null);
  });

  it("pages through a list in upload order with an opaque cursor, and filters by sha256", async () => {
    const index = withAccounts();
    for (let i = 0; i < 5; i++) await index.insert(record(`ev_${i}`, "acc_a", i % 2 ? "same" : `c${i}`));
    const first = index.list("acc_a", { limit: 2 });
    const second = index.list("acc_a", { limit: 2, cursor: first.nextCursor! });
    const third = index.list("acc_a", { limit: 2, cursor: second.nextCursor! });
    expect([...first.items, ...second.items, ...third.items].map((r) => r.id)).to.deep.equal(["ev_0", "ev_1", "ev_2", "ev_3", "ev_4"]);
    expect(third.nextCursor).to.equal(null);
    expect(index.list("acc_a", { limit: 10, sha256: sha256Hex("same") }).items.map((r) => r.id)).to.deep.equal(["ev_1", "ev_3"]);
  });

  it("assigns an item to at most one live batch", async () => {
    const index = withAccounts();
    await index.insert(record("ev_1", "acc_a"));
    const proofs = { ev_1: { leaf: ["0x1", "0x2"] as [string, string], proof: [] } };
    index.createBatch({ id: "bt_1", root: "0xr1", itemIds: ["ev_1"], proofs });
    expect(() => index.createBatch({ id: "bt_2", root: "0xr2", itemIds: ["ev_1"], proofs })).to.throw(/no longer waiting/);
    expect(index.openBatches().map((b) => b.id)).to.deep.equal(["bt_1"]);
    expect(index.nextPending(10)).to.deep.equal([]);
  });

  it("can be checked and closed more than once (shutdown paths may overlap)", () => {
    const index = new SqliteIndex(":memory:");
    expect(() => index.check()).not.to.throw();
    index.close();
    index.close();
  });
});
