/** /v1/webhooks: an account's webhooks, their deliveries with each attempt, and redelivery. */
import { json, type Request, type Response } from "express";
import { z } from "zod";
import { AppError, Errors } from "../errors.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { OUTBOX_EVENT_TYPES } from "../ports/outbox.ts";
import type { Delivery, DeliveryAttempt, Webhook } from "../ports/webhook-repository.ts";
import { deleteWebhook, redeliver, registerWebhook, webhookOf, type WebhookDeps } from "../use-cases/webhooks.ts";
import { accountOf, requireApiKey } from "./auth.ts";
import { IDEMPOTENCY_PROBLEMS, idempotency, IdempotencyHeaderSchema, type IdempotencySettings, withoutShownOnce } from "./idempotency.ts";
import { BEARER, DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { parseInput } from "./validation.ts";
import { DeliveryListSchema, WebhookCreatedSchema, WebhookListSchema, type WebhookSchema } from "./webhook-schemas.ts";

export interface WebhookRouteDeps extends WebhookDeps {
  index: Pick<IndexStore, "webhooks" | "accounts">;
  idempotency: IdempotencySettings;
}

const WebhookRequestSchema = z
  .strictObject({
    url: z.string().min(1).max(2048).meta({ description: "an http(s) URL whose host resolves to public addresses only" }),
    events: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(50)
      .meta({ description: `event types to receive, or "*" for all: ${OUTBOX_EVENT_TYPES.join(", ")}` }),
  })
  .meta({
    id: "WebhookRequest",
    example: { url: "https://platform.example/hooks/evidence", events: ["evidence.anchored", "capture.finished"] },
  });
const IdParams = z.object({ id: z.string().min(1).max(100) });
const DeliveryParams = z.object({ id: z.string().min(1).max(100), deliveryId: z.string().min(1).max(100) });

export function webhookRoutes(deps: WebhookRouteDeps): DocumentedRouter {
  const routes = new DocumentedRouter("/v1/webhooks");
  routes.router.use(requireApiKey(deps.index.accounts), json({ limit: "16kb" }));
  const common = { tags: ["Webhooks"], security: BEARER };
  const notFound = { 404: "No such webhook for this account (WEBHOOK_NOT_FOUND)" };

  routes.add(
    {
      ...common,
      method: "post",
      path: "/",
      summary: "Register a webhook: events of this account are POSTed to it, signed (Standard Webhooks)",
      request: { headers: IdempotencyHeaderSchema, body: { content: { "application/json": { schema: WebhookRequestSchema } } } },
      responses: {
        201: jsonResponse(
          "Registered; the signing secret is shown this once (a replay for an Idempotency-Key: the same, without `secret`)",
          WebhookCreatedSchema,
        ),
        ...problems({
          400: "Not an http(s) URL, or one with credentials (WEBHOOK_URL_INVALID); a malformed field; a malformed Idempotency-Key",
          401: "No valid API key",
          415: "Not JSON",
          ...IDEMPOTENCY_PROBLEMS,
          422: `The host resolves to a non-public address (WEBHOOK_URL_FORBIDDEN); an unknown event (WEBHOOK_EVENT_UNKNOWN); ${IDEMPOTENCY_PROBLEMS[422]}`,
        }),
      },
    },
    idempotency(deps.idempotency, { keep: withoutShownOnce("secret") }),
    async (req: Request, res: Response) => {
      if (!req.is("application/json")) throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/json" });
      const input = parseInput(WebhookRequestSchema, req.body ?? {});
      const webhook = await registerWebhook(deps, { accountId: accountOf(req).id, ...input });
      res
        .status(201)
        .location(`/v1/webhooks/${webhook.id}`)
        .json({ ...webhookView(webhook), secret: webhook.secret });
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/",
      summary: "Your webhooks (never their secrets)",
      responses: { 200: jsonResponse("The webhooks", WebhookListSchema), ...problems({ 401: "No valid API key" }) },
    },
    async (req: Request, res: Response) => {
      res.json({ items: (await deps.index.webhooks.list(accountOf(req).id)).map(webhookView) });
    },
  );

  routes.add(
    {
      ...common,
      method: "delete",
      path: "/:id",
      summary: "Delete a webhook, with its pending deliveries",
      request: { params: IdParams },
      responses: { 204: { description: "Deleted" }, ...problems({ 401: "No valid API key", ...notFound }) },
    },
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParams, req.params);
      await deleteWebhook(deps, accountOf(req).id, id);
      res.status(204).end();
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/deliveries",
      summary: "A webhook's latest 100 deliveries, newest first, each with its attempts",
      request: { params: IdParams },
      responses: { 200: jsonResponse("The deliveries", DeliveryListSchema), ...problems({ 401: "No valid API key", ...notFound }) },
    },
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParams, req.params);
      const webhook = await webhookOf(deps, accountOf(req).id, id);
      res.json({ items: (await deps.index.webhooks.deliveries(webhook.id, 100)).map(deliveryView) });
    },
  );

  routes.add(
    {
      ...common,
      method: "post",
      path: "/:id/deliveries/:deliveryId/redeliver",
      summary: "Send a delivery again now (delivered or dead-lettered), with a new retry window",
      request: { params: DeliveryParams },
      responses: {
        202: { description: "Queued: it is attempted at once" },
        ...problems({ 401: "No valid API key", 404: "No such webhook (WEBHOOK_NOT_FOUND) or delivery (WEBHOOK_DELIVERY_NOT_FOUND)" }),
      },
    },
    async (req: Request, res: Response) => {
      const { id, deliveryId } = parseInput(DeliveryParams, req.params);
      await redeliver(deps, accountOf(req).id, id, deliveryId);
      res.status(202).end();
    },
  );

  return routes;
}

function webhookView(webhook: Webhook): z.infer<typeof WebhookSchema> {
  return { id: webhook.id, url: webhook.url, events: [...webhook.events], createdAt: webhook.createdAt };
}

function deliveryView(delivery: Delivery & { attemptLog: DeliveryAttempt[] }) {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    type: delivery.eventType,
    state: delivery.state,
    createdAt: delivery.createdAt,
    ...(delivery.nextAttemptAt ? { nextAttemptAt: delivery.nextAttemptAt } : {}),
    attempts: delivery.attemptLog,
    payload: JSON.parse(delivery.payload),
  };
}
