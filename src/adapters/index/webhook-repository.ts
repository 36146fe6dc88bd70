/**
 * WebhookRepository in SQL. A claim is one UPDATE over due rows (FOR UPDATE SKIP LOCKED on PostgreSQL),
 * as for time-stamps; due times, windows and leases are read from the database's clock (dialect.ts).
 */
import { sql, type Kysely, type Selectable } from "kysely";
import type {
  AttemptOutcome,
  ClaimedDelivery,
  Delivery,
  DeliveryAttempt,
  DeliveryState,
  Webhook,
  WebhookRepository,
} from "../../ports/webhook-repository.ts";
import { nowMs, type Dialect } from "./dialect.ts";
import type { Database } from "./schema.ts";

const iso = (ms: number) => new Date(Number(ms)).toISOString();

export class SqlWebhookRepository implements WebhookRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  constructor(db: Kysely<Database>, dialect: Dialect) {
    this.#db = db;
    this.#dialect = dialect;
  }

  async create(webhook: Webhook & { secret: string }): Promise<void> {
    await this.#db
      .insertInto("webhooks")
      .values({
        id: webhook.id,
        account_id: webhook.accountId,
        url: webhook.url,
        events_json: JSON.stringify(webhook.events),
        secret: webhook.secret,
        created_at: webhook.createdAt,
      })
      .execute();
  }

  async list(accountId: string): Promise<Webhook[]> {
    return (await this.#db.selectFrom("webhooks").selectAll().where("account_id", "=", accountId).orderBy("id").execute()).map(toWebhook);
  }

  async get(accountId: string, id: string): Promise<Webhook | undefined> {
    const row = await this.#db
      .selectFrom("webhooks")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toWebhook(row);
  }

  async delete(accountId: string, id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom("webhooks").where("account_id", "=", accountId).where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async cursor(): Promise<number> {
    let q = this.#db.selectFrom("webhook_cursor").select("seq").where("id", "=", 1);
    if (this.#dialect === "postgres") q = q.forUpdate();
    return Number((await q.executeTakeFirstOrThrow()).seq);
  }

  async moveCursor(seq: number): Promise<void> {
    await this.#db.updateTable("webhook_cursor").set({ seq }).where("id", "=", 1).execute();
  }

  async ofAccounts(accountIds: string[]): Promise<Webhook[]> {
    if (accountIds.length === 0) return [];
    return (await this.#db.selectFrom("webhooks").selectAll().where("account_id", "in", accountIds).orderBy("id").execute()).map(toWebhook);
  }

  async enqueue(deliveries: { id: string; webhookId: string; eventId: string; eventType: string; payload: string; createdAt: string }[]) {
    if (deliveries.length === 0) return;
    const now = nowMs(this.#dialect);
    await this.#db
      .insertInto("webhook_deliveries")
      .values(
        deliveries.map((d) => ({
          id: d.id,
          webhook_id: d.webhookId,
          event_id: d.eventId,
          event_type: d.eventType,
          payload_json: d.payload,
          state: "pending",
          created_at: d.createdAt,
          window_start: now,
          due_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(["webhook_id", "event_id"]).doNothing())
      .execute();
  }

  async release(deliveryIds: string[], owner: string): Promise<number> {
    if (deliveryIds.length === 0) return 0;
    const released = await this.#db
      .updateTable("webhook_deliveries")
      .set((eb) => ({ lease_owner: null, lease_expires_at: null, attempts: eb("attempts", "-", 1) }))
      .where("id", "in", deliveryIds)
      .where("state", "=", "pending")
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    return Number(released.numUpdatedRows);
  }

  async claimDue(owner: string, leaseMs: number, max: number): Promise<ClaimedDelivery[]> {
    const now = nowMs(this.#dialect);
    let due = this.#db
      .selectFrom("webhook_deliveries")
      .select("seq")
      .where("state", "=", "pending")
      .where("due_at", "<=", now)
      .where((eb) => eb.or([eb("lease_expires_at", "is", null), eb("lease_expires_at", "<", now)]))
      .orderBy("due_at")
      .limit(max);
    if (this.#dialect === "postgres") due = due.forUpdate().skipLocked();
    const claimed = await this.#db
      .updateTable("webhook_deliveries")
      .set((eb) => ({ lease_owner: owner, lease_expires_at: eb(now, "+", leaseMs), attempts: eb("attempts", "+", 1) }))
      .where("seq", "in", due)
      .returning(["id", sql<number>`${now} - window_start`.as("elapsed_ms")])
      .execute();
    if (claimed.length === 0) return [];
    const rows = await this.#db
      .selectFrom("webhook_deliveries as d")
      .innerJoin("webhooks as w", "w.id", "d.webhook_id")
      .selectAll("d")
      .select(["w.url", "w.secret"])
      .where(
        "d.id",
        "in",
        claimed.map((c) => c.id),
      )
      .orderBy("d.seq")
      .execute();
    const elapsed = new Map(claimed.map((c) => [c.id, Number(c.elapsed_ms)]));
    return rows.map((r) => ({ ...toDelivery(r), url: r.url, secret: r.secret, elapsedMs: elapsed.get(r.id) ?? 0 }));
  }

  async recordAttempt(
    deliveryId: string,
    owner: string,
    attempt: Omit<DeliveryAttempt, "attempt" | "nextAttemptAt">,
    outcome: AttemptOutcome,
  ): Promise<boolean> {
    const now = nowMs(this.#dialect);
    const updated = await this.#db
      .updateTable("webhook_deliveries")
      .set((eb) => ({
        state: outcome.state,
        due_at: outcome.state === "pending" ? eb(now, "+", Math.round(outcome.retryInMs)) : eb.ref("due_at"),
        lease_owner: null,
        lease_expires_at: null,
      }))
      .where("id", "=", deliveryId)
      .where("state", "=", "pending")
      .where("lease_owner", "=", owner)
      .returning(["attempts", "due_at"])
      .executeTakeFirst();
    if (!updated) return false;
    await this.#db
      .insertInto("webhook_attempts")
      .values({
        delivery_id: deliveryId,
        attempt: Number(updated.attempts),
        at: attempt.at,
        status: attempt.status ?? null,
        error: attempt.error?.slice(0, 2000) ?? null,
        next_attempt_at: outcome.state === "pending" ? iso(updated.due_at) : null,
      })
      .execute();
    return true;
  }

  async deliveries(webhookId: string, limit: number): Promise<(Delivery & { attemptLog: DeliveryAttempt[] })[]> {
    const rows = await this.#db
      .selectFrom("webhook_deliveries")
      .selectAll()
      .where("webhook_id", "=", webhookId)
      .orderBy("seq", "desc")
      .limit(limit)
      .execute();
    if (rows.length === 0) return [];
    const attempts = await this.#db
      .selectFrom("webhook_attempts")
      .selectAll()
      .where(
        "delivery_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("attempt")
      .execute();
    const byDelivery = Map.groupBy(attempts, (a) => a.delivery_id);
    return rows.map((r) => ({
      ...toDelivery(r),
      attemptLog: (byDelivery.get(r.id) ?? []).map((a) => ({
        attempt: Number(a.attempt),
        at: a.at,
        ...(a.status !== null ? { status: Number(a.status) } : {}),
        ...(a.error !== null ? { error: a.error } : {}),
        ...(a.next_attempt_at !== null ? { nextAttemptAt: a.next_attempt_at } : {}),
      })),
    }));
  }

  async redeliver(webhookId: string, deliveryId: string): Promise<boolean> {
    const now = nowMs(this.#dialect);
    const result = await this.#db
      .updateTable("webhook_deliveries")
      .set({ state: "pending", window_start: now, due_at: now, lease_owner: null, lease_expires_at: null })
      .where("webhook_id", "=", webhookId)
      .where("id", "=", deliveryId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

function toWebhook(row: Selectable<Database["webhooks"]>): Webhook {
  return { id: row.id, accountId: row.account_id, url: row.url, events: JSON.parse(row.events_json), createdAt: row.created_at };
}

function toDelivery(row: Selectable<Database["webhook_deliveries"]>): Delivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload_json,
    state: row.state as DeliveryState,
    createdAt: row.created_at,
    attempts: Number(row.attempts),
    ...(row.state === "pending" ? { nextAttemptAt: iso(row.due_at) } : {}),
  };
}
