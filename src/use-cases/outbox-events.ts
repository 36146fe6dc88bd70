/** Outbox events about items, built the same way by every use-case that writes them. */
import { newId } from "../ids.ts";
import type { OutboxEvent, OutboxEventType } from "../ports/outbox.ts";

export function outboxEvents(
  type: OutboxEventType,
  subjects: { id: string; accountId: string }[],
  data: Record<string, unknown>,
  at: Date = new Date(),
): (OutboxEvent & { id: string })[] {
  return subjects.map((s) => ({ id: newId.event(), type, accountId: s.accountId, subject: s.id, data, occurredAt: at.toISOString() }));
}
