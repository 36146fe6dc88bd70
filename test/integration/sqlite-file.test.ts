/** The index on a real file: migrations run once, records survive a reopen, WAL with full sync. */
import { expect } from "chai";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { SQLITE_MIGRATIONS } from "../../src/adapters/index/sqlite/migrations.ts";
import { evidence } from "../contract-suite/index-store.ts";
import { tempDir } from "../helpers/temp.ts";

describe("the SQLite index on a file", () => {
  const dir = tempDir("sqlite-");
  after(() => dir.remove());

  it("migrates a new file once, and keeps records and accounts across a reopen", async () => {
    const path = join(dir.path, "nested", "index.sqlite");
    const first = await openSqliteIndex(path);
    await first.accounts.create({ id: "acc_1", name: "a", role: "admin", createdAt: "2026-01-01T00:00:00Z" });
    await first.evidence.insert([evidence("ev_1", "acc_1")]);
    await first.close();

    const second = await openSqliteIndex(path);
    expect((await second.evidence.get("acc_1", "ev_1"))!.status).to.equal("pending");
    expect(await second.accounts.count()).to.equal(1);
    await second.close();

    const raw = new DatabaseSync(path, { readOnly: true });
    const versions = raw
      .prepare("SELECT version FROM schema_migrations ORDER BY version")
      .all()
      .map((r) => Number(r.version));
    const journal = raw.prepare("PRAGMA journal_mode").get()!.journal_mode;
    raw.close();
    expect(versions).to.deep.equal(SQLITE_MIGRATIONS.map((m) => m.version));
    expect(journal).to.equal("wal");
  });

  it("commits what was accepted before it closes, and refuses what comes after", async () => {
    const path = join(dir.path, "closing.sqlite");
    const index = await openSqliteIndex(path);
    await index.accounts.create({ id: "acc_1", name: "a", role: "admin", createdAt: "2026-01-01T00:00:00Z" });
    const accepted = index.evidence.insert([evidence("ev_1", "acc_1")]);
    await index.close();
    await accepted;
    let error: unknown;
    await index.evidence.insert([evidence("ev_2", "acc_1")]).catch((e) => (error = e));
    expect(String(error)).to.match(/The index is unavailable: the index is closed/);
    const again = await openSqliteIndex(path);
    expect((await again.evidence.get("acc_1", "ev_1"))!.id).to.equal("ev_1");
    await again.close();
  });

  it("waits for a lock another program holds without stopping the process, then gives up with INDEX_UNAVAILABLE", async () => {
    const path = join(dir.path, "locked.sqlite");
    const index = await openSqliteIndex(path, { lockWaitMs: 1500 });
    await index.accounts.create({ id: "acc_1", name: "a", role: "admin", createdAt: "2026-01-01T00:00:00Z" });
    // Another program (an operator's sqlite3 shell, say) holds the write lock.
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    try {
      // Released within the wait: the write goes through, and the process kept running meanwhile.
      const waiting = index.evidence.insert([evidence("ev_1", "acc_1")]);
      const ticks: number[] = [];
      const ticker = setInterval(() => ticks.push(Date.now()), 50);
      await new Promise((r) => setTimeout(r, 600));
      clearInterval(ticker);
      expect(Math.max(...ticks.slice(1).map((t, i) => t - ticks[i]!)), "the longest pause between two ticks (ms)").to.be.below(400);
      expect(await index.evidence.get("acc_1", "ev_1")).to.equal(null);
      other.exec("ROLLBACK");
      await waiting;
      expect((await index.evidence.get("acc_1", "ev_1"))!.id).to.equal("ev_1");

      // Held past the wait: refused as INDEX_UNAVAILABLE, each write at the end of its own wait (one queued
      // behind another waits no longer), nothing written, and the next write works.
      other.exec("BEGIN IMMEDIATE");
      const refusedAfter = async (id: string) => {
        const started = Date.now();
        const error = await index.evidence.insert([evidence(id, "acc_1")]).then(
          () => null,
          (e: unknown) => e,
        );
        return { code: (error as { code?: string })?.code, waitedMs: Date.now() - started };
      };
      const first = refusedAfter("ev_2");
      await new Promise((r) => setTimeout(r, 600));
      const [a, b] = await Promise.all([first, refusedAfter("ev_4")]);
      other.exec("ROLLBACK");
      for (const waited of [a, b]) {
        expect(waited.code).to.equal("INDEX_UNAVAILABLE");
        expect(waited.waitedMs, "waited (ms)").to.be.within(1500, 2100);
      }
      expect(await index.evidence.get("acc_1", "ev_2")).to.equal(null);
      expect(await index.evidence.get("acc_1", "ev_4")).to.equal(null);
      await index.evidence.insert([evidence("ev_3", "acc_1")]);
      expect((await index.evidence.get("acc_1", "ev_3"))!.id).to.equal("ev_3");
    } finally {
      if (other.isTransaction) other.exec("ROLLBACK");
      other.close();
      await index.close();
    }
  });
});
