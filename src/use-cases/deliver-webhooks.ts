/**
 * outbox event → one delivery per subscribed webhook → signed POST, retried with backoff until a 2xx or
 * the end of the retry window (dead-lettered). At least once: a delivery is marked delivered only after
 * its 2xx, so a crash between the two sends it again (receivers deduplicate on webhook-id, the event id).
 * Before each attempt the URL's host is resolved and checked again (DNS may have changed since it was
 * registered), and only the checked address is connected to.
 */
import { endpointOf } from "../domain/endpoint.ts";
import { nextRetryInMs, type RetryPolicy } from "../domain/webhook-backoff.ts";
import { newId } from "../ids.ts";
import type { EgressGuard } from "../ports/egress-guard.ts";
import type { IndexStore } from "../ports/index-store.ts";
import type { StoredOutboxEvent } from "../ports/outbox.ts";
import type { AttemptOutcome, ClaimedDelivery } from "../ports/webhook-repository.ts";
import type { WebhookSender } from "../ports/webhook-sender.ts";

export interface DeliverDeps {
  index: Pick<IndexStore, "transaction" | "webhooks">;
  egress: EgressGuard;
  sender: WebhookSender;
  retry: RetryPolicy;
  /** This instance's name, for claims. */
  owner: string;
  /** How long a claim lasts: longer than an attempt's deadline. */
  leaseMs: number;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/** The body every webhook receives: Standard Webhooks' recommended { type, timestamp, data }. */
export function webhookPayload(event: StoredOutboxEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt, data: { id: event.subject, ...event.data } });
}

/** Turns up to `limit` new outbox events into deliveries; how many events were read. */
export async function fanOut(deps: Pick<DeliverDeps, "index">, limit = 100): Promise<number> {
  return deps.index.transaction(async (tx) => {
    const events = await tx.outbox.after(await tx.webhooks.cursor(), limit);
    if (events.length === 0) return 0;
    const hooks = await tx.webhooks.ofAccounts([...new Set(events.map((e) => e.accountId))]);
    const createdAt = new Date().toISOString();
    await tx.webhooks.enqueue(
      events.flatMap((event) =>
        hooks
          .filter((h) => h.accountId === event.accountId && (h.events.includes("*") || h.events.includes(event.type)))
          .map((h) => ({
            id: newId.delivery(),
            webhookId: h.id,
            eventId: event.id,
            eventType: event.type,
            payload: webhookPayload(event),
            createdAt,
          })),
      ),
    );
    await tx.webhooks.moveCursor(events.at(-1)!.seq);
    return events.length;
  });
}

/** Attempts up to `max` due deliveries, side by side; how many were attempted. */
export async function deliverDue(deps: DeliverDeps, options: { max?: number; signal: AbortSignal }): Promise<number> {
  const due = await deps.index.webhooks.claimDue(deps.owner, deps.leaseMs, options.max ?? 10);
  await Promise.all(due.map((delivery) => attempt(deps, delivery, options.signal)));
  return due.length;
}

async function attempt(deps: DeliverDeps, delivery: ClaimedDelivery, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  const at = new Date(started).toISOString();
  let status: number | undefined;
  let error: string | undefined;
  try {
    const endpoint = endpointOf(new URL(delivery.url));
    const decision = await deps.egress.check(endpoint.host, endpoint.port);
    if ("refused" in decision) error = `refused: ${decision.refused}`;
    else {
      status = await deps.sender.send(
        { url: delivery.url, address: decision.address, id: delivery.eventId, payload: delivery.payload, secret: delivery.secret },
        { signal },
      );
      if (status < 200 || status > 299) error = `answered ${status}`;
    }
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  if (signal.aborted && error !== undefined) {
    // Shutting down mid-attempt: give the claim back, so the next start sends it at once (it may have arrived:
    // at least once, and receivers deduplicate on webhook-id). Should this fail, the claim lapses instead.
    await deps.index.webhooks.release([delivery.id], deps.owner).catch(() => undefined);
    return;
  }
  let outcome: AttemptOutcome;
  if (error === undefined) outcome = { state: "delivered" };
  else {
    const retryInMs = nextRetryInMs(delivery.attempts, delivery.elapsedMs + (Date.now() - started), deps.retry);
    outcome = retryInMs === null ? { state: "dead" } : { state: "pending", retryInMs };
  }
  const recorded = await deps.index.transaction((tx) =>
    tx.webhooks.recordAttempt(
      delivery.id,
      deps.owner,
      { at, ...(status !== undefined ? { status } : {}), ...(error !== undefined ? { error } : {}) },
      outcome,
    ),
  );
  const fields = {
    delivery: delivery.id,
    webhook: delivery.webhookId,
    event: delivery.eventType,
    attempt: delivery.attempts,
    status,
    error,
  };
  if (!recorded) deps.log?.warn(fields, "webhook delivery's claim was lost before its attempt was recorded");
  else if (outcome.state === "dead") deps.log?.warn(fields, "webhook delivery dead-lettered: its retry window is over");
  else if (outcome.state === "pending") deps.log?.info({ ...fields, retryInMs: outcome.retryInMs }, "webhook delivery failed; will retry");
}
