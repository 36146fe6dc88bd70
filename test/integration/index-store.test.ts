/**
 * The index contract (test/contract-suite/index-store.ts), unchanged, on the stores as they run: SQLite
 * on a file (a writer and a read-only connection, WAL), and PostgreSQL on a real server started here.
 */
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
});
