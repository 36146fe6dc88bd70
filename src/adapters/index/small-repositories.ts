/** The index's small tables in SQL: the outbox, content to release, leases, rate-limit counters and idempotency keys. */
import type { Kysely } from "kysely";
import type { ContentReleaseQueue } from "../../ports/content-releases.ts";
import type { IdempotencyClaim, IdempotencyKeyRepository, StoredAnswer } from "../../ports/idempotency-keys.ts";
import { LeaseLostError, type LeaseRepository } from "../../ports/leases.ts";
import type { Outbox, OutboxEvent, StoredOutboxEvent } from "../../ports/outbox.ts";
import type { RateLimitRepository } from "../../ports/rate-limits.ts";
import { nowMs, type Dialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

export class SqlOutbox implements Outbox {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async append(events: (OutboxEvent & { id: string })[]): Promise<void> {
    if (events.length === 0) return;
    await this.#db
      .insertInto("outbox")
      .values(
        events.map((e) => ({
          id: e.id,
          type: e.type,
          account_id: e.accountId,
          subject: e.subject,
          data_json: JSON.stringify(e.data),
          occurred_at: e.occurredAt,
        })),
      )
      .execute();
  }

  async after(seq: number, limit: number): Promise<StoredOutboxEvent[]> {
    const rows = await this.#db.selectFrom("outbox").selectAll().where("seq", ">", seq).orderBy("seq").limit(limit).execute();
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      type: r.type as OutboxEvent["type"],
      accountId: r.account_id,
      subject: r.subject,
      data: JSON.parse(r.data_json),
      occurredAt: r.occurred_at,
    }));
  }
}

export class SqlContentReleases implements ContentReleaseQueue {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async request(cids: string[], at: string): Promise<void> {
    for (const cid of cids) {
      await this.#db
        .insertInto("content_releases")
        .values({ cid, requested_at: at })
        .onConflict((oc) => oc.column("cid").doUpdateSet({ requested_at: at }))
        .execute();
    }
  }

  async due(before: string, max: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom("content_releases")
      .select("cid")
      .where("requested_at", "<", before)
      .orderBy("requested_at")
      .limit(max)
      .execute();
    return rows.map((r) => r.cid);
  }

  async forget(cid: string): Promise<void> {
    await this.#db.deleteFrom("content_releases").where("cid", "=", cid).execute();
  }
}

export class SqlLeases implements LeaseRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<number | null> {
    const now = nowMs(this.#dialect);
    const row = await this.#db
      .insertInto("leases")
      .values((eb) => ({ name, holder, token: 1, expires_at: eb(now, "+", ttlMs) }))
      .onConflict((oc) =>
        oc
          .column("name")
          .doUpdateSet((eb) => ({
            // The same holder renewing keeps its token; a new holder (or one back after expiry) gets the next.
            token: eb
              .case()
              .when(eb.and([eb("leases.holder", "=", eb.ref("excluded.holder")), eb("leases.expires_at", ">=", now)]))
              .then(eb.ref("leases.token"))
              .else(eb("leases.token", "+", 1))
              .end(),
            holder: eb.ref("excluded.holder"),
            expires_at: eb.ref("excluded.expires_at"),
          }))
          .where((eb) => eb.or([eb("leases.holder", "=", eb.ref("excluded.holder")), eb("leases.expires_at", "<", now)])),
      )
      .returning("token")
      .executeTakeFirst();
    return row ? Number(row.token) : null;
  }

  async assertHeld(name: string, token: number): Promise<void> {
    let q = this.#db
      .selectFrom("leases")
      .select("token")
      .where("name", "=", name)
      .where("token", "=", token)
      .where("expires_at", ">", nowMs(this.#dialect));
    // Holds the row until the transaction ends: a takeover waits for the writes this lease guards.
    if (this.#dialect === "postgres") q = q.forShare();
    if (!(await q.executeTakeFirst())) throw new LeaseLostError(`the lease '${name}' (token ${token}) is no longer held`);
  }

  async release(name: string, holder: string): Promise<void> {
    await this.#db.updateTable("leases").set({ expires_at: 0 }).where("name", "=", name).where("holder", "=", holder).execute();
  }
}

export class SqlRateLimits implements RateLimitRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async hit(key: string, windowStart: number): Promise<number> {
    const row = await this.#db
      .insertInto("rate_limits")
      .values({ key, window_start: windowStart, hits: 1 })
      .onConflict((oc) => oc.columns(["key", "window_start"]).doUpdateSet((eb) => ({ hits: eb("rate_limits.hits", "+", 1) })))
      .returning("hits")
      .executeTakeFirstOrThrow();
    return Number(row.hits);
  }

  async prune(before: number): Promise<void> {
    await this.#db.deleteFrom("rate_limits").where("window_start", "<", before).execute();
  }
}

export class SqlIdempotencyKeys implements IdempotencyKeyRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async claim(accountId: string, key: string, fingerprint: string, now: string, holdUntil: string): Promise<IdempotencyClaim> {
    // One statement: of two requests racing for a key, exactly one inserts (or takes over an expired row).
    const taken = await this.#db
      .insertInto("idempotency_keys")
      .values({ account_id: accountId, key, fingerprint, state: "running", created_at: now, expires_at: holdUntil })
      .onConflict((oc) =>
        oc
          .columns(["account_id", "key"])
          .doUpdateSet((eb) => ({
            fingerprint: eb.ref("excluded.fingerprint"),
            state: "running",
            status: null,
            body: null,
            location: null,
            created_at: eb.ref("excluded.created_at"),
            expires_at: eb.ref("excluded.expires_at"),
          }))
          .where("idempotency_keys.expires_at", "<=", now),
      )
      .returning("key")
      .executeTakeFirst();
    if (taken) return { state: "claimed" };
    const row = await this.#db
      .selectFrom("idempotency_keys")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("key", "=", key)
      .executeTakeFirstOrThrow();
    if (row.state !== "done") return { state: "running", fingerprint: row.fingerprint };
    const answer: StoredAnswer = { status: Number(row.status), body: row.body ?? "", location: row.location ?? undefined };
    return { state: "done", fingerprint: row.fingerprint, answer };
  }

  async complete(accountId: string, key: string, answer: StoredAnswer, expiresAt: string): Promise<void> {
    await this.#db
      .updateTable("idempotency_keys")
      .set({ state: "done", status: answer.status, body: answer.body, location: answer.location ?? null, expires_at: expiresAt })
      .where("account_id", "=", accountId)
      .where("key", "=", key)
      .execute();
  }

  async release(accountId: string, key: string): Promise<void> {
    await this.#db
      .deleteFrom("idempotency_keys")
      .where("account_id", "=", accountId)
      .where("key", "=", key)
      .where("state", "=", "running")
      .execute();
  }

  async releaseRunning(): Promise<number> {
    const result = await this.#db.deleteFrom("idempotency_keys").where("state", "=", "running").executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async prune(before: string): Promise<void> {
    await this.#db.deleteFrom("idempotency_keys").where("expires_at", "<", before).execute();
  }
}
