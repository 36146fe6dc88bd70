/**
 * TimestampRepository in SQL. A claim is one UPDATE over due rows; on PostgreSQL those rows are locked
 * with FOR UPDATE SKIP LOCKED, so instances claiming at once never take the same one. Due times and
 * claims are read from the database's clock (dialect.ts).
 */
import type { ExpressionBuilder, Kysely, Selectable } from "kysely";
import type { StampedToken, TimestampRecord, TimestampRepository, TimestampStatus } from "../../ports/timestamp-repository.ts";
import { nowMs, type Dialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

export class SqlTimestampRepository implements TimestampRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async request(root: string, tsas: readonly string[], at: string): Promise<void> {
    if (tsas.length === 0) return;
    await this.#db
      .insertInto("timestamps")
      .values(tsas.map((tsa) => ({ root, tsa, status: "pending", requested_at: at })))
      .onConflict((oc) => oc.columns(["root", "tsa"]).doNothing())
      .execute();
  }

  #due(tsas: readonly string[]) {
    const now = nowMs(this.#dialect);
    return this.#db
      .selectFrom("timestamps")
      .select("seq")
      .where("status", "=", "pending")
      .where("tsa", "in", [...tsas])
      .where("due_at", "<=", now)
      .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)]))
      .orderBy("seq");
  }

  async anyDue(tsas: readonly string[]): Promise<boolean> {
    if (tsas.length === 0) return false;
    return (await this.#due(tsas).limit(1).executeTakeFirst()) !== undefined;
  }

  async claimDue(tsas: readonly string[], owner: string, leaseMs: number, max: number): Promise<TimestampRecord[]> {
    if (tsas.length === 0) return [];
    let due = this.#due(tsas).limit(max);
    if (this.#dialect === "postgres") due = due.forUpdate().skipLocked();
    const rows = await this.#db
      .updateTable("timestamps")
      .set((eb) => ({ lease_owner: owner, lease_expires_at: eb(nowMs(this.#dialect), "+", leaseMs), attempts: eb("attempts", "+", 1) }))
      .where("seq", "in", due)
      .returningAll()
      .execute();
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(toRecord); // RETURNING keeps no order
  }

  async recordToken(root: string, tsa: string, owner: string, stamp: StampedToken, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("timestamps")
      .set({
        status: "stamped",
        token: Buffer.from(stamp.token).toString("base64"),
        gen_time: stamp.genTime,
        serial_number: stamp.serialNumber,
        stamped_at: at,
        last_error: null,
        lease_owner: null,
        lease_expires_at: null,
      })
      .where(this.#claimedBy(root, tsa, owner))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async recordFailure(root: string, tsa: string, owner: string, error: string, retryInMs: number): Promise<void> {
    await this.#db
      .updateTable("timestamps")
      .set((eb) => ({
        last_error: error.slice(0, 2000),
        due_at: eb(nowMs(this.#dialect), "+", Math.round(retryInMs)),
        lease_owner: null,
        lease_expires_at: null,
      }))
      .where(this.#claimedBy(root, tsa, owner))
      .execute();
  }

  async release(root: string, tsa: string, owner: string): Promise<void> {
    await this.#db
      .updateTable("timestamps")
      .set((eb) => ({ lease_owner: null, lease_expires_at: null, attempts: eb("attempts", "-", 1) }))
      .where(this.#claimedBy(root, tsa, owner))
      .execute();
  }

  /** The pending stamp of (root, TSA), only while `owner` holds its claim. */
  #claimedBy(root: string, tsa: string, owner: string) {
    return (eb: ExpressionBuilder<Database, "timestamps">) =>
      eb.and([eb("root", "=", root), eb("tsa", "=", tsa), eb("status", "=", "pending"), eb("lease_owner", "=", owner)]);
  }

  async forRoot(root: string): Promise<TimestampRecord[]> {
    const rows = await this.#db.selectFrom("timestamps").selectAll().where("root", "=", root).orderBy("seq").execute();
    return rows.map(toRecord);
  }

  async abandonOthers(tsas: readonly string[], reason: string): Promise<number> {
    let q = this.#db.updateTable("timestamps").set({ status: "abandoned", last_error: reason }).where("status", "=", "pending");
    if (tsas.length) q = q.where("tsa", "not in", [...tsas]);
    return Number((await q.executeTakeFirst()).numUpdatedRows);
  }

  async countByStatus(): Promise<Record<TimestampStatus, number>> {
    const counts: Record<TimestampStatus, number> = { pending: 0, stamped: 0, abandoned: 0 };
    const rows = await this.#db
      .selectFrom("timestamps")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("status")
      .execute();
    for (const row of rows) counts[row.status as TimestampStatus] = Number(row.n);
    return counts;
  }
}

function toRecord(row: Selectable<Database["timestamps"]>): TimestampRecord {
  const record: TimestampRecord = {
    root: row.root,
    tsa: row.tsa,
    status: row.status as TimestampStatus,
    requestedAt: row.requested_at,
    attempts: Number(row.attempts),
  };
  if (row.last_error) record.lastError = row.last_error;
  if (row.status === "stamped" && row.token && row.gen_time && row.serial_number && row.stamped_at) {
    record.stamped = {
      token: new Uint8Array(Buffer.from(row.token, "base64")),
      genTime: row.gen_time,
      serialNumber: row.serial_number,
      stampedAt: row.stamped_at,
    };
  }
  return record;
}
