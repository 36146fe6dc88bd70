/**
 * /v1/evidence: upload files and listing snapshots, read records, receipts and content. Every route
 * needs an API key, and an account sees only its own evidence (another's id is simply not found).
 */
import { Router, json, type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { ListingSnapshotSchema } from "../domain/listing-snapshot.ts";
import { SHA256_HEX } from "../domain/hashing.ts";
import { AppError, Errors } from "../errors.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { AccountRepository, ContentReleaseQueue, EvidenceRepository } from "../ports/repositories.ts";
import { getCheckedEvidence, getEvidence, getReceipt, openVerifiedContent } from "../use-cases/read-evidence.ts";
import type { AnchorCheckDeps } from "../use-cases/confirm-anchors.ts";
import { evidenceBundle, evidenceCertificate } from "../use-cases/export-evidence.ts";
import { pipeline } from "node:stream/promises";
import { submitEvidence } from "../use-cases/submit-evidence.ts";
import { submitListingSnapshot } from "../use-cases/submit-listing-snapshot.ts";
import { requestRelease } from "../use-cases/release-content.ts";
import { requestSignal } from "./request-signal.ts";
import { accountOf, requireApiKey } from "./auth.ts";
import { multipart } from "./multipart.ts";
import { receivedFile, storedCids } from "./upload-storage.ts";
import { parseInput, runMiddleware } from "./validation.ts";
import { evidenceLinks, evidenceView } from "./views.ts";

export interface EvidenceRouteDeps {
  store: ContentStore;
  evidence: EvidenceRepository;
  accounts: AccountRepository;
  releases: ContentReleaseQueue;
  /** Anchors are confirmed on the chain before a receipt is served. */
  anchors: AnchorCheckDeps;
  maxUploadBytes: number;
  publicUrl: () => string;
}

const text = (max: number) => z.string().trim().min(1).max(max);
const isoDateTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with a time zone" });
const httpUrl = z.url({ protocol: /^https?$/, message: "must be an http(s) URL" });

const UploadFieldsSchema = z.strictObject({
  kind: z.enum(["screenshot", "listing-snapshot", "document"]).default("document"),
  sourceUrl: httpUrl.max(4096).optional(),
  capturedAt: isoDateTime.optional(),
  description: text(10_000).optional(),
  caseRef: text(200).optional(),
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
  cursor: z.string().regex(/^\d{1,18}$/, "is not a cursor this API gave").optional(),
});

const IdParamSchema = z.object({ id: z.string().min(1).max(100) });

export function evidenceRoutes(deps: EvidenceRouteDeps): Router {
  const router = Router();
  router.use(requireApiKey(deps.accounts));
  const onRefused = (cids: string[]) => requestRelease({ releases: deps.releases, store: deps.store }, cids);
  const fileUpload = multipart({ store: deps.store, onRefused, maxFileBytes: deps.maxUploadBytes, fileFields: ["file"], maxTextFields: 8 });
  const snapshotUpload = multipart({ store: deps.store, onRefused, maxFileBytes: deps.maxUploadBytes, fileFields: ["screenshot"], maxTextFields: 4 });
  const snapshotJson = json({ limit: "1mb", strict: true });

  router.post("/", fileUpload, async (req: Request, res: Response) => {
    const file = uploadedFiles(req).file;
    if (!file) throw new AppError(Errors.FILE_REQUIRED, { field: "file" });
    const fields = parseInput(UploadFieldsSchema, { ...req.body });
    const record = await submitEvidence(deps, {
      signal: requestSignal(req, res),
      accountId: accountOf(req).id,
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
  });

  router.post("/listing-snapshots", async (req: Request, res: Response) => {
    let snapshot: unknown;
    let claims: unknown = {};
    let screenshot: Express.Multer.File | undefined;
    if (req.is("application/json")) {
      await runMiddleware(snapshotJson, req, res);
      const { caseRef, description, ...rest } = (req.body ?? {}) as Record<string, unknown>;
      snapshot = rest;
      claims = { caseRef, description };
    } else if (req.is("multipart/form-data")) {
      await runMiddleware(snapshotUpload, req, res);
      const { snapshot: raw, ...fields } = { ...req.body } as Record<string, string>;
      if (raw === undefined) throw new AppError(Errors.INVALID_REQUEST, { reason: "the multipart field 'snapshot' (JSON) is required" });
      snapshot = parseJsonField(raw, "snapshot");
      claims = fields;
      screenshot = uploadedFiles(req).screenshot;
    } else {
      throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/json or multipart/form-data" });
    }
    const parsedClaims = parseInput(SnapshotClaimsSchema, stripUndefined(claims));
    const parsedSnapshot = parseInput(ListingSnapshotSchema, snapshot);
    const result = await submitListingSnapshot(deps, {
      signal: requestSignal(req, res),
      accountId: accountOf(req).id,
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
  });

  router.get("/", (req: Request, res: Response) => {
    const query = parseInput(ListQuerySchema, { ...req.query });
    const page = deps.evidence.list(accountOf(req).id, query);
    res.json({ items: page.items.map(evidenceView), nextCursor: page.nextCursor });
  });

  router.get("/:id", (req: Request, res: Response) => {
    const { id } = parseInput(IdParamSchema, req.params);
    res.json(evidenceView(getEvidence(deps.evidence, accountOf(req).id, id)));
  });

  router.get("/:id/receipt", async (req: Request, res: Response) => {
    const { id } = parseInput(IdParamSchema, req.params);
    const receipt = await getReceipt(deps, accountOf(req).id, id);
    res.setHeader("Content-Disposition", `attachment; filename="${id}.receipt.json"`);
    res.json(receipt);
  });

  router.get("/:id/certificate.pdf", async (req: Request, res: Response) => {
    const { id } = parseInput(IdParamSchema, req.params);
    const pdf = await evidenceCertificate(deps, accountOf(req).id, id);
    res.type("application/pdf").setHeader("Content-Disposition", `attachment; filename="${id}.certificate.pdf"`);
    res.send(pdf);
  });

  router.get("/:id/bundle", async (req: Request, res: Response) => {
    const { id } = parseInput(IdParamSchema, req.params);
    const { zip } = await evidenceBundle(deps, accountOf(req).id, id, { signal: requestSignal(req, res) });
    res.type("application/zip").setHeader("Content-Disposition", `attachment; filename="${id}.bundle.zip"`);
    await pipeline(zip, res);
  });

  router.get("/:id/content", async (req: Request, res: Response) => {
    const { id } = parseInput(IdParamSchema, req.params);
    const record = getCheckedEvidence(deps.evidence, accountOf(req).id, id);
    const etag = `"${record.cid}"`;
    res.setHeader("ETag", etag);
    if (req.get("if-none-match") === etag) {
      res.status(304).end();
      return;
    }
    const content = await openVerifiedContent(deps.store, record, { signal: requestSignal(req, res) });
    res.setHeader("Content-Type", record.mediaType);
    res.setHeader("Content-Length", String(record.size));
    // Evidence is often hostile HTML or SVG: never let a browser run it on this origin.
    res.setHeader("Content-Disposition", `attachment; filename="${downloadName(record.id, record.metadata.fileName)}"`);
    res.setHeader("Content-Security-Policy", "sandbox; default-src 'none'");
    res.setHeader("X-Content-SHA256", record.sha256);
    for await (const chunk of content) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
  });

  // A refused request's stored files are released later, unless another record uses the same bytes.
  router.use((error: unknown, req: Request, _res: Response, next: NextFunction) => {
    onRefused(storedCids(req));
    next(error);
  });
  return router;
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
  const base = (name ?? "").split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, "").trim();
  return base ? base.slice(0, 255) : undefined;
}

function downloadName(id: string, fileName: string | undefined): string {
  return (fileName ?? id).replace(/[^\w.\-]+/g, "_");
}
