/**
 * Applies the migrations a database has not had yet, each in its own transaction, recording them in
 * `schema_migrations`. On PostgreSQL under a session advisory lock: instances that start together wait
 * for one another, and the schema is migrated once.
 */
import { sql, type Kysely } from "kysely";
import type { Dialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Any constant: the advisory lock every instance of this service takes to migrate. */
const MIGRATION_LOCK = 7_320_551_901;

export async function migrate(db: Kysely<Database>, dialect: Dialect, migrations: readonly Migration[]): Promise<number[]> {
  const run = async (conn: Kysely<any>) => {
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)`.execute(conn);
    const applied = new Set(
      (await sql<{ version: number }>`SELECT version FROM schema_migrations`.execute(conn)).rows.map((r) => Number(r.version)),
    );
    const done: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.version)) continue;
      await conn.transaction().execute(async (tx) => {
        for (const statement of statements(m.sql)) await sql.raw(statement).execute(tx);
        await sql`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${new Date().toISOString()})`.execute(
          tx,
        );
      });
      done.push(m.version);
    }
    return done;
  };
  if (dialect === "sqlite") return run(db);
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      return await run(conn);
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}

/** A migration's statements, one by one (drivers run one statement per query). */
function statements(script: string): string[] {
  return script
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/--[^\n]*/g, "").trim())
    .filter(Boolean);
}
