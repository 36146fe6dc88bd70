/**
 * /v1/evidence: upload files and listing snapshots, read records, receipts and content. Every route
 * needs an API key, and an account sees only its own evidence (another's id is simply not found).
 * Every upload and every read of an item goes into its custody log (custody-access.ts).
 */
import { json, text as textBody, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { ListingSnapshotSchema } from "../domain/listing-snapshot.ts";
import { SHA256_HEX } from "../domain/hashing.ts";
import { AppError, Errors, isAppError } from "../errors.ts";
import type { CustodyLog } from "../ports/custody-log.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { AccountRepository } from "../ports/account-repository.ts";
import type { ContentReleaseQueue } from "../ports/content-releases.ts";
import type { TimestampRepository } from "../ports/timestamp-repository.ts";
import type { EvidenceRepository } from "../ports/evidence-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { getCheckedEvidence, getEvidence, getReceipt, openVerifiedContent } from "../use-cases/read-evidence.ts";
import type { AnchorCheckDeps } from "../use-cases/confirm-anchors.ts";
import { bundleOf } from "../use-cases/export-capture-bundle.ts";
import { fixedCertificate, type CertificateSettings } from "../use-cases/fixed-certificate.ts";
import type { CertificateRepository } from "../ports/certificate-repository.ts";
import type { ChainReader } from "../ports/chain-reader.ts";
import type { TimeTrust } from "../use-cases/verify-receipt.ts";
import { pipeline } from "node:stream/promises";
import { submitEvidence } from "../use-cases/submit-evidence.ts";
import { submitListingSnapshot } from "../use-cases/submit-listing-snapshot.ts";
import { submitSnapshotBatch, type BatchSnapshot } from "../use-cases/submit-snapshot-batch.ts";
import { ndjsonLines, parseNdjsonLine } from "./ndjson.ts";
import { IDEMPOTENCY_PROBLEMS, idempotency, IdempotencyHeaderSchema, type IdempotencySettings } from "./idempotency.ts";
import { requestRelease } from "../use-cases/release-content.ts";
import { attachment } from "./download.ts";
import { requestSignal } from "./request-signal.ts";
import { accountOf, requireApiKey } from "./auth.ts";
import { accessOf, custodyRecorder } from "./custody-access.ts";
import { itemCustodyRoute } from "./custody-routes.ts";
import { multipart } from "./multipart.ts";
import { receivedFile, storedCids } from "./upload-storage.ts";
import { parseInput, runMiddleware } from "./validation.ts";
import { evidenceLinks, evidenceView } from "./views.ts";
import { BEARER, DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import {
  EvidencePageSchema,
  EvidenceViewSchema,
  EvidenceWithRelatedSchema,
  ReceiptResponseSchema,
  SnapshotBatchResultSchema,
} from "./schemas.ts";

export interface EvidenceRouteDeps {
  store: ContentStore;
  /** Uploads are indexed with their first custody entry in one transaction. */
  index: Pick<IndexStore, "transaction" | "custody">;
  evidence: EvidenceRepository;
  timestamps: TimestampRepository;
  accounts: AccountRepository;
  releases: ContentReleaseQueue;
  /** Anchors are confirmed on the chain before a receipt is served. */
  anchors: AnchorCheckDeps;
  maxUploadBytes: number;
  /** POST /listing-snapshots:batch: most lines and most bytes in one request. */
  snapshotBatch: { maxLines: number; maxBytes: number };
  /** The Idempotency-Key header on the routes that create evidence. */
  idempotency: IdempotencySettings;
  /** Fixed certificates: where they are recorded, and how they are made. */
  certificates: CertificateRepository;
  certificate: CertificateSettings;
  /** Documents are made from a receipt verified against this service's chain and its TSAs' CAs. */
  chainReader: () => ChainReader;
  timeTrust: TimeTrust;
  tsaCaByUrl: ReadonlyMap<string, string>;
  /** The chain of custody (deps.index.custody), read for bundles. */
  custody: CustodyLog;
}

const text = (max: number) => z.string().trim().min(1).max(max);
const isoDateTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone" });
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" });

const UploadFieldsSchema = z.strictObject({
  kind: z.enum(["screenshot", "listing-snapshot", "document"]).default("document"),
  sourceUrl: httpUrl.max(4096).optional().meta({ description: "where the evidence comes from (a claim)" }),
  capturedAt: isoDateTime.optional().meta({ description: "when it was captured, with a time zone (a claim)" }),
  description: text(10_000).optional(),
  caseRef: text(200).optional().meta({ description: "your case or matter reference" }),
});

const UploadBodySchema = UploadFieldsSchema.extend({
  file: z.string().meta({ format: "binary", description: "the file (one; at most MAX_UPLOAD_BYTES)" }),
});

const SnapshotJsonBodySchema = ListingSnapshotSchema.extend({
  description: text(10_000).optional(),
  caseRef: text(200).optional(),
}).meta({
  id: "ListingSnapshotSubmission",
  example: {
    url: "https://marketplace.example/item/8842",
    platform: "marketplace.example",
    listingId: "8842",
    title: "Designer handbag",
    price: { amount: "39.99", currency: "USD" },
    seller: { id: "seller-77", name: "Bargain Bags" },
    capturedAt: "2026-11-20T08:30:00Z",
    caseRef: "CASE-2",
  },
});

const SnapshotMultipartBodySchema = z.object({
  snapshot: z.string().meta({ description: "the listing snapshot, as JSON (without caseRef and description)" }),
  screenshot: z
    .string()
    .meta({ format: "binary", description: "optional: a screenshot of the listing, stored as a related item" })
    .optional(),
  caseRef: text(200).optional(),
  description: text(10_000).optional(),
});

const SnapshotClaimsSchema = z.strictObject({
  description: text(10_000).optional(),
  caseRef: text(200).optional(),
});

const ListQuerySchema = z.strictObject({
  sha256: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.string().regex(SHA256_HEX, "must be 64 hexadecimal characters"))
    .optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, "is not a cursor this API gave")
    .optional(),
});

