/** The JSON of /v1/webhooks answers, as zod schemas (as schemas.ts does for the rest of the API). */
import { z } from "zod";

const isoTime = z.string().meta({ description: "ISO 8601 date-time, UTC" });
const WEBHOOK_ID = "wh_01a21403-31a8-7c1e-9f5b-2d6a7e0b4c11";

export const WebhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    createdAt: isoTime,
  })
  .meta({
    id: "Webhook",
    example: { id: WEBHOOK_ID, url: "https://platform.example/hooks/evidence", events: ["*"], createdAt: "2026-11-27T19:00:00.000Z" },
  });

export const WebhookCreatedSchema = WebhookSchema.extend({
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
    .optional()
    .meta({
      description:
        "Standard Webhooks signing secret (whsec_ and base64): verify each delivery's webhook-signature with it. Shown once: absent when replayed for an Idempotency-Key.",
    }),
}).meta({ id: "WebhookCreated" });

export const WebhookListSchema = z.object({ items: z.array(WebhookSchema) }).meta({ id: "WebhookList" });

export const DeliveryAttemptSchema = z
  .object({
    attempt: z.number().int().meta({ description: "1, 2, 3…" }),
    at: isoTime,
    status: z.number().int().optional().meta({ description: "the HTTP status the receiver answered" }),
    error: z
      .string()
      .optional()
      .meta({ description: "why it was not a 2xx: the status, a timeout, a refused address, a connection error" }),
    nextAttemptAt: isoTime.optional().meta({ description: "when it is tried again; absent once delivered or dead-lettered" }),
  })
  .meta({ id: "DeliveryAttempt" });

export const DeliverySchema = z
  .object({
    id: z.string(),
    eventId: z.string().meta({ description: "the webhook-id header: the same on every attempt, to deduplicate on" }),
    type: z.string(),
    state: z
      .enum(["pending", "delivered", "dead"])
      .meta({ description: "dead: its retry window ended without a 2xx (redeliver to try again)" }),
    createdAt: isoTime,
    nextAttemptAt: isoTime.optional(),
    attempts: z.array(DeliveryAttemptSchema),
    payload: z
      .object({ type: z.string(), timestamp: isoTime, data: z.record(z.string(), z.unknown()) })
      .meta({ description: "the body POSTed" }),
  })
  .meta({ id: "Delivery" });

export const DeliveryListSchema = z.object({ items: z.array(DeliverySchema) }).meta({ id: "DeliveryList" });
