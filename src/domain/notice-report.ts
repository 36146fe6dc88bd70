/**
 * A notice-and-takedown report: numbers over the notices filed in a period, each with the definition it
 * was computed by, so that anyone holding the report (and the cases) can check it. Pure: the cases and
 * their steps are handed in, as they stood when the report was made.
 */
import { NOTICE_STATUSES, type ListingAction, type NoticeEventType, type NoticeStatus } from "./notice.ts";

export const NOTICE_REPORT_VERSION = "notice-report/v1";

/** What the report needs of a case (a NoticeRecord has it). */
export interface ReportedNotice {
  id: string;
  status: NoticeStatus;
  filedAt: string;
  overdueAt: string | null;
  listings: { action?: ListingAction }[];
}

/** What the report needs of a step (a NoticeEventRecord has it). */
export interface ReportedEvent {
  noticeId: string;
  seq: number;
  type: NoticeEventType;
  at: string;
  data: Record<string, unknown>;
}

export interface NoticeReportScope {
  /** Filed at or after (ISO 8601, UTC). */
  from: string;
  /** Filed before (exclusive). */
  to: string;
  /** The platform account whose notices are counted; null: every platform. */
  platform: string | null;
  /** The rights-holder account whose notices are counted; null: every notifier. */
  notifier: string | null;
}

export const WITHIN_SECONDS = 24 * 3600;

export interface NoticeReport {
  version: typeof NOTICE_REPORT_VERSION;
  generatedAt: string;
  service: { name: string; version: string };
  period: { from: string; to: string };
  platform: string | null;
  notifier: string | null;
  notices: {
    filed: number;
    byStatus: Record<NoticeStatus, number>;
    decided: number;
    overdue: number;
    counterNotices: number;
    restored: number;
    upheld: number;
    withdrawn: number;
  };
  listings: { removed: number; restricted: number; rejected: number };
  decisionTimeSeconds: { median: number | null; p90: number | null };
  decidedWithin24Hours: { count: number; of: number; share: number | null };
  /** How each number is defined, by its path in the report (its row in the CSV). */
  definitions: Record<string, string>;
}

/** Each number of the report: its name (a path in the report, a row of the CSV) and its definition. */
export const REPORT_METRICS: readonly { name: string; definition: string; value: (r: NoticeReport) => number | null }[] = [
  {
    name: "notices.filed",
    definition: "notices filed in the period: filedAt >= period.from and filedAt < period.to",
    value: (r) => r.notices.filed,
  },
  ...NOTICE_STATUSES.map((status) => ({
    name: `notices.byStatus.${status}`,
    definition: `of the notices filed, those whose status was '${status}' at generatedAt`,
    value: (r: NoticeReport) => r.notices.byStatus[status],
  })),
  {
    name: "notices.decided",
    definition: "of the notices filed, those with a first decision (a notice.decided step) recorded by generatedAt, rejections included",
    value: (r) => r.notices.decided,
  },
  {
    name: "notices.overdue",
    definition: "of the notices filed, those flagged overdue (no decision by their decision deadline: overdueAt set)",
    value: (r) => r.notices.overdue,
  },
  {
    name: "notices.counterNotices",
    definition: "counter-notices (counter-notice.filed steps) filed on the notices filed, by generatedAt",
    value: (r) => r.notices.counterNotices,
  },
  {
    name: "notices.restored",
    definition: "of the notices filed, those with a final decision 'restore' (notice.final-decision step, outcome restore)",
    value: (r) => r.notices.restored,
  },
  {
    name: "notices.upheld",
    definition: "of the notices filed, those with a final decision 'uphold' (notice.final-decision step, outcome uphold)",
    value: (r) => r.notices.upheld,
  },
  {
    name: "notices.withdrawn",
    definition: "of the notices filed, those withdrawn by their notifier (notice.response step of type withdraw)",
    value: (r) => r.notices.withdrawn,
  },
  {
    name: "listings.removed",
    definition: "listings of the notices filed whose first decision was 'remove' (restored ones included)",
    value: (r) => r.listings.removed,
  },
  {
    name: "listings.restricted",
    definition: "listings of the notices filed whose first decision was 'restrict' (restored ones included)",
    value: (r) => r.listings.restricted,
  },
  {
    name: "listings.rejected",
    definition: "listings of the notices filed whose first decision was 'reject' (no action taken)",
    value: (r) => r.listings.rejected,
  },
  {
    name: "decisionTimeSeconds.median",
    definition:
      "over the decided notices, the time from filedAt to the first decision step, in seconds: the 50th percentile by the nearest-rank method (sorted ascending, the value at rank ceil(0.5 × n); for an even n the lower middle value); empty when none was decided",
    value: (r) => r.decisionTimeSeconds.median,
  },
  {
    name: "decisionTimeSeconds.p90",
    definition:
      "over the decided notices, the 90th percentile of the same times by the nearest-rank method (the value at rank ceil(0.9 × n)); empty when none was decided",
    value: (r) => r.decisionTimeSeconds.p90,
  },
  {
    name: "decidedWithin24Hours.count",
    definition: "of the notices filed, those whose first decision came at most 24 hours (86400 s) after filedAt",
    value: (r) => r.decidedWithin24Hours.count,
  },
  {
    name: "decidedWithin24Hours.of",
    definition: "the denominator of the share: every notice filed in the period, decided or not",
    value: (r) => r.decidedWithin24Hours.of,
  },
  {
    name: "decidedWithin24Hours.share",
    definition: "decidedWithin24Hours.count / decidedWithin24Hours.of, unrounded; empty when no notice was filed",
    value: (r) => r.decidedWithin24Hours.share,
  },
];

