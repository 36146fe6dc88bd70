/**
 * /v1/notices: notice and takedown. A rights-holder files a notice; the platform decides; the
 * respondent may counter; the rights-holder responds; the platform takes a final decision. Each step
 * is an anchored document (use-cases/case-steps.ts). A notice missing an element the law asks for is
 * answered 422 NOTICE_INCOMPLETE naming each one (`missing`), before anything else is checked.
 */
import { json, type Request, type Response } from "express";
import { z } from "zod";
import {
  CounterNoticeSchema,
  DecisionSchema,
  FinalDecisionSchema,
  missingElements,
  NOTICE_STATUSES,
  NoticeSchema,
  REQUIRED_ELEMENTS,
  type RequiredElement,
  ResponseSchema,
} from "../domain/notice.ts";
import { AppError, Errors } from "../errors.ts";
import type { Account } from "../ports/account-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import type { NoticeRecord } from "../ports/notice-repository.ts";
import type { CaseDeps } from "../use-cases/case-steps.ts";
import { decideNotice, fileCounterNotice, fileNotice, finalDecision, respondToNotice, type Actor } from "../use-cases/notices.ts";
import { caseEvidence, caseFile, type CaseFile, getCase, listCases } from "../use-cases/read-cases.ts";
import { receiptOf, type ReadDeps } from "../use-cases/read-evidence.ts";
import { caseBundle } from "../use-cases/export-case-bundle.ts";
import type { ExportDeps } from "../use-cases/export-evidence.ts";
import { pipeline } from "node:stream/promises";
import { requestSignal } from "./request-signal.ts";
import { accountOf, requireApiKey } from "./auth.ts";
import { accessOf, custodyRecorder } from "./custody-access.ts";
import { attachment } from "./download.ts";
import { BEARER, DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { IDEMPOTENCY_PROBLEMS, idempotency, IdempotencyHeaderSchema, type IdempotencySettings } from "./idempotency.ts";
import { parseInput } from "./validation.ts";

export interface NoticeRouteDeps {
  cases: CaseDeps;
  index: Pick<IndexStore, "accounts" | "custody" | "evidence" | "notices" | "captures">;
  receipts: Pick<ReadDeps, "anchors" | "timestamps">;
  idempotency: IdempotencySettings;
  /** The case bundle's documents (as an evidence bundle's); without them, GET /:id/bundle is not served. */
  bundles?: ExportDeps;
}

const IdParams = z.object({ id: z.string().min(1).max(100) });
const EvidenceParams = IdParams.extend({ evidenceId: z.string().min(1).max(100) });
const ListQuerySchema = z.strictObject({
  status: z.enum(NOTICE_STATUSES).optional(),
  platform: z.string().min(1).max(100).optional(),
  overdue: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional(),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: "filed at or after" }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: "filed before" }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.string().min(1).max(100).optional().meta({ description: "the `next` of the previous page" }),
});

const CaseSchema = z.looseObject({ id: z.string(), status: z.enum(NOTICE_STATUSES) }).meta({ id: "NoticeCase" });
const CaseListSchema = z
  .object({ notices: z.array(z.looseObject({ id: z.string() })), next: z.string().nullable() })
  .meta({ id: "NoticeList" });
const StepSchema = z.looseObject({ seq: z.number(), type: z.string(), evidenceId: z.string().nullable() }).meta({ id: "NoticeStep" });

/** 422 naming every element the law asks for that the body lacks; then the body's shape (400). */
function parseDocument<S extends z.ZodType>(document: keyof typeof REQUIRED_ELEMENTS, schema: S, body: unknown): z.infer<S> {
  const missing: RequiredElement[] = missingElements(body, REQUIRED_ELEMENTS[document]);
  if (missing.length > 0) {
    throw new AppError(Errors.NOTICE_INCOMPLETE, { document, elements: missing.map((m) => m.element).join(", "), extensions: { missing } });
  }
  return parseInput(schema, body);
}

const iso = (value?: string) => (value ? new Date(value).toISOString() : undefined);

