/** What differs between the two SQL dialects the index speaks, in one place. */
import { sql, type RawBuilder } from "kysely";

export type Dialect = "sqlite" | "postgres";

/** The database's own clock in Unix milliseconds: leases are judged by one clock, not each instance's. */
export function nowMs(dialect: Dialect): RawBuilder<number> {
  return dialect === "postgres"
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`cast((julianday('now') - 2440587.5) * 86400000 as integer)`;
}
