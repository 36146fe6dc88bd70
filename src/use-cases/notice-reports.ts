/**
 * Notice-and-takedown reports: the numbers of domain/notice-report.ts over the notices a caller may
 * count (a platform its own, a rights-holder those it filed, an admin any), and, when asked, the report
 * stored as its RFC 8785 canonical JSON, an evidence item of kind `report` anchored like any other, so
 * that the numbers a platform published can later be shown to be the ones the service computed then.
 */
import { canonicalJson } from "../domain/canonical-json.ts";
import { computeNoticeReport, type NoticeReport, type NoticeReportScope } from "../domain/notice-report.ts";
import { AppError, Errors } from "../errors.ts";
import { PACKAGE } from "../package-info.ts";
import type { Account } from "../ports/account-repository.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import type { Access } from "./record-custody.ts";
import { indexStored, prepareEvidence, receivedBytes } from "./submit-evidence.ts";

const DAY_MS = 86_400_000;
/** Without `from`, the report covers the 30 days before `to`; no report covers more than 366 days. */
export const DEFAULT_REPORT_DAYS = 30;
export const MAX_REPORT_DAYS = 366;

export interface ReportDeps {
  index: Pick<IndexStore, "transaction" | "notices" | "accounts">;
  store: ContentStore;
  /** The cases' clock (the system's, unless a test moves it): `to` defaults to it, and the report's generatedAt is read from it. */
  now: () => Date;
}

export interface ReportRequest {
  /** ISO 8601 date-times; `to` exclusive. */
  from?: string;
  to?: string;
  /** A platform account id. */
  platform?: string;
}

/** What `viewer` may count, for the period asked. */
async function scopeOf(deps: ReportDeps, viewer: Account, request: ReportRequest): Promise<NoticeReportScope> {
  let platform = request.platform ?? null;
  let notifier: string | null = null;
  switch (viewer.role) {
    case "respondent":
      throw new AppError(Errors.FORBIDDEN, { action: "read notice reports (a platform's, a rights-holder's or an admin's)" });
    case "platform":
      if (platform !== null && platform !== viewer.id)
        throw new AppError(Errors.FORBIDDEN, { action: "read another platform's notice report" });
      platform = viewer.id;
      break;
    case "rights-holder":
      notifier = viewer.id;
      break;
    case "admin":
      break;
  }
  if (platform !== null && platform !== viewer.id && (await deps.index.accounts.get(platform))?.role !== "platform") {
    throw new AppError(Errors.NOTICE_REFERENCE_UNKNOWN, { reason: `platform: no platform account ${platform}` });
  }
  const to = request.to ? new Date(request.to) : deps.now();
  const from = request.from ? new Date(request.from) : new Date(to.getTime() - DEFAULT_REPORT_DAYS * DAY_MS);
  if (!(from < to)) throw new AppError(Errors.INVALID_REQUEST, { reason: "from: must be before to" });
  if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) {
    throw new AppError(Errors.INVALID_REQUEST, { reason: `to: a report covers at most ${MAX_REPORT_DAYS} days` });
  }
  return { from: from.toISOString(), to: to.toISOString(), platform, notifier };
}

export async function noticeReport(deps: ReportDeps, viewer: Account, request: ReportRequest): Promise<NoticeReport> {
  const scope = await scopeOf(deps, viewer, request);
  const generatedAt = deps.now().toISOString();
  const notices = await deps.index.notices.filedBetween(scope.from, scope.to, scope.platform ?? undefined, scope.notifier ?? undefined);
  const events = await deps.index.notices.eventsOf(notices.map((n) => n.id));
  return computeNoticeReport({ scope, notices, events, generatedAt, service: { name: PACKAGE.name, version: PACKAGE.version } });
}

/** Makes the report and stores it, owned by the caller and queued for anchoring, with its first custody entry. */
export async function anchorNoticeReport(
  deps: ReportDeps,
  caller: { account: Account; access: Access },
  request: ReportRequest,
): Promise<{ report: NoticeReport; evidence: EvidenceRecord }> {
  const report = await noticeReport(deps, caller.account, request);
  // The item's receivedAt and custody entry are on the system's time, as for any item (case-steps.ts):
  // the case clock dates the report's contents only.
  const evidence = await prepareEvidence(
    { store: deps.store },
    {
      accountId: caller.account.id,
      kind: "report",
      file: receivedBytes(new TextEncoder().encode(canonicalJson(report)), "application/json"),
      claims: {
        description: `notice report: notices filed from ${report.period.from} to ${report.period.to} (exclusive), platform ${report.platform ?? "any"}`,
      },
    },
  );
  await indexStored({ index: deps.index }, [evidence], caller.access);
  return { report, evidence };
}
