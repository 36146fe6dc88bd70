/**
 * /v1/reports/notices: numbers over the notices filed in a period (domain/notice-report.ts), as JSON or
 * as CSV (one row per number, with its definition); POST stores the report as an anchored evidence item
 * of the caller's. A platform reads its own, a rights-holder the notices it filed, an admin any.
 */
import { json, type Request, type Response } from "express";
import { stringify } from "csv-stringify/sync";
import { z } from "zod";
import { NOTICE_STATUSES } from "../domain/notice.ts";
import { noticeReportRows, type NoticeReport } from "../domain/notice-report.ts";
import { AppError, Errors } from "../errors.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { anchorNoticeReport, noticeReport, type ReportDeps } from "../use-cases/notice-reports.ts";
import { accountOf, requireApiKey } from "./auth.ts";
import { accessOf } from "./custody-access.ts";
import { BEARER, DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { IDEMPOTENCY_PROBLEMS, idempotency, IdempotencyHeaderSchema, type IdempotencySettings } from "./idempotency.ts";
import { EvidenceViewSchema } from "./schemas.ts";
import { parseInput } from "./validation.ts";
import { evidenceLinks, evidenceView } from "./views.ts";

export interface ReportRouteDeps {
  cases: Omit<ReportDeps, "index">;
  index: Pick<IndexStore, "transaction" | "notices" | "accounts">;
  idempotency: IdempotencySettings;
}

const PeriodSchema = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: "notices filed at or after; default: 30 days before `to`" }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: "notices filed before (exclusive); default: now" }),
  platform: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: "a platform account id; a platform's key: its own (the default); others: every platform by default" }),
});
const ReportQuerySchema = PeriodSchema.extend({
  format: z.enum(["json", "csv"]).optional().meta({ description: "csv: the same as `Accept: text/csv`" }),
});

const count = z.number().int().nonnegative();
const NoticeReportSchema = z
  .object({
    version: z.literal("notice-report/v1"),
    generatedAt: z.string(),
    service: z.object({ name: z.string(), version: z.string() }),
    period: z.object({ from: z.string(), to: z.string() }),
    platform: z.string().nullable(),
    notifier: z.string().nullable(),
    notices: z.object({
      filed: count,
      byStatus: z.object(Object.fromEntries(NOTICE_STATUSES.map((s) => [s, count]))),
      decided: count,
      overdue: count,
      counterNotices: count,
      restored: count,
      upheld: count,
      withdrawn: count,
    }),
    listings: z.object({ removed: count, restricted: count, rejected: count }),
    decisionTimeSeconds: z.object({ median: z.number().nullable(), p90: z.number().nullable() }),
    decidedWithin24Hours: z.object({ count, of: count, share: z.number().nullable() }),
    definitions: z.record(z.string(), z.string()).meta({ description: "how each number is defined, by its path in the report" }),
  })
  .meta({ id: "NoticeReport" });
const AnchoredReportSchema = z.object({ evidence: EvidenceViewSchema, report: NoticeReportSchema }).meta({ id: "AnchoredNoticeReport" });

const CSV = "text/csv";

function csvOf(report: NoticeReport): string {
  return stringify(noticeReportRows(report), { header: true, columns: ["metric", "value", "definition"], record_delimiter: "windows" });
}

export function reportRoutes(deps: ReportRouteDeps): DocumentedRouter {
  const routes = new DocumentedRouter("/v1/reports");
  routes.router.use(requireApiKey(deps.index.accounts), json({ limit: "16kb" }));
  const reports: ReportDeps = { ...deps.cases, index: deps.index };
  const common = { tags: ["Reports"], security: BEARER };
  const who = {
    400: "A malformed parameter; `from` not before `to`; a period over 366 days (INVALID_REQUEST, UNEXPECTED_FIELD)",
    401: "No valid API key",
    403: "A respondent's key, or a platform's key asking for another platform (FORBIDDEN)",
    422: "No such platform account (NOTICE_REFERENCE_UNKNOWN)",
  };

  routes.add(
    {
      ...common,
      method: "get",
      path: "/notices",
      summary:
        "Numbers over the notices filed in [from, to): statuses, decisions and their times, listings acted on, counter-notices, outcomes",
      description: "JSON by default; CSV (metric, value, definition: one row per number) with `format=csv` or `Accept: text/csv`.",
      request: { query: ReportQuerySchema },
      responses: {
        200: {
          description: "The report",
          content: { "application/json": { schema: NoticeReportSchema }, [CSV]: { schema: z.string() } },
        },
        ...problems(who),
      },
    },
    async (req: Request, res: Response) => {
      const { format, ...period } = parseInput(ReportQuerySchema, req.query);
      const report = await noticeReport(reports, accountOf(req), period);
      const asCsv = format ? format === "csv" : req.accepts(["application/json", CSV]) === CSV;
      res.vary("Accept");
      if (asCsv) res.type(`${CSV}; charset=utf-8; header=present`).send(csvOf(report));
      else res.json(report);
    },
  );

  routes.add(
    {
      ...common,
      method: "post",
      path: "/notices",
      summary: "Make the report and anchor it: stored as an evidence item (kind report) of the caller's, with a receipt once anchored",
      request: {
        headers: IdempotencyHeaderSchema,
        body: { content: { "application/json": { schema: PeriodSchema } } },
      },
      responses: {
        201: jsonResponse("Stored and queued for anchoring: the item, and the report it holds (its RFC 8785 JSON)", AnchoredReportSchema),
        ...problems({ ...who, 409: IDEMPOTENCY_PROBLEMS[409], 415: "Not JSON", 422: `${who[422]}; ${IDEMPOTENCY_PROBLEMS[422]}` }),
      },
    },
    idempotency(deps.idempotency),
    async (req: Request, res: Response) => {
      // A body is optional (every parameter has a default); one that is sent is JSON.
      if (req.is("application/json") === false) {
        throw new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "application/json" });
      }
      const period = parseInput(PeriodSchema, req.body ?? {});
      const { report, evidence } = await anchorNoticeReport(reports, { account: accountOf(req), access: accessOf(req, res) }, period);
      res
        .status(201)
        .location(evidenceLinks(evidence.id).self)
        .json({ evidence: evidenceView(evidence), report });
    },
  );

  return routes;
}
