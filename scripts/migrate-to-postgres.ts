/**
 * Copies the embedded SQLite index into PostgreSQL, for a user who grows out of one machine:
 *
 *   npm run migrate-to-postgres -- --from DATA_DIR/index.sqlite --to postgres://user@host/db
 *
 * The source is brought to the current schema first (as a start of the service would), then every table
 * is copied in one PostgreSQL transaction, rows in their order (sequence numbers kept, so list cursors
 * stay valid), and the counts are compared. The target must be empty. Stop the service first: this
 * copies what is committed when it runs. The content (IPFS blocks) and the chain are not touched: point
 * the instances at a Kubo node holding the blocks (or a shared block store) and at the same chain.
 */
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import pg from "pg";
import { openPostgresIndex, openSqliteIndex } from "../src/adapters/index/sql-index-store.ts";

/** Parents before children (foreign keys), and every table whose rows are the service's record. */
const TABLES = [
  "accounts",
  "api_keys",
  "batches",
  "anchors",
  "timestamps",
  "evidence",
  "captures",
  "content_releases",
  "outbox",
  "custody_log",
  "batch_custody_heads",
] as const;
const SEQUENCES: Record<string, string> = { evidence: "seq", captures: "seq", outbox: "seq", timestamps: "seq" };

export async function migrateToPostgres(
  from: string,
  to: string,
  log: (line: string) => void = console.log,
): Promise<Record<string, number>> {
  await (await openSqliteIndex(from)).close(); // the source's schema up to date
  await (await openPostgresIndex(to)).close(); // the target's schema in place
  const source = new DatabaseSync(from, { readOnly: true });
  const client = new pg.Client({ connectionString: to });
  await client.connect();
  const copied: Record<string, number> = {};
  try {
    for (const table of ["accounts", "evidence"]) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
      if (rows[0].n > 0) throw new Error(`the target already holds ${table}: migrate into an empty database`);
    }
    await client.query("BEGIN");
    for (const table of TABLES) {
      const rows = source.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all() as Record<string, unknown>[];
      for (let i = 0; i < rows.length; i += 200) {
        const chunk = rows.slice(i, i + 200);
        const columns = Object.keys(chunk[0]!);
        const values: unknown[] = [];
        const tuples = chunk.map((row) => `(${columns.map((c) => `$${values.push(row[c] ?? null)}`).join(", ")})`);
        await client.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
      }
      const sequence = SEQUENCES[table];
      if (sequence && rows.length)
        await client.query(`SELECT setval(pg_get_serial_sequence('${table}', '${sequence}'), (SELECT max(${sequence}) FROM ${table}))`);
      copied[table] = rows.length;
    }
    // The custody log's head is one row the target's migration made: it moves to the source's head.
    const head = source.prepare("SELECT seq, hash FROM custody_head WHERE id = 1").get() as { seq: number; hash: string };
    await client.query("UPDATE custody_head SET seq = $1, hash = $2 WHERE id = 1", [head.seq, head.hash]);
    for (const table of TABLES) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
      if (rows[0].n !== copied[table]) throw new Error(`${table}: ${copied[table]} rows read, ${rows[0].n} in the target`);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    await client.end();
    source.close();
  }
  for (const table of TABLES) log(`${table.padEnd(17)} ${copied[table]} rows`);
  return copied;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { from: { type: "string" }, to: { type: "string" } } });
  const from = values.from ?? `${process.env.DATA_DIR ?? "./data"}/index.sqlite`;
  const to = values.to ?? process.env.DATABASE_URL;
  if (!to) {
    console.error("usage: npm run migrate-to-postgres -- --from DATA_DIR/index.sqlite --to postgres://user@host/database");
    process.exit(2);
  }
  migrateToPostgres(from, to).then(
    () => console.log(`copied ${from} into PostgreSQL; start the instances with DATABASE_URL`),
    (error) => {
      console.error(`migrate-to-postgres: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