/** The case as its parties see it. */
export function caseView(file: CaseFile) {
  const { notice } = file;
  const anchorOf = (evidenceId: string | null) => {
    const found = evidenceId ? file.evidence.get(evidenceId) : undefined;
    if (!found) return null;
    const { record } = found;
    return {
      status: record.status,
      ...(record.anchor ? { chainId: record.anchor.chainId, blockNumber: record.anchor.blockNumber, txHash: record.anchor.txHash } : {}),
    };
  };
  const links = (evidenceId: string) => ({
    record: `/v1/notices/${notice.id}/evidence/${evidenceId}`,
    receipt: `/v1/notices/${notice.id}/evidence/${evidenceId}/receipt`,
  });
  return {
    ...summaryView(notice),
    listings: notice.listings,
    steps: file.events.map((e) => ({
      seq: e.seq,
      type: e.type,
      at: e.at,
      actor: e.actorId,
      evidenceId: e.evidenceId,
      anchor: anchorOf(e.evidenceId),
      ...(file.withheld.has(e.seq) ? { withheld: file.withheld.get(e.seq)! } : e.evidenceId ? { links: links(e.evidenceId) } : {}),
      data: e.data,
    })),
    captures: file.captures.map((c) => ({
      captureId: c.capture.id,
      listingId: c.listingId,
      purpose: c.purpose,
      step: c.eventSeq,
      url: c.capture.url,
      status: c.progress.status,
      ...(c.progress.failureReason ? { failureReason: c.progress.failureReason } : {}),
      manifestId: c.capture.manifestId ?? null,
      ...(c.capture.manifestId ? { links: links(c.capture.manifestId) } : {}),
    })),
    takedownSnapshots: [...file.evidence.values()]
      .filter((e) => e.role === "takedown-snapshot")
      .map((e) => ({
        listingId: e.listingId,
        evidenceId: e.record.id,
        step: e.seq,
        anchor: anchorOf(e.record.id),
        links: links(e.record.id),
      })),
    deadlines: file.timers.map((t) => ({ kind: t.kind, at: t.runAt })),
  };
}

function summaryView(notice: NoticeRecord) {
  return {
    id: notice.id,
    status: notice.status,
    platform: notice.platformId,
    notifier: notice.notifierId,
    notifierName: notice.summary.notifierName,
    right: notice.summary.right,
    filedAt: notice.filedAt,
    decisionDueAt: notice.decisionDueAt,
    decidedAt: notice.decidedAt,
    overdue: notice.overdueAt !== null,
    overdueAt: notice.overdueAt,
    restorationDueAt: notice.restorationDueAt,
    closedAt: notice.closedAt,
    listingCount: notice.listings.length,
  };
}