const IdParamSchema = z.object({ id: z.string().min(1).max(100) });

export function evidenceRoutes(deps: EvidenceRouteDeps): DocumentedRouter {
  const routes = new DocumentedRouter("/v1/evidence");
  const router = routes.router;
  router.use(requireApiKey(deps.accounts));
  // At worst a release is never recorded: its content stays pinned, a cost in disk only.
  const onRefused = (cids: string[]) => void requestRelease({ releases: deps.releases }, cids).catch(() => undefined);
  const fileUpload = multipart({ store: deps.store, onRefused, maxFileBytes: deps.maxUploadBytes, fileFields: ["file"], maxTextFields: 8 });
  const snapshotUpload = multipart({
    store: deps.store,
    onRefused,
    maxFileBytes: deps.maxUploadBytes,
    fileFields: ["screenshot"],
    maxTextFields: 4,
  });
  const snapshotJson = json({ limit: "1mb", strict: true });
  const ndjsonBody = textBody({ type: "application/x-ndjson", limit: deps.snapshotBatch.maxBytes, defaultCharset: "utf-8" });
  const custody = custodyRecorder({ custody: deps.index.custody, evidence: deps.evidence });
  // A retry answered from its key releases the file it uploaded again, as a refused upload does.
  const idempotent = idempotency(deps.idempotency, { onSkipped: (req) => onRefused(storedCids(req)) });
  // The body of a snapshot, parsed by its type before the Idempotency-Key is checked against it.
  const snapshotBody = async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (req.is("application/json")) await runMiddleware(snapshotJson, req, res);
      else if (req.is("multipart/form-data")) await runMiddleware(snapshotUpload, req, res);
      else throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/json or multipart/form-data" });
      next();
    } catch (error) {
      next(error);
    }
  };
  const batchBody = async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!req.is("application/x-ndjson")) throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/x-ndjson" });
      await runMiddleware(ndjsonBody, req, res);
      next();
    } catch (error) {
      next(error);
    }
  };
  const common = { tags: ["Evidence"], security: BEARER };
  const authAndNotFound = problems({ 401: "No valid API key", 404: "No such evidence for this account (EVIDENCE_NOT_FOUND)" });
  const readProblems = problems({
    401: "No valid API key",
    404: "No such evidence for this account (EVIDENCE_NOT_FOUND)",
    409: "Not anchored yet (EVIDENCE_NOT_ANCHORED)",
    500: "The stored record or content no longer checks out (RECORD_INTEGRITY, CONTENT_INTEGRITY)",
    503: "The chain or the content store cannot be reached (Retry-After)",
  });
  const uploadProblems = problems({
    400: "A field is missing or malformed, no file, an empty file, an unexpected field; a malformed Idempotency-Key",
    401: "No valid API key",
    ...IDEMPOTENCY_PROBLEMS,
    413: "Over MAX_UPLOAD_BYTES (FILE_TOO_LARGE) or a JSON body over 1 MB",
    415: "Not multipart/form-data (or JSON, for snapshots)",
    503: "The content store cannot be reached (STORE_UNAVAILABLE, Retry-After)",
  });

  routes.add(
    {
      ...common,
      method: "post",
      path: "/",
      summary: "Upload a file: stored, hashed and queued for anchoring",
      description:
        "Answered once the bytes and the record are on disk. The media type is read from the bytes; the client's is kept as a claim.",
      request: { headers: IdempotencyHeaderSchema, body: { content: { "multipart/form-data": { schema: UploadBodySchema } } } },
      responses: { 201: jsonResponse("Stored and queued (status pending)", EvidenceViewSchema), ...uploadProblems },
    },
    fileUpload,
    idempotent,
    async (req: Request, res: Response) => {
      const file = uploadedFiles(req).file;
      if (!file) throw new AppError(Errors.FILE_REQUIRED, { field: "file" });
      const fields = parseInput(UploadFieldsSchema, { ...req.body });
      const record = await submitEvidence(deps, {
        signal: requestSignal(req, res),
        accountId: accountOf(req).id,
        access: accessOf(req, res),
        kind: fields.kind,
        file: receivedFile(file),
        claims: {
          sourceUrl: fields.sourceUrl,
          capturedAt: fields.capturedAt,
          description: fields.description,
          caseRef: fields.caseRef,
          fileName: safeFileName(file.originalname),
          claimedMediaType: file.mimetype,
        },
      });
      res.status(201).location(evidenceLinks(record.id).self).json(evidenceView(record));
    },
  );

  routes.add(
    {
      ...common,
      method: "post",
      path: "/listing-snapshots",
      summary: "A structured listing snapshot, stored as RFC 8785 canonical JSON (optionally with its screenshot)",
      request: {
        headers: IdempotencyHeaderSchema,
        body: {
          content: {
            "application/json": { schema: SnapshotJsonBodySchema },
            "multipart/form-data": { schema: SnapshotMultipartBodySchema },
          },
        },
      },
      responses: { 201: jsonResponse("Stored and queued, with the screenshot in `related`", EvidenceWithRelatedSchema), ...uploadProblems },
    },
    snapshotBody,
    idempotent,
    async (req: Request, res: Response) => {
      let snapshot: unknown;
      let claims: unknown = {};
      let screenshot: Express.Multer.File | undefined;
      if (req.is("application/json")) {
        const { caseRef, description, ...rest } = (req.body ?? {}) as Record<string, unknown>;
        snapshot = rest;
        claims = { caseRef, description };
      } else {
        const { snapshot: raw, ...fields } = { ...req.body } as Record<string, string>;
        if (raw === undefined) throw new AppError(Errors.INVALID_REQUEST, { reason: "the multipart field 'snapshot' (JSON) is required" });
        snapshot = parseJsonField(raw, "snapshot");
        claims = fields;
        screenshot = uploadedFiles(req).screenshot;
      }
      const parsedClaims = parseInput(SnapshotClaimsSchema, stripUndefined(claims));
      const parsedSnapshot = parseInput(ListingSnapshotSchema, snapshot);
      const result = await submitListingSnapshot(deps, {
        signal: requestSignal(req, res),
        accountId: accountOf(req).id,
        access: accessOf(req, res),
        snapshot: parsedSnapshot,
        claims: parsedClaims,
        screenshot: screenshot && {
          file: receivedFile(screenshot),
          fileName: safeFileName(screenshot.originalname),
          claimedMediaType: screenshot.mimetype,
        },
      });
      const body = { ...evidenceView(result.snapshot), related: result.screenshot ? [evidenceView(result.screenshot)] : [] };
      res.status(201).location(evidenceLinks(result.snapshot.id).self).json(body);
    },
  );

  routes.add(
    {
      ...common,
      method: "post",
      path: "/listing-snapshots\\:batch",
      summary: "Many listing snapshots at once (NDJSON, one per line): per-line results, in order",
      description:
        "Each line is validated as POST /v1/evidence/listing-snapshots validates one JSON snapshot; a bad line is answered with its error and does not stop the others. Every accepted snapshot is on disk and indexed, with its custody entry, before the answer. At most SNAPSHOT_BATCH_MAX_LINES lines and SNAPSHOT_BATCH_MAX_BYTES bytes: over either, 413 and nothing is stored.",
      request: {
        headers: IdempotencyHeaderSchema,
        body: {
          content: {
            "application/x-ndjson": {
              schema: z.string().meta({ description: "one ListingSnapshotSubmission (JSON) per line" }),
            },
          },
        },
      },
      responses: {
        200: jsonResponse("Every line's result, in order: accepted (id, status pending) or rejected (error)", SnapshotBatchResultSchema),
        ...problems({
          400: "An empty batch; a malformed Idempotency-Key",
          401: "No valid API key",
          ...IDEMPOTENCY_PROBLEMS,
          413: "More lines than SNAPSHOT_BATCH_MAX_LINES (BATCH_TOO_LARGE) or more bytes than SNAPSHOT_BATCH_MAX_BYTES (BODY_TOO_LARGE): nothing stored",
          415: "Not application/x-ndjson",
          503: "The content store or the index cannot be reached: nothing indexed (Retry-After)",
        }),
      },
    },
    batchBody,
    idempotent,
    async (req: Request, res: Response) => {
      const lines = ndjsonLines(typeof req.body === "string" ? req.body : "");
      if (lines.length === 0) throw new AppError(Errors.INVALID_REQUEST, { reason: "the batch has no lines" });
      if (lines.length > deps.snapshotBatch.maxLines) throw new AppError(Errors.BATCH_TOO_LARGE, { limit: deps.snapshotBatch.maxLines });
      const rejected = new Map<number, AppError>();
      const accepted: BatchSnapshot[] = [];
      for (const [i, text] of lines.entries()) {
        const parsed = parseNdjsonLine(text, i + 1);
        if ("error" in parsed) {
          rejected.set(parsed.line, parsed.error);
          continue;
        }
        try {
          accepted.push({ line: parsed.line, ...snapshotAndClaims(parsed.value) });
        } catch (error) {
          if (!isAppError(error)) throw error;
          rejected.set(parsed.line, error);
        }
      }
      const stored = await submitSnapshotBatch(deps, {
        signal: requestSignal(req, res),
        accountId: accountOf(req).id,
        access: accessOf(req, res),
        snapshots: accepted,
      });
      const byLine = new Map(stored.map((s) => [s.line, s.record]));
      const results = lines.map((_, i) => {
        const line = i + 1;
        const record = byLine.get(line);
        if (record) return { line, id: record.id, status: record.status, sha256: record.sha256 };
        const error = rejected.get(line)!;
        return { line, error: { code: error.code, message: error.message } };
      });
      res.json({ accepted: stored.length, rejected: rejected.size, results });
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/",
      summary: "List your evidence, oldest first",
      request: { query: ListQuerySchema },
      responses: {
        200: jsonResponse("A page", EvidencePageSchema),
        ...problems({ 400: "A bad sha256, limit or cursor", 401: "No valid API key" }),
      },
    },
    async (req: Request, res: Response) => {
      const query = parseInput(ListQuerySchema, { ...req.query });
      const page = await deps.evidence.list(accountOf(req).id, query);
      res.json({ items: page.items.map(evidenceView), nextCursor: page.nextCursor });
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id",
      summary: "One record: its status, hashes, metadata and anchor",
      request: { params: IdParamSchema },
      responses: { 200: jsonResponse("The record", EvidenceViewSchema), ...authAndNotFound },
    },
    custody.item,
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParamSchema, req.params);
      const record = await getEvidence(deps.evidence, accountOf(req).id, id);
      await custody.record(req, res);
      res.json(evidenceView(record));
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/receipt",
      summary: "The receipt (evidence-receipt/v1), once anchored",
      description: "The record is checked as a verifier would check it, and its anchor confirmed on the chain, before it is served.",
      request: { params: IdParamSchema },
      responses: { 200: jsonResponse("The receipt, as a download", ReceiptResponseSchema), ...readProblems },
    },
    custody.item,
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParamSchema, req.params);
      const receipt = await getReceipt(deps, accountOf(req).id, id);
      await custody.record(req, res);
      res.setHeader("Content-Disposition", attachment(`${id}.receipt.json`, id));
      res.json(receipt);
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/certificate.pdf",
      summary: "The court certificate (PDF): made once the item is final, then the same bytes on every download",
      description:
        "Final: anchored, and every time-stamp authority answered (or asked longer ago than CERTIFICATE_TIMESTAMP_WAIT_MS). The stored bytes are re-hashed against the SHA-256 recorded when the certificate was made before they are sent.",
      request: { params: IdParamSchema },
      responses: {
        200: {
          description: "The certificate; ETag and X-Content-SHA256 give its SHA-256",
          content: { "application/pdf": { schema: z.string().meta({ format: "binary" }) } },
        },
        304: { description: "If-None-Match matched the ETag (the certificate's SHA-256)" },
        ...problems({
          401: "No valid API key",
          404: "No such evidence for this account (EVIDENCE_NOT_FOUND)",
          409: "Not anchored yet (EVIDENCE_NOT_ANCHORED), or anchored but waiting for a time-stamp (CERTIFICATE_NOT_READY, Retry-After)",
          500: "The stored record, content or certificate no longer checks out (RECORD_INTEGRITY, CONTENT_INTEGRITY, CERTIFICATE_INTEGRITY)",
          503: "The chain or the content store cannot be reached (Retry-After)",
        }),
      },
    },
    custody.item,
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParamSchema, req.params);
      const certificate = await fixedCertificate(deps, accountOf(req).id, id, { signal: requestSignal(req, res) });
      const etag = `"${certificate.sha256}"`;
      res.setHeader("ETag", etag);
      if (req.get("if-none-match") === etag) {
        await custody.record(req, res, 304);
        res.status(304).end();
        return;
      }
      await custody.record(req, res);
      res.type("application/pdf").setHeader("Content-Disposition", attachment(`${id}.certificate.pdf`, id));
      res.setHeader("X-Content-SHA256", certificate.sha256);
      res.send(certificate.bytes);
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/bundle",
      summary: "The evidence bundle (zip): the file, receipt, certificate, metadata, CAR, time-stamps, README and verifiers",
      description:
        "For a capture manifest, the capture's whole bundle: the manifest and every artifact it lists, each in its folder with its receipt, CAR and time-stamps (as GET /v1/captures/{id}/bundle).",
      request: { params: IdParamSchema },
      responses: {
        200: { description: "The bundle", content: { "application/zip": { schema: z.string().meta({ format: "binary" }) } } },
        ...readProblems,
      },
    },
    custody.item,
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParamSchema, req.params);
      const { zip, fileName, itemIds } = await bundleOf(deps, accountOf(req).id, id, { signal: requestSignal(req, res) });
      await custody.record(req, res, 200, itemIds);
      res.type("application/zip").setHeader("Content-Disposition", attachment(fileName, id));
      await pipeline(zip, res);
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/content",
      summary: "The stored bytes, checked against their SHA-256, size and CID before the first byte",
      request: { params: IdParamSchema },
      responses: {
        200: {
          description: "The bytes, as a download (never rendered on this origin)",
          content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
        },
        304: { description: "If-None-Match matched the ETag (the CID)" },
        ...readProblems,
      },
    },
    custody.item,
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParamSchema, req.params);
      const record = await getCheckedEvidence(deps.evidence, accountOf(req).id, id);
      const etag = `"${record.cid}"`;
      res.setHeader("ETag", etag);
      if (req.get("if-none-match") === etag) {
        await custody.record(req, res, 304);
        res.status(304).end();
        return;
      }
      const content = await openVerifiedContent(deps.store, record, { signal: requestSignal(req, res) });
      await custody.record(req, res);
      res.setHeader("Content-Type", record.mediaType);
      res.setHeader("Content-Length", String(record.size));
      // Evidence is often hostile HTML or SVG: never let a browser run it on this origin.
      res.setHeader("Content-Disposition", attachment(record.metadata.fileName ?? record.id, record.id));
      res.setHeader("Content-Security-Policy", "sandbox; default-src 'none'");
      res.setHeader("X-Content-SHA256", record.sha256);
      for await (const chunk of content) {
        if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
      }
      res.end();
    },
  );

  itemCustodyRoute(routes, { evidence: deps.evidence, custody: deps.index.custody, anchors: deps.anchors }, custody);

  router.use(custody.failed);
  // A refused request's stored files are released later, unless another record uses the same bytes.
  router.use((error: unknown, req: Request, _res: Response, next: NextFunction) => {
    onRefused(storedCids(req));
    next(error);
  });
  return routes;
}

