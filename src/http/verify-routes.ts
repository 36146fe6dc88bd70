/**
 * Public verification, no API key: POST /v1/verify runs the same checks as the `evidence` CLI against
 * this service's chain connection, and GET /verify serves the verification page. Nothing given here
 * is stored: an uploaded file is hashed as it streams through and dropped. Rate-limited per client.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { json, type Request, type Response } from "express";
import { z } from "zod";
import { rateLimit } from "express-rate-limit";
import multer from "multer";
import { fileFacts, type FileFacts } from "../domain/content-id.ts";
import { parseReceipt } from "../domain/receipt-schema.ts";
import { AppError, Errors } from "../errors.ts";
import type { ChainReader } from "../ports/chain-reader.ts";
import { verifyReceipt, type TimeTrust } from "../use-cases/verify-receipt.ts";
import { toMultipartError } from "./multipart.ts";
import { runMiddleware } from "./validation.ts";
import type { RateLimitRepository } from "../ports/rate-limits.ts";
import { IndexRateLimitStore } from "./rate-limit-store.ts";
import { DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { ReceiptResponseSchema, VerificationSchema } from "./schemas.ts";

export interface VerifyRouteDeps {
  /** Where the per-client counters live (shared by every instance). */
  rateLimits: RateLimitRepository;
  /** A reader of this service's chain; receipts for other chains fail the chain id check. */
  chainReader: () => ChainReader;
  /** What time evidence this service trusts: its TSAs' CAs, and the chains it counts as development. */
  timeTrust: TimeTrust;
  maxUploadBytes: number;
  /** Requests per minute per client address. */
  rateLimitPerMinute: number;
}

const PAGE_DIR = fileURLToPath(new URL("./verify-page/", import.meta.url));
const require = createRequire(import.meta.url);
const NOBLE_DIR = dirname(require.resolve("@noble/hashes/sha3.js"));
const CANONICALIZE_FILE = join(dirname(require.resolve("canonicalize")), "canonicalize.js");

const RECEIPT_MAX_BYTES = 1024 * 1024;

