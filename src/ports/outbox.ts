/**
 * The outbox: every state change others may want to hear about (an item anchored, a capture finished),
 * written in the same transaction as the change itself, so that no event is lost or told of a change
 * that was rolled back. Webhooks read it.
 */
import { NOTICE_EVENT_TYPES } from "../domain/notice.ts";

export const OUTBOX_EVENT_TYPES = [
  "evidence.anchored",
  "evidence.failed",
  "evidence.anchor-lost",
  "capture.finished",
  ...NOTICE_EVENT_TYPES,
] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

export interface OutboxEvent {
  type: OutboxEventType;
  /** Whose event it is: webhooks of this account hear it. */
  accountId: string;
  /** The id of what changed (an evidence item, a capture). */
  subject: string;
  data: Record<string, unknown>;
  occurredAt: string;
}

export interface StoredOutboxEvent extends OutboxEvent {
  /** Increasing: the order the events were committed in. */
  seq: number;
  id: string;
}

export interface Outbox {
  append(events: (OutboxEvent & { id: string })[]): Promise<void>;
  /** Events after `seq`, oldest first. */
  after(seq: number, limit: number): Promise<StoredOutboxEvent[]>;
}
