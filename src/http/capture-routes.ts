/** /v1/captures: ask for a listing URL to be captured (202), then follow the capture. */
import { Router, json, type Request, type Response } from "express";
import { z } from "zod";
import { AppError, Errors } from "../errors.ts";
import type { AccountRepository, CaptureRecord, CaptureRepository } from "../ports/repositories.ts";
import { requestCapture } from "../use-cases/capture-listing.ts";
import type { EgressPolicy } from "../adapters/capture/egress-proxy.ts";
import { accountOf, requireApiKey } from "./auth.ts";
import { parseInput } from "./validation.ts";
import { evidenceLinks } from "./views.ts";

export interface CaptureRouteDeps {
  accounts: AccountRepository;
  captures: CaptureRepository;
  policy: EgressPolicy;
  /** Why captures cannot run here (no browser), or null. */
  unavailable: () => string | null;
}

const CaptureRequestSchema = z.strictObject({
  url: z.string().min(1).max(4096),
  caseRef: z.string().trim().min(1).max(200).optional(),
  listingId: z.string().trim().min(1).max(500).optional(),
  note: z.string().trim().min(1).max(10_000).optional(),
});

export function captureRoutes(deps: CaptureRouteDeps): Router {
  const router = Router();
  router.use(requireApiKey(deps.accounts), json({ limit: "64kb" }));

  router.post("/", async (req: Request, res: Response) => {
    if (!req.is("application/json")) throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/json" });
    const input = parseInput(CaptureRequestSchema, req.body ?? {});
    const unavailable = deps.unavailable();
    if (unavailable) throw new AppError(Errors.CAPTURE_UNAVAILABLE, { reason: unavailable });
    const capture = await requestCapture(deps, { accountId: accountOf(req).id, ...input });
    res.status(202).location(`/v1/captures/${capture.id}`).json(captureView(capture));
  });

  router.get("/", (req: Request, res: Response) => {
    res.json({ items: deps.captures.listCaptures(accountOf(req).id, 100).map(captureView) });
  });

  router.get("/:id", (req: Request, res: Response) => {
    const { id } = parseInput(z.object({ id: z.string().min(1).max(100) }), req.params);
    const capture = deps.captures.getCapture(accountOf(req).id, id);
    if (!capture) throw new AppError(Errors.CAPTURE_NOT_FOUND, { id });
    res.json(captureView(capture));
  });
  return router;
}

function captureView(c: CaptureRecord) {
  return {
    id: c.id,
    status: c.status,
    url: c.url,
    caseRef: c.caseRef,
    listingId: c.listingId,
    note: c.note,
    requestedAt: c.requestedAt,
    startedAt: c.startedAt,
    finishedAt: c.finishedAt,
    failureReason: c.failureReason,
    ...(c.summary ?? {}),
    links: {
      self: `/v1/captures/${c.id}`,
      ...(c.manifestId ? { manifest: evidenceLinks(c.manifestId) } : {}),
    },
  };
}
