/** The index on a real file: migrations run once, records survive a reopen, WAL with full sync. */
import { expect } from "chai";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteIndex } from "../../src/adapters/sqlite/sqlite-index.ts";
import { MIGRATIONS } from "../../src/adapters/sqlite/migrations.ts";
import { tempDir } from "../helpers/temp.ts";

describe("SqliteIndex on a file", () => {
  const dir = tempDir("sqlite-");
  after(() => dir.remove());

  it("migrates a new file once, and keeps records and accounts across a reopen", async () => {
    const path = join(dir.path, "nested", "index.sqlite");
    const first = new SqliteIndex(path);
    first.createAccount({ id: "acc_1", name: "a", role: "admin", createdAt: "2026-01-01T00:00:00Z" });
    await first.insert({
      id: "ev_1", accountId: "acc_1", kind: "document", sha256: "a".repeat(64), size: 1, mediaType: "text/plain", cid: "bafk",
      metadata: { id: "ev_1", kind: "document", sha256: "a".repeat(64), size: 1, mediaType: "text/plain", cid: "bafk", receivedAt: "2026-01-01T00:00:00Z" },
      metadataSha256: "b".repeat(64), receivedAt: "2026-01-01T00:00:00Z",
    });
    first.close();

    const second = new SqliteIndex(path);
    expect(second.get("acc_1", "ev_1")!.status).to.equal("pending");
    expect(second.countAccounts()).to.equal(1);
    second.close();

    const raw = new DatabaseSync(path, { readOnly: true });
    const versions = raw.prepare("SELECT version FROM schema_migrations ORDER BY version").all().map((r) => Number(r.version));
    const journal = raw.prepare("PRAGMA journal_mode").get()!.journal_mode;
    raw.close();
    expect(versions).to.deep.equal(MIGRATIONS.map((m) => m.version));
    expect(journal).to.equal("wal");
  });
});