/** The nearest-rank percentile of `sorted` (ascending): the value at rank ceil(p/100 × n); null when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The outcome or response type a step names (its data holds the type, or the whole document under the same key). */
function named(data: Record<string, unknown>, key: "outcome" | "response"): unknown {
  const value = data[key];
  return value && typeof value === "object" ? (value as { type?: unknown; outcome?: unknown }).type : value;
}

export function computeNoticeReport(input: {
  scope: NoticeReportScope;
  notices: readonly ReportedNotice[];
  events: readonly ReportedEvent[];
  generatedAt: string;
  service: { name: string; version: string };
}): NoticeReport {
  const { scope } = input;
  // Only the cases of the period count, whatever else was handed in.
  const notices = input.notices.filter((n) => n.filedAt >= scope.from && n.filedAt < scope.to);
  const ids = new Set(notices.map((n) => n.id));
  const events = input.events.filter((e) => ids.has(e.noticeId)).sort((a, b) => a.seq - b.seq);
  const stepsOf = (type: NoticeEventType) => events.filter((e) => e.type === type);
  const countCases = (steps: ReportedEvent[]) => new Set(steps.map((e) => e.noticeId)).size;

  const byStatus = Object.fromEntries(NOTICE_STATUSES.map((s) => [s, 0])) as Record<NoticeStatus, number>;
  for (const n of notices) byStatus[n.status]++;

  const firstDecision = new Map<string, string>();
  for (const e of stepsOf("notice.decided")) if (!firstDecision.has(e.noticeId)) firstDecision.set(e.noticeId, e.at);
  const seconds = notices
    .filter((n) => firstDecision.has(n.id))
    .map((n) => (Date.parse(firstDecision.get(n.id)!) - Date.parse(n.filedAt)) / 1000)
    .sort((a, b) => a - b);
  const within = seconds.filter((s) => s <= WITHIN_SECONDS).length;

  const finals = stepsOf("notice.final-decision");
  const listings = notices.flatMap((n) => n.listings);
  const report: NoticeReport = {
    version: NOTICE_REPORT_VERSION,
    generatedAt: input.generatedAt,
    service: input.service,
    period: { from: scope.from, to: scope.to },
    platform: scope.platform,
    notifier: scope.notifier,
    notices: {
      filed: notices.length,
      byStatus,
      decided: seconds.length,
      overdue: notices.filter((n) => n.overdueAt !== null).length,
      counterNotices: stepsOf("counter-notice.filed").length,
      restored: countCases(finals.filter((e) => named(e.data, "outcome") === "restore")),
      upheld: countCases(finals.filter((e) => named(e.data, "outcome") === "uphold")),
      withdrawn: countCases(stepsOf("notice.response").filter((e) => named(e.data, "response") === "withdraw")),
    },
    listings: {
      removed: listings.filter((l) => l.action === "remove").length,
      restricted: listings.filter((l) => l.action === "restrict").length,
      rejected: listings.filter((l) => l.action === "reject").length,
    },
    decisionTimeSeconds: { median: nearestRank(seconds, 50), p90: nearestRank(seconds, 90) },
    decidedWithin24Hours: { count: within, of: notices.length, share: notices.length === 0 ? null : within / notices.length },
    definitions: {},
  };
  report.definitions = Object.fromEntries(REPORT_METRICS.map((m) => [m.name, m.definition]));
  return report;
}

/** The report as rows of a table: what it covers, then one row per number, each with its definition. */
export function noticeReportRows(report: NoticeReport): [string, string, string][] {
  const context: [string, string, string][] = [
    ["period.from", report.period.from, "notices filed at or after this instant (UTC)"],
    ["period.to", report.period.to, "notices filed before this instant (exclusive)"],
    ["platform", report.platform ?? "", "the platform account whose notices are counted (empty: every platform)"],
    ["notifier", report.notifier ?? "", "the rights-holder account whose notices are counted (empty: every notifier)"],
    ["generatedAt", report.generatedAt, "when the report was made: statuses and steps as they stood then"],
    ["service.version", `${report.service.name} ${report.service.version}`, "the service that made the report"],
  ];
  return [...context, ...REPORT_METRICS.map((m): [string, string, string] => [m.name, String(m.value(report) ?? ""), m.definition])];
}
