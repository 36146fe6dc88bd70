/**
 * An account's webhooks: register (URL checked by the same egress rule as captures, events checked
 * against the outbox's), list, delete, and redeliver one delivery. The signing secret is made here and
 * returned once; it is kept in the index to sign each delivery (docs/api.md, Webhooks).
 */
import { randomBytes } from "node:crypto";
import { endpointOf } from "../domain/endpoint.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { EgressGuard } from "../ports/egress-guard.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { OUTBOX_EVENT_TYPES } from "../ports/outbox.ts";
import type { Webhook, WebhookEvents } from "../ports/webhook-repository.ts";

export interface WebhookDeps {
  index: Pick<IndexStore, "webhooks">;
  /** The webhooks' egress rule (WEBHOOK_ALLOW_HOSTS). */
  egress: EgressGuard;
}

/** Refuses a URL webhooks may not be sent to: not http(s), with credentials, or not public. */
export async function checkWebhookUrl(egress: EgressGuard, text: string): Promise<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AppError(Errors.WEBHOOK_URL_INVALID, { reason: "it is not a URL" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new AppError(Errors.WEBHOOK_URL_INVALID, { reason: `${url.protocol} URLs are not supported; use https (or http)` });
  if (url.username || url.password) throw new AppError(Errors.WEBHOOK_URL_INVALID, { reason: "URLs with credentials are not accepted" });
  const endpoint = endpointOf(url);
  const decision = await egress.check(endpoint.host, endpoint.port);
  if ("refused" in decision) throw new AppError(Errors.WEBHOOK_URL_FORBIDDEN, { reason: decision.refused });
  return url;
}

export function checkWebhookEvents(events: readonly string[]): WebhookEvents {
  const known = new Set<string>([...OUTBOX_EVENT_TYPES, "*"]);
  const unknown = events.find((e) => !known.has(e));
  if (unknown !== undefined) throw new AppError(Errors.WEBHOOK_EVENT_UNKNOWN, { event: unknown, known: [...known].join(", ") });
  return [...new Set(events)] as WebhookEvents;
}

/** A new Standard Webhooks secret: "whsec_" and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export async function registerWebhook(
  deps: WebhookDeps,
  request: { accountId: string; url: string; events: readonly string[] },
): Promise<Webhook & { secret: string }> {
  const events = checkWebhookEvents(request.events);
  const url = await checkWebhookUrl(deps.egress, request.url);
  const webhook = {
    id: newId.webhook(),
    accountId: request.accountId,
    url: url.href,
    events,
    secret: newSecret(),
    createdAt: new Date().toISOString(),
  };
  await deps.index.webhooks.create(webhook);
  return webhook;
}

/** The account's webhook, or WEBHOOK_NOT_FOUND (another account's answers the same). */
export async function webhookOf(deps: Pick<WebhookDeps, "index">, accountId: string, id: string): Promise<Webhook> {
  const webhook = await deps.index.webhooks.get(accountId, id);
  if (!webhook) throw new AppError(Errors.WEBHOOK_NOT_FOUND, { id });
  return webhook;
}

export async function deleteWebhook(deps: Pick<WebhookDeps, "index">, accountId: string, id: string): Promise<void> {
  if (!(await deps.index.webhooks.delete(accountId, id))) throw new AppError(Errors.WEBHOOK_NOT_FOUND, { id });
}

export async function redeliver(deps: Pick<WebhookDeps, "index">, accountId: string, webhookId: string, deliveryId: string): Promise<void> {
  await webhookOf(deps, accountId, webhookId);
  if (!(await deps.index.webhooks.redeliver(webhookId, deliveryId)))
    throw new AppError(Errors.WEBHOOK_DELIVERY_NOT_FOUND, { id: deliveryId, webhookId });
}
