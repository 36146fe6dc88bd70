/**
 * The index contract (test/contract-suite/index-store.ts), unchanged, on the stores as they run: SQLite
 * on a file (a writer and a read-only connection, WAL), and PostgreSQL on a real server started here.
 */
import { expect } from "chai";
import { join } from "node:path";
import pg from "pg";
import { openPostgresIndex, openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { describeIndexStore } from "../contract-suite/index-store.ts";
import { startPostgres, type PostgresServer } from "../helpers/postgres.ts";
import { tempDir } from "../helpers/temp.ts";

describe("the index contract on real stores", function () {
  this.timeout(60_000);
  const dir = tempDir("index-store-");
  let server: PostgresServer;
  let databases = 0;

  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
    dir.remove();
  });

  let file = "";
  describeIndexStore(
    "SQLite (a file)",
    () => openSqliteIndex((file = join(dir.path, `index-${++databases}.sqlite`))),
    undefined,
    () => openSqliteIndex(file),
  );

  let url = "";
  describeIndexStore(
    "PostgreSQL (a real server)",
    async () => {
      // A fresh database for each test, so that none depends on another's rows.
      const name = `contract_${++databases}`;
      const admin = new pg.Client({ connectionString: server.url.replace("//evidence@", "//postgres@") });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name} OWNER evidence`);
      await admin.end();
      return openPostgresIndex((url = server.url.replace(/\/[^/]+$/, `/${name}`)));
    },
    undefined,
    () => openPostgresIndex(url),
  );

  it("PostgreSQL: a connection the server ends while a transaction holds it fails that transaction with INDEX_UNAVAILABLE, and nothing else", async () => {
    const index = await openPostgresIndex(server.url);
    const admin = new pg.Client({ connectionString: server.url.replace("//evidence@", "//postgres@") });
    await admin.connect();
    const outOfBand: unknown[] = [];
    const record = (error: unknown) => outOfBand.push(error);
    // Mocha's own handlers are set aside: the point is to see whether the process would have crashed.
    const mochaHandlers = process.listeners("uncaughtException");
    process.removeAllListeners("uncaughtException");
    process.on("uncaughtException", record);
    try {
      const failed = await index
        .transaction(async (tx) => {
          await tx.accounts.count();
          // Between two statements, while no query is running on it, the server ends the connection.
          await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'evidence' AND pid <> pg_backend_pid()",
          );
          await new Promise((resolve) => setTimeout(resolve, 300));
          return tx.accounts.count();
        })
        .then(
          () => "committed",
          (error: { code?: string }) => error.code ?? String(error),
        );
      expect(failed).to.equal("INDEX_UNAVAILABLE");
      expect(outOfBand.map(String)).to.deep.equal([]);
      expect(await index.accounts.count()).to.equal(0); // a new connection serves the next call
    } finally {
      process.removeListener("uncaughtException", record);
      for (const handler of mochaHandlers) process.on("uncaughtException", handler);
      await admin.end();
      await index.close();
    }
  });
});
