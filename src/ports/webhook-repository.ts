/**
 * Webhooks and their deliveries. Each outbox event becomes one delivery per webhook of its account that
 * subscribes to it (fan-out, under a cursor over the outbox); a delivery is attempted when due, claimed
 * for a lease (instances claiming at once never take the same), until a 2xx or the end of its retry
 * window (dead-lettered). Due times and leases are the database's clock: a restart loses nothing.
 */
import type { OutboxEventType } from "./outbox.ts";

/** What a webhook listens to: event types, or "*" for all of them. */
export type WebhookEvents = readonly (OutboxEventType | "*")[];

export interface Webhook {
  id: string;
  accountId: string;
  url: string;
  events: WebhookEvents;
  createdAt: string;
}

export type DeliveryState = "pending" | "delivered" | "dead";

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  /** The HTTP status answered, when one was. */
  status?: number;
  /** Why it was not a 2xx: a timeout, a refused address, a connection error. */
  error?: string;
  /** When it is tried again; absent once delivered or dead-lettered. */
  nextAttemptAt?: string;
}

export interface Delivery {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  /** The JSON body POSTed, as sent. */
  payload: string;
  state: DeliveryState;
  createdAt: string;
  attempts: number;
  /** The next attempt (ISO 8601), while pending. */
  nextAttemptAt?: string;
}

/** A delivery claimed for an attempt, with what it takes to send it. */
export interface ClaimedDelivery extends Delivery {
  url: string;
  secret: string;
  /** Milliseconds since its retry window opened (first queued, or redelivery asked), when claimed. */
  elapsedMs: number;
}

export type AttemptOutcome = { state: "delivered" } | { state: "dead" } | { state: "pending"; retryInMs: number };

export interface WebhookRepository {
  create(webhook: Webhook & { secret: string }): Promise<void>;
  list(accountId: string): Promise<Webhook[]>;
  get(accountId: string, id: string): Promise<Webhook | undefined>;
  /** Deletes the webhook with its deliveries; false when the account has no such webhook. */
  delete(accountId: string, id: string): Promise<boolean>;
  /** The last outbox seq fanned out; locks the cursor until the transaction ends (one fan-out at a time). */
  cursor(): Promise<number>;
  moveCursor(seq: number): Promise<void>;
  /** Every webhook of these accounts, with the event types each listens to. */
  ofAccounts(accountIds: string[]): Promise<Webhook[]>;
  /** Queues deliveries due now; one already queued for the same (webhook, event) is left as it is. */
  enqueue(
    deliveries: { id: string; webhookId: string; eventId: string; eventType: string; payload: string; createdAt: string }[],
  ): Promise<void>;
  /** Claims up to `max` due pending deliveries for `leaseMs`. */
  claimDue(owner: string, leaseMs: number, max: number): Promise<ClaimedDelivery[]>;
  /** Records an attempt and its outcome; false when the claim was lost meanwhile. */
  recordAttempt(
    deliveryId: string,
    owner: string,
    attempt: Omit<DeliveryAttempt, "attempt" | "nextAttemptAt">,
    outcome: AttemptOutcome,
  ): Promise<boolean>;
  /**
   * Gives back this owner's claim on deliveries whose attempt was cut short by a shutdown: due again at
   * once, the attempt not counted, so a restarted service does not wait for the lease to lapse.
   */
  release(deliveryIds: string[], owner: string): Promise<number>;
  /** A webhook's latest deliveries, newest first, each with its attempts. */
  deliveries(webhookId: string, limit: number): Promise<(Delivery & { attemptLog: DeliveryAttempt[] })[]>;
  /** Makes a delivery pending and due now, with a new retry window; false when there is no such delivery. */
  redeliver(webhookId: string, deliveryId: string): Promise<boolean>;
}
