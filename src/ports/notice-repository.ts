/**
 * Notice-and-takedown cases: the notice, each step taken on it (an event, whose document is an evidence
 * item of its own), the captures made for it, and its timers. Timers fall due by the service's clock
 * (`run_at`), and are claimed under leases judged by the database's clock, so that with several
 * instances each fires once.
 */
import type { NoticeEventType, NoticeListing, NoticeStatus, NoticeSummary } from "../domain/notice.ts";

export interface NoticeRecord {
  id: string;
  notifierId: string;
  platformId: string;
  status: NoticeStatus;
  filedAt: string;
  decisionDueAt: string;
  decidedAt: string | null;
  /** When the decision deadline passed with no decision (the case was flagged). */
  overdueAt: string | null;
  restorationDueAt: string | null;
  closedAt: string | null;
  listings: NoticeListing[];
  summary: NoticeSummary;
}

export interface NoticeEventRecord {
  noticeId: string;
  seq: number;
  id: string;
  type: NoticeEventType;
  /** Who took the step; null when the service did (a deadline passed, captures finished). */
  actorId: string | null;
  at: string;
  evidenceId: string | null;
  data: Record<string, unknown>;
}

export interface NoticeCaptureRecord {
  noticeId: string;
  captureId: string;
  listingId: string;
  /** reported: the listing as it stood when the notice was filed; takedown: just before its removal. */
  purpose: "reported" | "takedown";
  /** The event that asked for it. */
  eventSeq: number;
}

export const TIMER_KINDS = ["decision-due", "restoration-due", "takedown-captures"] as const;
export type TimerKind = (typeof TIMER_KINDS)[number];

export interface CaseTimer {
  id: string;
  noticeId: string;
  kind: TimerKind;
  runAt: string;
}

/** Who is asking for cases: an admin sees all; the others the cases they are party to. */
export type CaseViewer =
  | { role: "admin" }
  | { role: "rights-holder"; accountId: string }
  | { role: "platform"; accountId: string }
  | { role: "respondent"; platformId: string; sellerIds: string[] };

export interface NoticeFilter {
  status?: NoticeStatus;
  platformId?: string;
  overdue?: boolean;
  /** Filed at or after. */
  from?: string;
  /** Filed before. */
  to?: string;
}

export interface NoticeRepository {
  create(notice: NoticeRecord, sellerIds: string[]): Promise<void>;
  get(id: string): Promise<NoticeRecord | undefined>;
  /** In a transaction: the case, locked until the transaction ends (its steps are numbered one after another). */
  lock(id: string): Promise<NoticeRecord | undefined>;
  /** Changes what changed; `sellerIds`, when given, are the case's sellers from then on (replacing those bound before). */
  update(
    id: string,
    change: Partial<Pick<NoticeRecord, "status" | "decidedAt" | "overdueAt" | "restorationDueAt" | "closedAt" | "listings">>,
    sellerIds?: string[],
  ): Promise<void>;
  /** Whether `viewer` is party to the case. */
  isParty(id: string, viewer: CaseViewer): Promise<boolean>;
  /** The cases `viewer` is party to, newest first, after the cursor (a notice id). */
  list(viewer: CaseViewer, filter: NoticeFilter, page: { limit: number; before?: string }): Promise<NoticeRecord[]>;
  /** Every case filed in [from, to) on a platform (or all), by a notifier (or any), for reports. */
  filedBetween(from: string, to: string, platformId?: string, notifierId?: string): Promise<NoticeRecord[]>;
  /** Appends the case's next event, numbered after the last. */
  appendEvent(event: Omit<NoticeEventRecord, "seq">): Promise<NoticeEventRecord>;
  events(noticeId: string): Promise<NoticeEventRecord[]>;
  /** Events of the cases, for reports. */
  eventsOf(noticeIds: string[]): Promise<NoticeEventRecord[]>;
  addCaptures(captures: NoticeCaptureRecord[]): Promise<void>;
  /** The case's captures by step, each step's in the order they were queued (the order of its listings). */
  captures(noticeId: string): Promise<NoticeCaptureRecord[]>;
  /** The account ids of everyone party to the case: its notifier, its platform, and its respondents. */
  parties(noticeId: string): Promise<string[]>;

  /** Sets a timer (once per case and kind: setting it again moves it, and re-arms it). */
  setTimer(timer: CaseTimer): Promise<void>;
  cancelTimer(noticeId: string, kind: TimerKind): Promise<void>;
  /** Claims timers due at `now` (service clock) for `leaseMs` (database clock), at most `max`. */
  claimDueTimers(now: string, owner: string, leaseMs: number, max: number): Promise<CaseTimer[]>;
  /** Marks a claimed timer done; false if `owner` no longer holds it. */
  finishTimer(id: string, owner: string): Promise<boolean>;
  /** Gives a claimed timer back, due again at `runAt` (its work could not be done yet). */
  postponeTimer(id: string, owner: string, runAt: string): Promise<boolean>;
  pendingTimers(noticeId: string): Promise<CaseTimer[]>;
}
