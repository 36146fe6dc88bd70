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
});