export function verifyRoutes(deps: VerifyRouteDeps): DocumentedRouter {
  const routes = new DocumentedRouter("/");
  const router = routes.router;
  const limiter = rateLimit({
    windowMs: 60_000,
    limit: deps.rateLimitPerMinute,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    store: new IndexRateLimitStore(deps.rateLimits),
    handler: (_req, _res, next) => next(new AppError(Errors.RATE_LIMITED, { limit: deps.rateLimitPerMinute })),
  });

  const upload = multer({
    storage: factsOnlyStorage(),
    limits: { fileSize: deps.maxUploadBytes, files: 3, fields: 1, parts: 4, fieldSize: RECEIPT_MAX_BYTES, headerPairs: 50 },
  }).fields([
    { name: "receipt", maxCount: 1 },
    { name: "file", maxCount: 1 },
  ]);

  routes.add(
    {
      tags: ["Verification"],
      security: [],
      method: "post",
      path: "/v1/verify",
      summary: "Verify a receipt (and optionally its file) against this service's chain; nothing is stored",
      description: `Rate-limited per client address. A file is hashed as it streams through and dropped.`,
      request: {
        body: {
          content: {
            "application/json": { schema: z.object({ receipt: ReceiptResponseSchema }) },
            "multipart/form-data": {
              schema: z.object({
                receipt: z.string().meta({ description: "the receipt, as a file part or a text field" }),
                file: z.string().meta({ format: "binary", description: "optional: the evidence file" }).optional(),
              }),
            },
          },
        },
      },
      responses: {
        200: jsonResponse("Every check, and the verdict", VerificationSchema),
        ...problems({
          400: "No receipt, or not a readable receipt (RECEIPT_INVALID)",
          413: "A file over MAX_UPLOAD_BYTES",
          415: "Neither JSON nor multipart",
          429: "Over VERIFY_RATE_LIMIT this minute (Retry-After)",
        }),
      },
    },
    limiter,
    async (req: Request, res: Response) => {
      let receiptValue: unknown;
      let file: FileFacts | undefined;
      if (req.is("application/json")) {
        await runMiddleware(json({ limit: RECEIPT_MAX_BYTES }), req, res);
        receiptValue = (req.body as { receipt?: unknown } | undefined)?.receipt;
      } else if (req.is("multipart/form-data")) {
        await runMiddleware(upload, req, res).catch((error) => {
          throw toMultipartError(error, { maxFileBytes: deps.maxUploadBytes, fileFields: ["receipt", "file"] });
        });
        const parts = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
        const receiptPart = parts.receipt?.[0] as unknown as StoredPart | undefined;
        const text = receiptPart?.receiptText ?? (req.body as { receipt?: string }).receipt;
        receiptValue = text === undefined ? undefined : parseJson(text);
        file = (parts.file?.[0] as unknown as StoredPart | undefined)?.facts;
      } else {
        throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "multipart/form-data or application/json" });
      }
      if (receiptValue === undefined) throw new AppError(Errors.RECEIPT_INVALID, { reason: "no receipt was sent (field 'receipt')" });
      const parsed = parseReceipt(receiptValue);
      if ("error" in parsed) throw new AppError(Errors.RECEIPT_INVALID, { reason: parsed.error });

      const chain = deps.chainReader();
      try {
        const result = await verifyReceipt({
          receipt: parsed.receipt,
          file,
          chains: [chain],
          tsaTrustAnchors: deps.timeTrust.tsaTrustAnchors,
          developmentChainIds: deps.timeTrust.developmentChainIds,
        });
        res.setHeader("Cache-Control", "no-store");
        res.json({ evidenceId: parsed.receipt.evidence.id, ...result });
      } finally {
        chain.close();
      }
    },
  );

  // The page: plain HTML and ES modules, no build step. Its only scripts are its own and two vendored
  // hash/JSON modules, so the CSP can forbid everything else.
  routes.add(
    {
      tags: ["Verification"],
      security: [],
      method: "get",
      path: "/verify",
      summary: "The verification page (HTML): the file is hashed in the browser; only the receipt is sent here",
      responses: { 200: { description: "The page", content: { "text/html": { schema: z.string() } } } },
    },
    (_req: Request, res: Response) => {
      pageHeaders(res);
      res.sendFile(join(PAGE_DIR, "index.html"));
    },
  );
  router.use("/verify/vendor/noble-hashes", express.static(NOBLE_DIR, { index: false, extensions: [] }));
  router.get("/verify/vendor/canonicalize.js", (_req: Request, res: Response) => {
    res.type("text/javascript").sendFile(CANONICALIZE_FILE);
  });
  router.use("/verify", express.static(PAGE_DIR, { index: false, setHeaders: pageHeaders }));
  return routes;
}

/** The pages' CSP: their own scripts, styles and API only; no inline script, no other origin, no framing. */
export function pageHeaders(res: Response): void {
  res.setHeader(
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  );
}

interface StoredPart {
  receiptText?: string;
  facts?: FileFacts;
}

/** The receipt part is read (up to 1 MB); the file part is hashed and its CID computed, then dropped. */
function factsOnlyStorage(): multer.StorageEngine {
  return {
    _handleFile(_req, part, callback) {
      if (part.fieldname === "receipt") {
        const chunks: Buffer[] = [];
        let size = 0;
        part.stream.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= RECEIPT_MAX_BYTES) chunks.push(chunk);
        });
        part.stream.on("error", (error: Error) => callback(error));
        part.stream.on("end", () => {
          if (size > RECEIPT_MAX_BYTES)
            return callback(new AppError(Errors.RECEIPT_INVALID, { reason: "the receipt is larger than 1 MB" }));
          callback(null, { receiptText: Buffer.concat(chunks).toString("utf8") } as never);
        });
        return;
      }
      fileFacts(part.stream).then((facts) => callback(null, { facts } as never), callback);
    },
    _removeFile(_req, _part, callback) {
      callback(null);
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(Errors.RECEIPT_INVALID, { reason: "the receipt is not JSON" });
  }
}
