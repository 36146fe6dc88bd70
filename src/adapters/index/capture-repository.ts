/**
 * CaptureRepository in SQL. Claims are one UPDATE over the oldest claimable rows; on PostgreSQL those
 * rows are locked with FOR UPDATE SKIP LOCKED, so instances claiming at once never take the same one.
 * Lease deadlines are read from the database's clock (dialect.ts).
 *
 * A capture whose browser work is done is stored as `completed`, the word of the first release, and is
 * `captured` everywhere above this file: SQLite cannot change the table's CHECK without rebuilding it,
 * and instances of the previous release sharing a PostgreSQL database during an upgrade still write it.
 */
import { sql, type Kysely, type Selectable } from "kysely";
import {
  CAPTURE_AGING_MS,
  CAPTURE_PRIORITY,
  type CaptureOutcome,
  type CaptureRecord,
  type CaptureRepository,
  type CaptureStatus,
} from "../../ports/capture-repository.ts";
import type { CaptureDevice } from "../../ports/page-capturer.ts";
import { nowMs, type Dialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

/** The rank of a capture that has waited CAPTURE_AGING_MS: above every priority. */
const AGED = CAPTURE_PRIORITY.takedown + 1;

export class SqlCaptureRepository implements CaptureRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async create(c: Omit<CaptureRecord, "status" | "attempts" | "device"> & { device?: CaptureDevice }): Promise<void> {
    await this.#db
      .insertInto("captures")
      .values({
        id: c.id,
        account_id: c.accountId,
        url: c.url,
        case_ref: c.caseRef ?? null,
        listing_id: c.listingId ?? null,
        note: c.note ?? null,
        device: c.device ?? "desktop",
        priority: c.priority ?? CAPTURE_PRIORITY.routine,
        status: "queued",
        requested_at: c.requestedAt,
      })
      .execute();
  }

  async get(accountId: string, id: string): Promise<CaptureRecord | null> {
    const row = await this.#db
      .selectFrom("captures")
      .selectAll()
      .where("id", "=", id)
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    return row ? toCapture(row) : null;
  }

  async list(accountId: string, limit: number): Promise<CaptureRecord[]> {
    const rows = await this.#db
      .selectFrom("captures")
      .selectAll()
      .where("account_id", "=", accountId)
      .orderBy("seq", "desc")
      .limit(limit)
      .execute();
    return rows.map(toCapture);
  }

  #claimable() {
    const now = nowMs(this.#dialect);
    const aged = new Date(Date.now() - CAPTURE_AGING_MS).toISOString();
    return (
      this.#db
        .selectFrom("captures")
        .select("id")
        .where((eb) =>
          eb.or([
            eb("status", "=", "queued"),
            // A run whose instance died: its lease ran out (a row from before leases has none).
            eb.and([eb("status", "=", "running"), eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)])]),
          ]),
        )
        // By priority, except that whatever has waited CAPTURE_AGING_MS goes first; then in order of request.
        .orderBy(sql`CASE WHEN requested_at < ${aged} THEN ${AGED} ELSE priority END`, "desc")
        .orderBy("seq")
    );
  }

  async countWaiting(accountId: string): Promise<number> {
    const row = await this.#db
      .selectFrom("captures")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("account_id", "=", accountId)
      .where("status", "in", ["queued", "running"])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async claimable(): Promise<boolean> {
    return (await this.#claimable().limit(1).executeTakeFirst()) !== undefined;
  }

  async claim(max: number, owner: string, leaseMs: number): Promise<CaptureRecord[]> {
    const now = nowMs(this.#dialect);
    let claimable = this.#claimable().limit(max);
    if (this.#dialect === "postgres") claimable = claimable.forUpdate().skipLocked();
    const rows = await this.#db
      .updateTable("captures")
      .set((eb) => ({
        status: "running",
        started_at: eb.fn.coalesce("started_at", eb.val(new Date().toISOString())),
        lease_owner: owner,
        lease_expires_at: eb(now, "+", leaseMs),
        attempts: eb("attempts", "+", 1),
      }))
      .where("id", "in", claimable)
      .returningAll()
      .execute();
    return rows.sort((a, b) => Number(a.seq) - Number(b.seq)).map(toCapture); // RETURNING keeps no order
  }

  async renewLeases(ids: string[], owner: string, leaseMs: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db
      .updateTable("captures")
      .set((eb) => ({ lease_expires_at: eb(nowMs(this.#dialect), "+", leaseMs) }))
      .where("id", "in", ids)
      .where("status", "=", "running")
      .where("lease_owner", "=", owner)
      .returning("id")
      .execute();
    return rows.map((r) => r.id);
  }

  async release(ids: string[], owner: string): Promise<number> {
    if (ids.length === 0) return 0;
    const released = await this.#db
      .updateTable("captures")
      .set((eb) => ({ status: "queued", lease_owner: null, lease_expires_at: null, attempts: eb("attempts", "-", 1) }))
      .where("status", "=", "running")
      .where("lease_owner", "=", owner)
      .where("id", "in", ids)
      .executeTakeFirst();
    return Number(released.numUpdatedRows);
  }

  async lowerPriority(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const lowered = await this.#db
      .updateTable("captures")
      .set({ priority: CAPTURE_PRIORITY.routine })
      .where("status", "=", "queued")
      .where("id", "in", ids)
      .executeTakeFirst();
    return Number(lowered.numUpdatedRows);
  }

  async endLeases(owner: string): Promise<number> {
    const ended = await this.#db
      .updateTable("captures")
      .set({ lease_expires_at: null })
      .where("status", "=", "running")
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    return Number(ended.numUpdatedRows);
  }

  async finish(id: string, owner: string, outcome: CaptureOutcome): Promise<boolean> {
    const result = await this.#db
      .updateTable("captures")
      .set({
        status: stored(outcome.status),
        started_at: outcome.startedAt,
        finished_at: outcome.finishedAt,
        failure_reason: outcome.failureReason ?? null,
        manifest_id: outcome.manifestId,
        summary_json: JSON.stringify(outcome.summary),
        lease_owner: null,
        lease_expires_at: null,
      })
      .where("id", "=", id)
      .where("status", "=", "running")
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async fail(id: string, reason: string, at: string): Promise<void> {
    await this.#db
      .updateTable("captures")
      .set({ status: "failed", finished_at: at, failure_reason: reason, lease_owner: null, lease_expires_at: null })
      .where("id", "=", id)
      .where("status", "in", ["queued", "running"])
      .execute();
  }

  async failExhausted(maxAttempts: number, reason: string, at: string): Promise<number> {
    const now = nowMs(this.#dialect);
    const result = await this.#db
      .updateTable("captures")
      .set({ status: "failed", finished_at: at, failure_reason: reason, lease_owner: null, lease_expires_at: null })
      .where("status", "=", "running")
      .where("attempts", ">=", maxAttempts)
      .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async countByStatus(): Promise<Record<CaptureStatus, number>> {
    const counts: Record<CaptureStatus, number> = { queued: 0, running: 0, captured: 0, failed: 0 };
    const rows = await this.#db
      .selectFrom("captures")
      .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("status")
      .execute();
    for (const row of rows) counts[statusOf(row.status)] = Number(row.n);
    return counts;
  }
}

function toCapture(row: Selectable<Database["captures"]>): CaptureRecord {
  const optional = (v: string | null) => v ?? undefined;
  return {
    id: row.id,
    accountId: row.account_id,
    url: row.url,
    caseRef: optional(row.case_ref),
    listingId: optional(row.listing_id),
    note: optional(row.note),
    device: row.device as CaptureDevice,
    status: statusOf(row.status),
    requestedAt: row.requested_at,
    startedAt: optional(row.started_at),
    finishedAt: optional(row.finished_at),
    failureReason: optional(row.failure_reason),
    manifestId: optional(row.manifest_id),
    summary: row.summary_json == null ? undefined : JSON.parse(row.summary_json),
    attempts: Number(row.attempts),
    priority: Number(row.priority),
  };
}

const STORED_CAPTURED = "completed";

function stored(status: CaptureStatus): string {
  return status === "captured" ? STORED_CAPTURED : status;
}

function statusOf(stored: string): CaptureStatus {
  return stored === STORED_CAPTURED ? "captured" : (stored as CaptureStatus);
}
