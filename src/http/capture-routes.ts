/** /v1/captures: ask for a listing URL to be captured (202), then follow the capture. */
import { pipeline } from "node:stream/promises";
import { json, type Request, type Response } from "express";
import { z } from "zod";
import { AppError, Errors } from "../errors.ts";
import type { CaptureRecord } from "../ports/capture-repository.ts";
import type { EgressGuard } from "../ports/egress-guard.ts";
import { CAPTURE_DEVICES } from "../ports/page-capturer.ts";
import type { EvidenceRepository } from "../ports/evidence-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { requestCapture } from "../use-cases/capture-listing.ts";
import { captureProgress, type CaptureProgress } from "../use-cases/capture-status.ts";
import { bundleOf, captureManifestId } from "../use-cases/export-capture-bundle.ts";
import type { ExportDeps } from "../use-cases/export-evidence.ts";
import { custodyRecorder } from "./custody-access.ts";
import { attachment } from "./download.ts";
import { requestSignal } from "./request-signal.ts";
import { accountOf, requireApiKey } from "./auth.ts";
import { IDEMPOTENCY_PROBLEMS, idempotency, IdempotencyHeaderSchema, type IdempotencySettings } from "./idempotency.ts";
import { parseInput } from "./validation.ts";
import { anchorView, evidenceLinks } from "./views.ts";
import { BEARER, DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { CaptureListSchema, CaptureViewSchema } from "./schemas.ts";

export interface CaptureRouteDeps {
  index: Pick<IndexStore, "transaction" | "captures" | "evidence" | "accounts" | "custody">;
  egress: EgressGuard;
  /** Most captures an account may have waiting (CAPTURE_QUEUE_MAX_PER_ACCOUNT). */
  maxWaiting: number;
  /** Why captures cannot run here (no browser), or null. */
  unavailable: () => string | null;
  /** The Idempotency-Key header on POST /v1/captures. */
  idempotency: IdempotencySettings;
}

/** With what a capture's bundle is made: as GET /v1/evidence/{id}/bundle makes it. */
export type CaptureDocumentDeps = ExportDeps;

const CaptureRequestSchema = z
  .strictObject({
    url: z.string().min(1).max(4096).meta({ description: "an http(s) URL whose host resolves to public addresses only" }),
    caseRef: z.string().trim().min(1).max(200).optional(),
    listingId: z.string().trim().min(1).max(500).optional(),
    note: z.string().trim().min(1).max(10_000).optional(),
    device: z.enum(CAPTURE_DEVICES).default("desktop").meta({ description: "desktop (1366×900), or mobile: a Pixel 7 phone" }),
  })
  .meta({ id: "CaptureRequest", example: { url: "https://marketplace.example/item/8842", caseRef: "CASE-9" } });
const IdParams = z.object({ id: z.string().min(1).max(100) });

export function captureRoutes(deps: CaptureRouteDeps, documents: CaptureDocumentDeps): DocumentedRouter {
  const routes = new DocumentedRouter("/v1/captures");
  routes.router.use(requireApiKey(deps.index.accounts), json({ limit: "64kb" }));
  const common = { tags: ["Captures"], security: BEARER };
  // A bundle handed out is an access to each item in it (custody-access.ts).
  const custody = custodyRecorder({ custody: deps.index.custody, evidence: documents.evidence });

  routes.add(
    {
      ...common,
      method: "post",
      path: "/",
      summary: "Capture a listing URL in a clean browser; every artifact is stored and anchored",
      request: { headers: IdempotencyHeaderSchema, body: { content: { "application/json": { schema: CaptureRequestSchema } } } },
      responses: {
        202: jsonResponse("Queued", CaptureViewSchema),
        ...problems({
          400: "Not an http(s) URL, or one with credentials (CAPTURE_URL_INVALID); a malformed field or Idempotency-Key",
          401: "No valid API key",
          409: IDEMPOTENCY_PROBLEMS[409],
          415: "Not JSON",
          422: `The host resolves to a non-public address (CAPTURE_URL_FORBIDDEN); ${IDEMPOTENCY_PROBLEMS[422]}`,
          429: "The account has CAPTURE_QUEUE_MAX_PER_ACCOUNT captures waiting (CAPTURE_QUEUE_FULL, Retry-After)",
          503: "No browser on this machine (CAPTURE_UNAVAILABLE)",
        }),
      },
    },
    idempotency(deps.idempotency),
    async (req: Request, res: Response) => {
      if (!req.is("application/json")) throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/json" });
      const input = parseInput(CaptureRequestSchema, req.body ?? {});
      const unavailable = deps.unavailable();
      if (unavailable) throw new AppError(Errors.CAPTURE_UNAVAILABLE, { reason: unavailable });
      const capture = await requestCapture(deps, { accountId: accountOf(req).id, ...input });
      res
        .status(202)
        .location(`/v1/captures/${capture.id}`)
        .json(captureView(capture, { status: "queued" }));
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/",
      summary: "Your latest 100 captures, newest first",
      responses: { 200: jsonResponse("The captures", CaptureListSchema), ...problems({ 401: "No valid API key" }) },
    },
    async (req: Request, res: Response) => {
      const account = accountOf(req).id;
      res.json({ items: await captureViews(deps.index.evidence, account, await deps.index.captures.list(account, 100)) });
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id",
      summary: "One capture: its state, what it found, its artifacts and manifest",
      request: { params: IdParams },
      responses: {
        200: jsonResponse("The capture", CaptureViewSchema),
        ...problems({ 401: "No valid API key", 404: "No such capture for this account (CAPTURE_NOT_FOUND)" }),
      },
    },
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParams, req.params);
      const account = accountOf(req).id;
      const capture = await deps.index.captures.get(account, id);
      if (!capture) throw new AppError(Errors.CAPTURE_NOT_FOUND, { id });
      res.json((await captureViews(deps.index.evidence, account, [capture]))[0]);
    },
  );
  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/bundle",
      summary: "The capture's evidence bundle (zip): the manifest and every artifact, each with its receipt, CAR and time-stamps",
      description:
        "One zip that proves the whole capture offline: manifest/ and artifacts/<role>/ each hold an evidence item (file, receipt.json, metadata.json, content.car, time-stamp files), with the certificate, README.txt and the verifiers verify.mjs and verify.html. The same as GET /v1/evidence/{manifest id}/bundle.",
      request: { params: IdParams },
      responses: {
        200: { description: "The bundle", content: { "application/zip": { schema: z.string().meta({ format: "binary" }) } } },
        ...problems({
          401: "No valid API key",
          404: "No such capture for this account (CAPTURE_NOT_FOUND)",
          409: "The capture has no evidence yet (CAPTURE_WITHOUT_EVIDENCE), or an item is not anchored yet (EVIDENCE_NOT_ANCHORED)",
          500: "A stored record or content no longer checks out (RECORD_INTEGRITY, CONTENT_INTEGRITY)",
          503: "The chain or the content store cannot be reached (Retry-After)",
        }),
      },
    },
    async (req: Request, res: Response) => {
      const { id } = parseInput(IdParams, req.params);
      const account = accountOf(req).id;
      const manifestId = await captureManifestId(deps.index.captures, account, id);
      custody.name(res, manifestId);
      const { zip, fileName, itemIds } = await bundleOf(documents, account, manifestId, { signal: requestSignal(req, res) });
      await custody.record(req, res, 200, itemIds);
      res.type("application/zip").setHeader("Content-Disposition", attachment(fileName, id));
      await pipeline(zip, res);
    },
  );

  routes.router.use(custody.failed);
  return routes;
}