export function noticeRoutes(deps: NoticeRouteDeps): DocumentedRouter {
  const routes = new DocumentedRouter("/v1/notices");
  routes.router.use(requireApiKey(deps.index.accounts), json({ limit: "1mb" }));
  const idempotent = idempotency(deps.idempotency);
  const custody = custodyRecorder({ custody: deps.index.custody, evidence: deps.index.evidence });
  const common = { tags: ["Notices"], security: BEARER };
  const actorOf = (req: Request, res: Response): Actor => ({ account: accountOf(req), access: accessOf(req, res) });
  const requireJson = (req: Request) => {
    if (!req.is("application/json")) throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/json" });
  };
  const view = async (req: Request, id: string) =>
    caseView(await caseFile(deps.index, await getCase(deps.index, accountOf(req), id), accountOf(req)));
  const stepProblems = problems({
    400: "A malformed field (INVALID_REQUEST, UNEXPECTED_FIELD)",
    401: "No valid API key",
    403: "The step is another party's (FORBIDDEN)",
    404: "No such case among this account's (NOTICE_NOT_FOUND)",
    409: `The case's status does not allow the step (NOTICE_STATE_CONFLICT); ${IDEMPOTENCY_PROBLEMS[409]}`,
    415: "Not JSON",
    429: "A decision's captures would leave the account over CAPTURE_QUEUE_MAX_PER_ACCOUNT waiting (CAPTURE_QUEUE_FULL)",
    422: `An element the law asks for is missing (NOTICE_INCOMPLETE, with \`missing\`); an unknown listing (NOTICE_REFERENCE_UNKNOWN); ${IDEMPOTENCY_PROBLEMS[422]}`,
  });

  routes.add(
    {
      ...common,
      method: "post",
      path: "/",
      summary: "File a notice (rights-holder): stored and anchored; each listing is captured as it stands",
      description:
        "Elements per DSA art. 16(2) and DMCA §512(c)(3)(A): a missing one answers 422 NOTICE_INCOMPLETE with `missing: [{ element, requiredBy }]`.",
      request: { headers: IdempotencyHeaderSchema, body: { content: { "application/json": { schema: NoticeSchema } } } },
      responses: {
        201: jsonResponse("Filed: the case", CaseSchema),
        ...problems({
          400: "A malformed field",
          401: "No valid API key",
          403: "Not a rights-holder's key (FORBIDDEN)",
          415: "Not JSON",
          409: IDEMPOTENCY_PROBLEMS[409],
          422: `An element is missing (NOTICE_INCOMPLETE); an unknown platform or evidence id (NOTICE_REFERENCE_UNKNOWN); a listing URL that may not be captured (CAPTURE_URL_FORBIDDEN); ${IDEMPOTENCY_PROBLEMS[422]}`,
          429: "The listings' captures would leave the account over CAPTURE_QUEUE_MAX_PER_ACCOUNT waiting (CAPTURE_QUEUE_FULL)",
        }),
      },
    },
    idempotent,
    async (req: Request, res: Response) => {
      requireJson(req);
      const input = parseDocument("notice", NoticeSchema, req.body ?? {});
      const notice = await fileNotice(deps.cases, actorOf(req, res), input);
      res
        .status(201)
        .location(`/v1/notices/${notice.id}`)
        .json(await view(req, notice.id));
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/",
      summary: "The cases this account is party to, newest first",
      request: { query: ListQuerySchema },
      responses: {
        200: jsonResponse("A page of cases", CaseListSchema),
        ...problems({ 400: "A malformed filter", 401: "No valid API key" }),
      },
    },
    async (req: Request, res: Response) => {
      const q = parseInput(ListQuerySchema, req.query);
      const page = await listCases(
        deps.index,
        accountOf(req),
        { status: q.status, platformId: q.platform, overdue: q.overdue, from: iso(q.from), to: iso(q.to) },
        { limit: q.limit + 1, before: q.before },
      );
      const shown = page.slice(0, q.limit);
      res.json({ notices: shown.map(summaryView), next: page.length > q.limit ? shown.at(-1)!.id : null });
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id",
      summary: "A case's timeline: each step with its evidence, anchoring and receipt; captures; deadlines",
      request: { params: IdParams },
      responses: {
        200: jsonResponse("The case", CaseSchema),
        ...problems({ 401: "No valid API key", 404: "No such case among this account's" }),
      },
    },
    async (req: Request, res: Response) => {
      res.json(await view(req, parseInput(IdParams, req.params).id));
    },
  );

  const step = <S extends z.ZodType>(
    role: Account["role"],
    path: string,
    summary: string,
    schema: S,
    parse: (body: unknown) => z.infer<S>,
    take: (actor: Actor, id: string, input: z.infer<S>) => Promise<{ seq: number }>,
  ) =>
    routes.add(
      {
        ...common,
        method: "post",
        path: `/:id/${path}`,
        summary,
        request: { params: IdParams, headers: IdempotencyHeaderSchema, body: { content: { "application/json": { schema } } } },
        responses: { 201: jsonResponse("Recorded: the step", StepSchema), ...stepProblems },
      },
      idempotent,
      async (req: Request, res: Response) => {
        // Whose step it is comes first: another party learns nothing from how its body would be judged.
        if (accountOf(req).role !== role) throw new AppError(Errors.FORBIDDEN, { action: `take this step (a ${role}'s)` });
        requireJson(req);
        const { id } = parseInput(IdParams, req.params);
        const input = parse(req.body ?? {});
        const event = await take(actorOf(req, res), id, input);
        res.status(201).location(`/v1/notices/${id}`).json(event);
      },
    );

  step(
    "platform",
    "decisions",
    "Decide (platform): remove, restrict or reject each listing, with a statement of reasons and a takedown snapshot of each one removed",
    DecisionSchema,
    (body) => parseDocument("decision", DecisionSchema, body),
    (actor, id, input) => decideNotice(deps.cases, actor, id, input),
  );
  step(
    "respondent",
    "counter-notices",
    "Counter-notice (respondent), per DMCA §512(g)(3) and DSA art. 20: restoration falls due after the platform's delay",
    CounterNoticeSchema,
    (body) => parseDocument("counter-notice", CounterNoticeSchema, body),
    (actor, id, input) => fileCounterNotice(deps.cases, actor, id, input),
  );
  step(
    "rights-holder",
    "responses",
    "Respond (rights-holder): withdraw the notice, or state that an action was filed (restoration stops)",
    ResponseSchema,
    (body) => parseInput(ResponseSchema, body),
    (actor, id, input) => respondToNotice(deps.cases, actor, id, input),
  );
  step(
    "platform",
    "final-decisions",
    "Final decision (platform): restore or uphold, with a statement of reasons",
    FinalDecisionSchema,
    (body) => parseDocument("final-decision", FinalDecisionSchema, body),
    (actor, id, input) => finalDecision(deps.cases, actor, id, input),
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/evidence/:evidenceId/receipt",
      summary:
        "The receipt of an item of the case (a step's document, a takedown snapshot, a capture's manifest or artifact), once anchored",
      request: { params: EvidenceParams },
      responses: {
        200: jsonResponse("The receipt, as a download", z.looseObject({}).meta({ id: "CaseReceipt" })),
        ...problems({
          401: "No valid API key",
          404: "No such case or item (NOTICE_NOT_FOUND, EVIDENCE_NOT_FOUND)",
          409: "Not anchored yet",
        }),
      },
    },
    async (req: Request, res: Response) => {
      const { id, evidenceId } = parseInput(EvidenceParams, req.params);
      const { record } = await caseEvidence(deps.index, accountOf(req), id, evidenceId);
      const receipt = await receiptOf(deps.receipts, record);
      custody.name(res, evidenceId);
      await custody.record(req, res);
      res.setHeader("Content-Disposition", attachment(`${evidenceId}.receipt.json`, evidenceId));
      res.json(receipt);
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/:id/evidence/:evidenceId",
      summary: "The record of an item of the case",
      request: { params: EvidenceParams },
      responses: {
        200: jsonResponse("The record", z.looseObject({ id: z.string() }).meta({ id: "CaseEvidence" })),
        ...problems({ 401: "No valid API key", 404: "No such case or item" }),
      },
    },
    async (req: Request, res: Response) => {
      const { id, evidenceId } = parseInput(EvidenceParams, req.params);
      const found = await caseEvidence(deps.index, accountOf(req), id, evidenceId);
      custody.name(res, evidenceId);
      await custody.record(req, res);
      const { record } = found;
      res.json({
        id: record.id,
        kind: record.kind,
        role: found.role,
        sha256: record.sha256,
        size: record.size,
        mediaType: record.mediaType,
        cid: record.cid,
        receivedAt: record.receivedAt,
        status: record.status,
        metadata: record.metadata,
        ...(found.listingId ? { listingId: found.listingId } : {}),
        ...(found.captureId ? { captureId: found.captureId } : {}),
      });
    },
  );

  if (deps.bundles) {
    const bundles = { ...deps.bundles, index: deps.index };
    routes.add(
      {
        ...common,
        method: "get",
        path: "/:id/bundle",
        summary:
          "The case bundle (zip) for a lawyer: every step in order with its document, receipt and certificate, the takedown snapshots and captures, an index, the verifiers",
        description:
          "INDEX.txt and index.json list each step (time, who took it, evidence id, SHA-256, anchor, its files) and what is missing and why (an item not anchored yet comes without its receipt; a certificate not final yet is left out). Each item handed out is recorded in its custody log.",
        request: { params: IdParams },
        responses: {
          200: { description: "The bundle", content: { "application/zip": { schema: z.string().meta({ format: "binary" }) } } },
          ...problems({
            401: "No valid API key",
            404: "No such case among this account's (NOTICE_NOT_FOUND)",
            500: "A stored record, content, receipt or custody log no longer checks out (RECORD_INTEGRITY, CONTENT_INTEGRITY, CUSTODY_INTEGRITY)",
            503: "The chain or the content store cannot be reached (Retry-After)",
          }),
        },
      },
      async (req: Request, res: Response) => {
        const { id } = parseInput(IdParams, req.params);
        const bundle = await caseBundle(bundles, accountOf(req), id, { signal: requestSignal(req, res), timeline: caseView });
        custody.name(res, bundle.itemIds[0]!);
        await custody.record(req, res, 200, bundle.itemIds);
        res.type("application/zip").setHeader("Content-Disposition", attachment(bundle.fileName, id));
        await pipeline(bundle.zip, res);
      },
    );
  }

  return routes;
}
