import { expect } from "chai";
import { parse as parseCsv } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import {
  computeNoticeReport,
  nearestRank,
  noticeReportRows,
  type ReportedEvent,
  type ReportedNotice,
} from "../../src/domain/notice-report.ts";
import type { ListingAction, NoticeStatus } from "../../src/domain/notice.ts";

const HOUR = 3_600_000;
const at = (base: string, ms = 0) => new Date(Date.parse(base) + ms).toISOString();

function notice(
  id: string,
  filedAt: string,
  status: NoticeStatus,
  actions: ListingAction[] = [],
  overdueAt: string | null = null,
): ReportedNotice {
  return { id, status, filedAt, overdueAt, listings: actions.map((action) => ({ action })) };
}

/** The steps of a case, numbered in order; `data` as the case steps record it. */
function steps(noticeId: string, ...list: [ReportedEvent["type"], string, Record<string, unknown>?][]): ReportedEvent[] {
  return list.map(([type, when, data], i) => ({ noticeId, seq: i + 1, type, at: when, data: data ?? {} }));
}

const scope = { from: "2026-11-01T00:00:00.000Z", to: "2026-11-08T00:00:00.000Z", platform: "acc_platform", notifier: null };
const service = { name: "evidence-anchor", version: "0.1.0" };

describe("notice reports: numbers over the notices filed in a period", () => {
  const A = "2026-11-01T00:00:00.000Z"; // decided in 1 h (remove one listing, reject another), countered, restored
  const B = "2026-11-02T00:00:00.000Z"; // rejected in 2 h
  const C = "2026-11-03T00:00:00.000Z"; // overdue at 24 h, decided at 30 h (restrict)
  const D = "2026-11-04T00:00:00.000Z"; // decided at exactly 24 h (remove), countered, upheld
  const E = "2026-11-05T00:00:00.000Z"; // withdrawn before any decision
  const F = "2026-11-06T00:00:00.000Z"; // undecided, overdue
  const notices = [
    notice("n_a", A, "restored", ["remove", "reject"]),
    notice("n_b", B, "rejected", ["reject"]),
    notice("n_c", C, "decided", ["restrict"], at(C, 24 * HOUR)),
    notice("n_d", D, "upheld", ["remove"]),
    notice("n_e", E, "withdrawn"),
    notice("n_f", F, "filed", [], at(F, 24 * HOUR)),
    // Outside the period: filed at `to` (exclusive), and just before `from`.
    notice("n_g", "2026-11-08T00:00:00.000Z", "decided", ["remove"]),
    notice("n_h", "2026-10-31T23:59:59.999Z", "decided", ["remove"]),
  ];
  const events = [
    ...steps(
      "n_a",
      ["notice.filed", A],
      ["notice.decided", at(A, HOUR), { status: "decided" }],
      ["takedown.preserved", at(A, HOUR)],
      ["counter-notice.filed", at(A, 48 * HOUR)],
      ["notice.final-decision", at(A, 400 * HOUR), { finalDecision: { outcome: "restore" }, outcome: "restore" }],
    ),
    ...steps("n_b", ["notice.filed", B], ["notice.decided", at(B, 2 * HOUR), { status: "rejected" }]),
    ...steps("n_c", ["notice.filed", C], ["notice.overdue", at(C, 24 * HOUR)], ["notice.decided", at(C, 30 * HOUR)]),
    ...steps(
      "n_d",
      ["notice.filed", D],
      ["notice.decided", at(D, 24 * HOUR)],
      ["counter-notice.filed", at(D, 50 * HOUR)],
      ["notice.final-decision", at(D, 300 * HOUR), { outcome: "uphold" }],
    ),
    ...steps("n_e", ["notice.filed", E], ["notice.response", at(E, HOUR), { response: "withdraw", previousStatus: "filed" }]),
    ...steps("n_f", ["notice.filed", F], ["notice.overdue", at(F, 24 * HOUR)]),
    ...steps("n_g", ["notice.filed", "2026-11-08T00:00:00.000Z"], ["notice.decided", "2026-11-08T00:00:01.000Z"]),
    ...steps("n_h", ["notice.filed", "2026-10-31T23:59:59.999Z"], ["notice.decided", "2026-11-01T00:00:00.999Z"]),
  ];
  const report = computeNoticeReport({ scope, notices, events, generatedAt: "2026-12-01T00:00:00.000Z", service });

  it("counts the notices filed in [from, to) by status, every status named, zeros included", () => {
    expect(report.notices.filed).to.equal(6);
    expect(report.notices.byStatus).to.deep.equal({
      filed: 1,
      decided: 1,
      rejected: 1,
      "counter-noticed": 0,
      "action-filed": 0,
      "restoration-due": 0,
      restored: 1,
      upheld: 1,
      withdrawn: 1,
    });
  });

  it("counts decisions, overdue flags, counter-notices, outcomes and withdrawals from the cases' steps", () => {
    expect(report.notices).to.deep.include({ decided: 4, overdue: 2, counterNotices: 2, restored: 1, upheld: 1, withdrawn: 1 });
    expect(report.listings).to.deep.equal({ removed: 2, restricted: 1, rejected: 2 });
  });

  it("gives the median and 90th percentile of the time to a first decision by nearest rank, and the share decided within 24 h of all filed", () => {
    // Sorted: 3600, 7200, 86400, 108000 s. Median: rank ceil(0.5 × 4) = 2; p90: rank ceil(0.9 × 4) = 4.
    expect(report.decisionTimeSeconds).to.deep.equal({ median: 7200, p90: 108_000 });
    // 3600, 7200 and 86400 s (exactly 24 h counts) of the 6 filed.
    expect(report.decidedWithin24Hours).to.deep.equal({ count: 3, of: 6, share: 0.5 });
  });

  it("names its period, scope, date, service and the definition of each number", () => {
    expect(report).to.deep.include({
      version: "notice-report/v1",
      generatedAt: "2026-12-01T00:00:00.000Z",
      service,
      period: { from: scope.from, to: scope.to },
      platform: "acc_platform",
      notifier: null,
    });
    expect(Object.keys(report.definitions)).to.have.length(9 + 15);
    expect(report.definitions["decidedWithin24Hours.of"]).to.equal(
      "the denominator of the share: every notice filed in the period, decided or not",
    );
  });

  it("has no times and no share for a period with no notice", () => {
    const empty = computeNoticeReport({ scope, notices: [], events: [], generatedAt: "2026-12-01T00:00:00.000Z", service });
    expect(empty.notices.filed).to.equal(0);
    expect(empty.decisionTimeSeconds).to.deep.equal({ median: null, p90: null });
    expect(empty.decidedWithin24Hours).to.deep.equal({ count: 0, of: 0, share: null });
  });

  it("reads as a table: what it covers, then one row per number with its definition", () => {
    const rows = noticeReportRows(report);
    expect(rows.slice(0, 6).map(([metric, value]) => [metric, value])).to.deep.equal([
      ["period.from", scope.from],
      ["period.to", scope.to],
      ["platform", "acc_platform"],
      ["notifier", ""],
      ["generatedAt", "2026-12-01T00:00:00.000Z"],
      ["service.version", "evidence-anchor 0.1.0"],
    ]);
    const values = Object.fromEntries(rows.map(([metric, value]) => [metric, value]));
    expect(values).to.deep.include({
      "notices.filed": "6",
      "notices.byStatus.counter-noticed": "0",
      "decisionTimeSeconds.median": "7200",
      "decisionTimeSeconds.p90": "108000",
      "decidedWithin24Hours.share": "0.5",
      "listings.removed": "2",
    });
    // Definitions hold commas: quoted as RFC 4180 asks, they read back the same.
    const csv = stringify(rows);
    expect(parseCsv(csv)).to.deep.equal(rows);
  });
});

describe("nearest-rank percentiles", () => {
  it("takes the value at rank ceil(p/100 × n) of the sorted values", () => {
    const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect([nearestRank(ten, 50), nearestRank(ten, 90), nearestRank(ten, 91), nearestRank(ten, 100)]).to.deep.equal([5, 9, 10, 10]);
    expect(nearestRank([4, 8, 15, 16, 23], 50)).to.equal(15);
    expect(nearestRank([42], 90)).to.equal(42);
    expect(nearestRank([], 50)).to.equal(null);
  });
});
