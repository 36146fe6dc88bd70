import { expect } from "chai";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import pg from "pg";
import { POSTGRES_MAJOR, postgresProcesses, startPostgres } from "../helpers/postgres.ts";

const serverFolders = () =>
  readdirSync(tmpdir())
    .filter((name) => name.startsWith("evidence-pg-"))
    .sort();

describe("the PostgreSQL server the tests start", () => {
  it("keeps a committed row through a kill -9 and a restart, and leaves no folder and no process once stopped", async () => {
    const server = await startPostgres();
    const pool = new pg.Pool({ connectionString: server.url, max: 1 });
    const poolErrors: string[] = [];
    pool.on("error", (error) => poolErrors.push(error.message));

    const {
      rows: [who],
    } = await pool.query("SELECT current_user, current_database(), version()");
    expect(who.current_user).to.equal("evidence");
    expect(who.current_database).to.equal("evidence");
    expect(who.version).to.match(new RegExp(`^PostgreSQL ${POSTGRES_MAJOR}\\.\\d+ \\(Debian `));
    expect(server.url).to.equal(`postgres://evidence@127.0.0.1:${server.port}/evidence`);

    await pool.query("CREATE TABLE evidence (id text PRIMARY KEY, sha256 text NOT NULL)");
    await pool.query("INSERT INTO evidence VALUES ($1, $2)", ["ev-1", "a".repeat(64)]);
    expect((await pool.query("SELECT * FROM evidence")).rows).to.deep.equal([{ id: "ev-1", sha256: "a".repeat(64) }]);

    await server.kill9();
    expect(postgresProcesses(server.dataDir)).to.deep.equal([]);
    await server.restart();

    // The pool's connection died with the server; a new one reads the row committed before the crash.
    expect(poolErrors).to.deep.equal(["Connection terminated unexpectedly"]);
    expect((await pool.query("SELECT * FROM evidence")).rows).to.deep.equal([{ id: "ev-1", sha256: "a".repeat(64) }]);
    expect(server.log()).to.include("database system was interrupted");
    await pool.end();

    await server.stop();
    expect(existsSync(server.folder)).to.equal(false);
    expect(postgresProcesses(server.dataDir)).to.deep.equal([]);
  });

  it("runs servers side by side, each with its own port, folder and data", async () => {
    const servers = await Promise.all([startPostgres(), startPostgres({ database: "second", user: "other" })]);
    try {
      expect(servers[0].port).to.not.equal(servers[1].port);
      expect(servers[0].folder).to.not.equal(servers[1].folder);
      for (const [i, server] of servers.entries()) {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        await client.query("CREATE TABLE t (n int)");
        await client.query("INSERT INTO t VALUES ($1)", [i]);
        await client.end();
      }
      const rows = [];
      for (const server of servers) {
        const client = new pg.Client({ connectionString: server.url });
        await client.connect();
        rows.push((await client.query("SELECT current_user, n FROM t")).rows);
        await client.end();
      }
      expect(rows).to.deep.equal([[{ current_user: "evidence", n: 0 }], [{ current_user: "other", n: 1 }]]);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
    for (const server of servers) expect(postgresProcesses(server.dataDir)).to.deep.equal([]);
  });

  it("fails with the server's log when the server cannot start, and removes its folder", async () => {
    const before = serverFolders();
    let failure: Error | undefined;
    try {
      await startPostgres({ settings: { shared_buffers: "lots" } });
    } catch (error) {
      failure = error as Error;
    }
    expect(failure?.message).to.match(/^postgres exited \(1\) before accepting connections/);
    expect(failure?.message).to.include(`invalid value for parameter "shared_buffers": "lots"`);
    expect(serverFolders()).to.deep.equal(before);
  });
});
