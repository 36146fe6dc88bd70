/**
 * node:sqlite's DatabaseSync as Kysely's SqliteDatabase (Kysely ships a dialect for better-sqlite3,
 * a native addon, which this project does not build): statements tell whether they return rows, and
 * parameters are given as node:sqlite takes them (no booleans, no undefined).
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { SqliteDatabase, SqliteStatement } from "kysely";

function parameter(value: unknown): SQLInputValue {
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value as SQLInputValue;
}

export function kyselyDatabase(db: DatabaseSync): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let cached = statements.get(sql);
      if (!cached) {
        const statement = db.prepare(sql);
        const params = (values: ReadonlyArray<unknown>) => values.map(parameter);
        cached = {
          reader: statement.columns().length > 0,
          all: (values) => statement.all(...params(values)),
          run: (values) => {
            const { changes, lastInsertRowid } = statement.run(...params(values));
            return { changes, lastInsertRowid };
          },
          iterate: (values) => statement.iterate(...params(values)) as IterableIterator<unknown>,
        };
        // Queries are built from a small set of shapes: caching their statements saves a parse each.
        if (statements.size < 500) statements.set(sql, cached);
      }
      return cached;
    },
  };
}
