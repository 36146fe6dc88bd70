/**
 * The Idempotency-Key request header (IETF draft-ietf-httpapi-idempotency-key-header-07) on the POSTs
 * that create something. Per account, a key belongs to the first request sent with it, identified by
 * its fingerprint: SHA-256 of the method, the path and the body as received (the JSON or NDJSON body;
 * for multipart, its fields and each file's SHA-256, size, name and type). Then:
 *
 * - a retry (same key, same fingerprint) after the first answered gets that answer again (status,
 *   body, Location) and creates nothing;
 * - the same key with another request: 422 IDEMPOTENCY_KEY_REUSED;
 * - a retry while the first is still running: 409 IDEMPOTENCY_KEY_IN_USE.
 *
 * Only a 2xx answer is kept: after an error (a bad request, a store down) nothing was created and a
 * retry runs again. The guard runs after the body is parsed (so the fingerprint covers it) and before
 * anything is created. A request that holds its key longer than HOLD_MS (a crashed instance) loses it.
 */
import { createHash } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { z } from "zod";
import { AppError, Errors } from "../errors.ts";
import type { IdempotencyKeyRepository } from "../ports/idempotency-keys.ts";
import { accountOf } from "./auth.ts";

export const IDEMPOTENCY_KEY = "Idempotency-Key";

/** How long a running request holds its key before a retry may run it again. */
const HOLD_MS = 10 * 60_000;
/** Expired keys are forgotten at most this often (by whichever request comes). */
const PRUNE_EVERY_MS = 60_000;

/** For the OpenAPI description of each route that takes the header. */
export const IdempotencyHeaderSchema = z.object({
  "Idempotency-Key": z.string().optional().meta({
    description:
      'Optional. A retry with the same key and request gets the first answer again, creating nothing twice; an sf-string such as "8e03978e-40d5-43e8-bc93-6894a57f9324" (docs/api.md)',
  }),
});

/** The answers the header adds to a route, by status. */
export const IDEMPOTENCY_PROBLEMS = {
  409: "A request with this Idempotency-Key is still running (IDEMPOTENCY_KEY_IN_USE, Retry-After)",
  422: "This Idempotency-Key was first used for a different request (IDEMPOTENCY_KEY_REUSED)",
} as const;

export interface IdempotencySettings {
  keys: IdempotencyKeyRepository;
  /** How long a first answer is kept (IDEMPOTENCY_KEY_TTL_HOURS). */
  ttlMs: number;
  now?: () => Date;
}

/**
 * The key as sent: an RFC 8941 sf-string (`"8e03978e-…"`, as the draft writes it) or, leniently, the
 * bare characters; 1 to 255 printable ASCII characters.
 */
export function parseIdempotencyKey(header: string): string {
  const quoted = /^"((?:[^"\\]|\\["\\])*)"$/.exec(header.trim());
  const key = quoted ? quoted[1]!.replace(/\\(["\\])/g, "$1") : header.trim();
  if (key.length === 0 || key.length > 255 || !/^[\x20-\x7e]+$/.test(key)) {
    throw new AppError(Errors.IDEMPOTENCY_KEY_INVALID, { reason: "must hold 1 to 255 printable ASCII characters" });
  }
  return key;
}

/** SHA-256 of what identifies a request: method, path, and its parsed body and files. */
export function requestFingerprint(req: Request): string {
  const files = Object.values((req.files ?? {}) as Record<string, Express.Multer.File[]>)
    .flat()
    .map((f) => {
      const received = (f as unknown as { received?: { sha256: string; size: number } }).received;
      return [f.fieldname, f.originalname, f.mimetype, received?.sha256, received?.size];
    });
  const body = typeof req.body === "string" ? req.body : JSON.stringify(req.body ?? null);
  const mediaType = (req.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  return (
    createHash("sha256")
      // The media type without its parameters: a multipart boundary is new on every send.
      .update(JSON.stringify([req.method, req.baseUrl + req.path, mediaType, body, files]))
      .digest("hex")
  );
}

export interface IdempotencyOptions {
  /** Releases what the request already stored before it was answered from its key (uploaded files). */
  onSkipped?: (req: Request) => void;
  /** The answer as kept: a secret shown once (a new API key) is left out of what a retry sees. */
  keep?: (body: unknown) => unknown;
}

/** A `keep` for an answer that shows a secret once (a new API key, a webhook's signing secret): kept without it. */
export function withoutShownOnce(field: string): (body: unknown) => unknown {
  return (body) => {
    const { [field]: _shownOnce, ...rest } = body as Record<string, unknown>;
    return rest;
  };
}

/** Middleware, after the body is parsed and before the route creates anything. */
export function idempotency(settings: IdempotencySettings, options: IdempotencyOptions = {}): RequestHandler {
  const now = () => settings.now?.() ?? new Date();
  let prunedAt = 0;
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get(IDEMPOTENCY_KEY);
    if (header === undefined) return next();
    void (async () => {
      const key = parseIdempotencyKey(header);
      const accountId = accountOf(req).id;
      const fingerprint = requestFingerprint(req);
      const at = now();
      if (at.getTime() - prunedAt > PRUNE_EVERY_MS) {
        prunedAt = at.getTime();
        void settings.keys.prune(at.toISOString()).catch(() => undefined);
      }
      const claim = await settings.keys.claim(
        accountId,
        key,
        fingerprint,
        at.toISOString(),
        new Date(at.getTime() + HOLD_MS).toISOString(),
      );
      if (claim.state !== "claimed") {
        options.onSkipped?.(req);
        if (claim.fingerprint !== fingerprint) throw new AppError(Errors.IDEMPOTENCY_KEY_REUSED, { key });
        if (claim.state === "running") throw new AppError(Errors.IDEMPOTENCY_KEY_IN_USE, { key });
        const { answer } = claim;
        if (answer.location) res.location(answer.location);
        res.setHeader("Idempotent-Replayed", "true");
        res.status(answer.status).type("application/json").send(answer.body);
        return;
      }
      let settled = false;
      const release = () => {
        if (settled) return;
        settled = true;
        void settings.keys.release(accountId, key).catch(() => undefined); // at worst the key is held until HOLD_MS
      };
      // An error answer, or a client that hung up before the answer: nothing to repeat.
      res.on("close", release);
      const json = res.json.bind(res);
      res.json = (body: unknown) => {
        if (settled || res.statusCode < 200 || res.statusCode > 299) {
          release();
          return json(body);
        }
        settled = true;
        const answer = {
          status: res.statusCode,
          body: JSON.stringify(options.keep ? options.keep(body) : body),
          location: res.get("location"),
        };
        const expiresAt = new Date(now().getTime() + settings.ttlMs).toISOString();
        // Kept before it is sent: a retry that follows the answer finds it.
        settings.keys.complete(accountId, key, answer, expiresAt).then(
          () => json(body),
          (error) => {
            req.log?.warn({ err: error, key }, "the answer to an Idempotency-Key could not be kept");
            json(body);
          },
        );
        return res;
      };
      next();
    })().catch(next);
  };
}
