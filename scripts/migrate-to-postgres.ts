/**
 * Copies the embedded SQLite index into PostgreSQL, for a user who grows out of one machine:
 *
 *   npm run migrate-to-postgres -- --from DATA_DIR/index.sqlite --to postgres://user@host/db
 *
 * The source is brought to the current schema first (as a start of the service would), then every table
 * of its schema (a table added later too, unless NOT_COPIED says why not) is copied in one PostgreSQL
 * transaction, rows in their order (sequence numbers kept, so list cursors stay valid, and the webhook
 * cursor with them, so no event is sent again), and the counts are compared. The target must be empty. Stop the service first: this
 * copies what is committed when it runs. The content (IPFS blocks) and the chain are not touched: point
 * the instances at a Kubo node holding the blocks (or a shared block store) and at the same chain.
 */
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import pg from "pg";
import { openPostgresIndex, openSqliteIndex } from "../src/adapters/index/sql-index-store.ts";

/**
 * Not copied: each database keeps its own migration record; leases and rate-limit windows belong to the
 * instances running now; and the one-row heads the target's migrations made are moved (ONE_ROW_HEADS).
 */
const NOT_COPIED = new Set(["schema_migrations", "leases", "rate_limits", "custody_head", "webhook_cursor"]);
/** One-row state the target's migrations created: set to the source's (the custody log's head, the webhook fan-out's cursor). */
const ONE_ROW_HEADS: Record<string, string[]> = { custody_head: ["seq", "hash"], webhook_cursor: ["seq"] };

/** Every table of the source's schema but NOT_COPIED, parents before children (their foreign keys). */
export function tablesToCopy(source: DatabaseSync): string[] {
  const names = (
    source.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      name: string;
    }[]
  )
    .map((r) => r.name)
    .filter((name) => !NOT_COPIED.has(name));
  const parents = new Map(
    names.map((name) => [
      name,
      (source.prepare(`PRAGMA foreign_key_list(${name})`).all() as { table: string }[]).map((fk) => fk.table).filter((t) => t !== name),
    ]),
  );
  const ordered: string[] = [];
  const visit = (name: string) => {
    if (ordered.includes(name)) return;
    for (const parent of parents.get(name) ?? []) visit(parent);
    ordered.push(name);
  };
  names.forEach(visit);
  return ordered;
}

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
  const tables = tablesToCopy(source);
  try {
    for (const table of ["accounts", "evidence"]) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
      if (rows[0].n > 0) throw new Error(`the target already holds ${table}: migrate into an empty database`);
    }
    // Columns numbered by a sequence on PostgreSQL (BIGSERIAL): set past the copied numbers.
    const serial = await client.query<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'",
    );
    await client.query("BEGIN");
    for (const table of tables) {
      const rows = source.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all() as Record<string, unknown>[];
      for (let i = 0; i < rows.length; i += 200) {
        const chunk = rows.slice(i, i + 200);
        const columns = Object.keys(chunk[0]!);
        const values: unknown[] = [];
        const tuples = chunk.map((row) => `(${columns.map((c) => `$${values.push(row[c] ?? null)}`).join(", ")})`);
        await client.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
      }
      for (const { column_name: column } of serial.rows.filter((r) => r.table_name === table && rows.length))
        await client.query(`SELECT setval(pg_get_serial_sequence('${table}', '${column}'), (SELECT max(${column}) FROM ${table}))`);
      copied[table] = rows.length;
    }
    for (const [table, columns] of Object.entries(ONE_ROW_HEADS)) {
      const head = source.prepare(`SELECT ${columns.join(", ")} FROM ${table} WHERE id = 1`).get() as Record<string, unknown>;
      const set = columns.map((c, i) => `${c} = $${i + 1}`).join(", ");
      await client.query(
        `UPDATE ${table} SET ${set} WHERE id = 1`,
        columns.map((c) => head[c]),
      );
    }
    for (const table of tables) {
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
  const width = Math.max(...tables.map((t) => t.length)) + 1;
  for (const table of tables) log(`${table.padEnd(width)} ${copied[table]} rows`);
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