function uploadedFiles(req: Request): Record<string, Express.Multer.File | undefined> {
  const files = (req.files ?? {}) as Record<string, Express.Multer.File[]>;
  return Object.fromEntries(Object.entries(files).map(([field, list]) => [field, list[0]]));
}

function parseJsonField(raw: string, field: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError(Errors.INVALID_REQUEST, { reason: `the field '${field}' is not valid JSON` });
  }
}

function stripUndefined(value: unknown): unknown {
  return Object.fromEntries(Object.entries(value as object).filter(([, v]) => v !== undefined));
}

/** The client's file name, kept as a claim: no path, no control characters, bounded. */
function safeFileName(name: string | undefined): string | undefined {
  const base = (name ?? "")
    .split(/[\\/]/)
    .pop()!
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .trim();
  return base ? base.slice(0, 255) : undefined;
}

/** A batch's line: the snapshot and its claims, validated as the single route's JSON body is (same schemas, same order). */
function snapshotAndClaims(value: unknown): Pick<BatchSnapshot, "snapshot" | "claims"> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError(Errors.INVALID_REQUEST, { reason: "each line must be a JSON object (a listing snapshot)" });
  }
  const { caseRef, description, ...snapshot } = value as Record<string, unknown>;
  const claims = parseInput(SnapshotClaimsSchema, stripUndefined({ caseRef, description }));
  return { snapshot: parseInput(ListingSnapshotSchema, snapshot), claims };
}