/** The capture as stored, with its progress read from its evidence (capture-status.ts). */
function captureView(c: CaptureRecord, progress: CaptureProgress) {
  const summary = c.summary ?? {};
  const artifacts = summary.artifacts as { evidenceId: string }[] | undefined;
  return {
    id: c.id,
    status: progress.status,
    url: c.url,
    caseRef: c.caseRef,
    listingId: c.listingId,
    note: c.note,
    device: c.device,
    requestedAt: c.requestedAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    failureReason: progress.failureReason,
    ...summary,
    ...(artifacts ? { artifacts: artifacts.map((a) => ({ ...a, links: evidenceLinks(a.evidenceId) })) } : {}),
    ...(progress.anchored ? { anchor: anchorView(progress.anchored.anchor, progress.anchored.root) } : {}),
    links: {
      self: `/v1/captures/${c.id}`,
      ...(c.manifestId ? { manifest: evidenceLinks(c.manifestId) } : {}),
      // Served once every item is anchored (409 before).
      ...(progress.anchored ? { bundle: `/v1/captures/${c.id}/bundle` } : {}),
    },
  };
}

async function captureViews(evidence: Pick<EvidenceRepository, "getMany">, accountId: string, captures: CaptureRecord[]) {
  const progress = await captureProgress(evidence, accountId, captures);
  return captures.map((c) => captureView(c, progress.get(c.id)!));
}
