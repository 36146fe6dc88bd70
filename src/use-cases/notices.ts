/**
 * The steps of a notice-and-takedown case, each recorded as an anchored document (case-steps.ts):
 * a rights-holder files a notice (each listing captured as reported); the platform decides, with a
 * statement of reasons, and anchors a takedown snapshot of each listing it removes or restricts; the
 * respondent may counter; the rights-holder may withdraw or say it went to court; the platform takes a
 * final decision. Deadlines are timers in the index (case-timers.ts).
 */
import {
  addBusinessDays,
  awaitingFinalDecision,
  CLOSED_STATUSES,
  decidedStatus,
  restorationPending,
  type CounterNoticeInput,
  type DecisionInput,
  type FinalDecisionInput,
  type NoticeInput,
  type NoticeListing,
  type ResponseInput,
} from "../domain/notice.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Account, PlatformSettings } from "../ports/account-repository.ts";
import { CAPTURE_PRIORITY, type CaptureRecord } from "../ports/capture-repository.ts";
import type { Repositories } from "../ports/index-store.ts";
import type { NoticeEventRecord, NoticeRecord } from "../ports/notice-repository.ts";
import { checkedCapture, requireQueueRoom } from "./capture-listing.ts";
import { type CaseDeps, recordStep, requireStep } from "./case-steps.ts";
import { getCase } from "./read-cases.ts";
import type { Access } from "./record-custody.ts";
import { prepareListingSnapshot } from "./submit-listing-snapshot.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface Actor {
  account: Account;
  access: Access;
}

function requireRole(actor: Actor, role: Account["role"], action: string): void {
  if (actor.account.role !== role) throw new AppError(Errors.FORBIDDEN, { action: `${action} (a ${role}'s step)` });
}

async function platformOf(deps: CaseDeps, platformId: string): Promise<Account & { settings: PlatformSettings }> {
  const platform = await deps.index.accounts.get(platformId);
  if (platform?.role !== "platform")
    throw new AppError(Errors.NOTICE_REFERENCE_UNKNOWN, { reason: `platform: no platform account ${platformId}` });
  return { ...platform, settings: { ...deps.platformDefaults, ...platform.settings } };
}

type ListingCapture = { record: CaptureRecord; listingId: string };

/** The captures of `listings` a step asks for, checked (the URL, the account's room in the queue), not yet queued. */
async function listingCaptures(
  deps: CaseDeps,
  accountId: string,
  noticeId: string,
  listings: readonly { url: string; listingId: string }[],
  note: string,
  at: Date,
): Promise<ListingCapture[]> {
  await requireQueueRoom(deps.index.captures, accountId, listings.length, deps.maxWaitingCaptures);
  return Promise.all(
    listings.map(async (l) => ({
      listingId: l.listingId,
      record: await checkedCapture(deps, { accountId, url: l.url, caseRef: noticeId, listingId: l.listingId, note }, at),
    })),
  );
}

/** How a step's document names the captures it asked for. */
const named = (captures: readonly ListingCapture[]) => captures.map((c) => ({ listingId: c.listingId, captureId: c.record.id }));

/**
 * A case closed without a removal races nothing: its captures still waiting go back among routine ones,
 * so that filing a notice and withdrawing it is no way to the front of the queue.
 */
async function endCapturePriority(tx: Repositories, noticeId: string): Promise<void> {
  await tx.captures.lowerPriority((await tx.notices.captures(noticeId)).map((c) => c.captureId));
}

/** Captures of `listings`, queued in the step's transaction and tied to its event. */
async function queueCaptures(
  tx: Repositories,
  captures: ListingCapture[],
  event: NoticeEventRecord,
  purpose: "reported" | "takedown",
): Promise<void> {
  for (const { record } of captures) await tx.captures.create({ ...record, priority: CAPTURE_PRIORITY[purpose] });
  await tx.notices.addCaptures(
    captures.map((c) => ({ noticeId: event.noticeId, captureId: c.record.id, listingId: c.listingId, purpose, eventSeq: event.seq })),
  );
}

export async function fileNotice(deps: CaseDeps, actor: Actor, input: NoticeInput): Promise<NoticeRecord> {
  requireRole(actor, "rights-holder", "file notices");
  const platform = await platformOf(deps, input.platform);
  for (const evidenceId of input.evidenceIds ?? []) {
    if (!(await deps.index.evidence.get(actor.account.id, evidenceId))) {
      throw new AppError(Errors.NOTICE_REFERENCE_UNKNOWN, { reason: `evidenceIds: no evidence ${evidenceId} of this account` });
    }
  }
  const filedAt = deps.now();
  const id = newId.notice();
  const captures = input.capture
    ? await listingCaptures(deps, actor.account.id, id, input.listings, `reported in notice ${id}`, filedAt)
    : [];
  const notice: NoticeRecord = {
    id,
    notifierId: actor.account.id,
    platformId: platform.id,
    status: "filed",
    filedAt: filedAt.toISOString(),
    decisionDueAt: new Date(filedAt.getTime() + platform.settings.decisionDueHours * HOUR_MS).toISOString(),
    decidedAt: null,
    overdueAt: null,
    restorationDueAt: null,
    closedAt: null,
    listings: input.listings.map((l) => ({ url: l.url, listingId: l.listingId, ...(l.sellerId ? { reportedSellerId: l.sellerId } : {}) })),
    summary: { right: input.right, notifierName: input.notifier.name },
  };
  const { capture: _captureAsked, ...document } = input;
  await recordStep(deps, {
    noticeId: id,
    type: "notice.filed",
    actor: actor.account,
    storedBy: actor.access,
    // The captures the step asked for are named in its document: none can be left out of the case unseen.
    body: {
      notice: document,
      decisionDueAt: notice.decisionDueAt,
      captures: named(captures),
    },
    // The seller the notifier names binds no one: respondents become parties when the platform names them.
    create: { notice, sellerIds: [] },
    at: filedAt,
    apply: async (tx, _notice, event) => {
      await queueCaptures(tx, captures, event, "reported");
      await tx.notices.setTimer({ id: newId.timer(), noticeId: id, kind: "decision-due", runAt: notice.decisionDueAt });
    },
  });
  return notice;
}

export async function decideNotice(deps: CaseDeps, actor: Actor, noticeId: string, input: DecisionInput): Promise<NoticeEventRecord> {
  const notice = await getCase(deps.index, actor.account, noticeId);
  requireRole(actor, "platform", "decide on notices");
  requireStep(notice, "decision");
  const known = new Map(notice.listings.map((l) => [l.listingId, l]));
  const decided = new Map(input.listings.map((l) => [l.listingId, l]));
  const unknown = [...decided.keys()].filter((l) => !known.has(l));
  if (unknown.length > 0 || decided.size !== input.listings.length) {
    throw new AppError(Errors.NOTICE_REFERENCE_UNKNOWN, {
      reason: `listings: ${unknown.length ? `not in the notice: ${unknown.join(", ")}` : "a listing decided twice"}`,
    });
  }
  const undecided = [...known.keys()].filter((l) => !decided.has(l));
  const taken = input.listings.filter((l) => l.action !== "reject");
  const snapshots = new Map(input.takedownSnapshots.map((s) => [s.listingId, s.snapshot]));
  const withoutSnapshot = taken.filter((l) => !snapshots.has(l.listingId)).map((l) => l.listingId);
  if (undecided.length > 0 || withoutSnapshot.length > 0) {
    throw new AppError(Errors.NOTICE_INCOMPLETE, {
      document: "decision",
      elements: [...undecided.map((l) => `listings[${l}].action`), ...withoutSnapshot.map((l) => `takedownSnapshots[${l}]`)].join(", "),
      extensions: {
        missing: [
          ...undecided.map((l) => ({ element: `listings[${l}].action`, requiredBy: ["DSA art. 17(3)(a)"] })),
          ...withoutSnapshot.map((l) => ({
            element: `takedownSnapshots[${l}]`,
            requiredBy: ["this service: a listing is removed or restricted only with its takedown snapshot anchored"],
          })),
        ],
      },
    });
  }
  const at = deps.now();
  // The queue's room is checked before anything is stored.
  const captures = input.capture
    ? await listingCaptures(
        deps,
        actor.account.id,
        noticeId,
        taken.map((l) => known.get(l.listingId)!),
        `takedown of notice ${noticeId}`,
        at,
      )
    : [];
  const stored = await Promise.all(
    taken.map(async (l) => ({
      listingId: l.listingId,
      record: await prepareListingSnapshot(
        { store: deps.store },
        {
          accountId: actor.account.id,
          snapshot: snapshots.get(l.listingId)!,
          claims: { caseRef: noticeId, description: `takedown snapshot of listing ${l.listingId} (notice ${noticeId})` },
        },
      ),
    })),
  );
  const status = taken.length > 0 ? "decided" : "rejected";
  return recordStep(deps, {
    noticeId,
    type: "notice.decided",
    actor: actor.account,
    storedBy: actor.access,
    step: "decision",
    at,
    body: {
      decision: {
        listings: input.listings,
        statementOfReasons: input.statementOfReasons,
        takedownSnapshots: stored.map((s) => ({ listingId: s.listingId, evidenceId: s.record.id, sha256: s.record.sha256 })),
      },
      captures: named(captures),
    },
    evidence: stored.map((s) => s.record),
    announce: { status },
    apply: async (tx, locked, event) => {
      // The seller is the one the platform names: only its respondents become parties to the case.
      const listings: NoticeListing[] = locked.listings.map(({ sellerId: _unnamed, ...l }) => {
        const d = decided.get(l.listingId)!;
        return { ...l, action: d.action, ...(d.sellerId ? { sellerId: d.sellerId } : {}) };
      });
      await tx.notices.update(
        noticeId,
        { status, decidedAt: at.toISOString(), listings, ...(status === "rejected" ? { closedAt: at.toISOString() } : {}) },
        listings.flatMap((l) => (l.sellerId ? [l.sellerId] : [])),
      );
      await tx.notices.cancelTimer(noticeId, "decision-due");
      if (status === "rejected") await endCapturePriority(tx, noticeId);
      await queueCaptures(tx, captures, event, "takedown");
      // The takedown evidence is preserved once its captures have ended (at once when none was asked).
      if (taken.length > 0) await tx.notices.setTimer({ id: newId.timer(), noticeId, kind: "takedown-captures", runAt: at.toISOString() });
    },
  });
}

/**
 * Under the case's lock: each listing a step names is still open to it (another step, taken meanwhile on
 * another instance, may have closed it since the step was checked).
 */
function requireStillOpen(locked: NoticeRecord, named: ReadonlySet<string>, open: (l: NoticeListing) => boolean, step: string): void {
  if (locked.listings.some((l) => named.has(l.listingId) && !open(l))) {
    throw new AppError(Errors.NOTICE_STATE_CONFLICT, { id: locked.id, status: locked.status, step });
  }
}

/** The case's restoration timer, at the earliest restoration still to fall due (none: cancelled). */
export async function armRestoration(tx: Repositories, noticeId: string, listings: readonly NoticeListing[]): Promise<void> {
  const next = listings
    .filter(restorationPending)
    .map((l) => l.restorationDueAt)
    .sort()[0];
  if (next) await tx.notices.setTimer({ id: newId.timer(), noticeId, kind: "restoration-due", runAt: next });
  else await tx.notices.cancelTimer(noticeId, "restoration-due");
}

/** Writes the listings and the status they give the case (closed when final), and re-arms its restoration timer. */
export async function settle(tx: Repositories, noticeId: string, listings: NoticeListing[], at: string): Promise<void> {
  const status = decidedStatus(listings);
  await tx.notices.update(noticeId, {
    status,
    listings,
    restorationDueAt:
      listings
        .filter(awaitingFinalDecision)
        .map((l) => l.restorationDueAt ?? "")
        .filter(Boolean)
        .sort()[0] ?? null,
    ...(CLOSED_STATUSES.includes(status) ? { closedAt: at } : {}),
  });
  await armRestoration(tx, noticeId, listings);
}

export async function fileCounterNotice(
  deps: CaseDeps,
  actor: Actor,
  noticeId: string,
  input: CounterNoticeInput,
): Promise<NoticeEventRecord> {
  const notice = await getCase(deps.index, actor.account, noticeId);
  requireRole(actor, "respondent", "file counter-notices");
  requireStep(notice, "counter-notice");
  const sellers = new Set(actor.account.sellerIds ?? []);
  const countered = (l: NoticeListing) =>
    l.sellerId !== undefined && sellers.has(l.sellerId) && (l.action === "remove" || l.action === "restrict") && !l.counterNoticedAt;
  const theirs = new Set(notice.listings.filter(countered).map((l) => l.listingId));
  const others = input.listings.filter((l) => !theirs.has(l));
  if (others.length > 0) {
    throw new AppError(Errors.NOTICE_REFERENCE_UNKNOWN, {
      reason: `listings: not removed or restricted listings of this respondent awaiting a counter-notice: ${others.join(", ")}`,
    });
  }
  const platform = await platformOf(deps, notice.platformId);
  const at = deps.now();
  const windowEnds = new Date(new Date(notice.decidedAt ?? notice.filedAt).getTime() + platform.settings.counterNoticeWindowDays * DAY_MS);
  if (at > windowEnds) {
    throw new AppError(Errors.NOTICE_STATE_CONFLICT, {
      id: noticeId,
      status: notice.status,
      step: `a counter-notice (the window closed at ${windowEnds.toISOString()})`,
    });
  }
  const restorationDueAt = addBusinessDays(at, platform.settings.restoreAfterBusinessDays).toISOString();
  const named = new Set(input.listings);
  return recordStep(deps, {
    noticeId,
    type: "counter-notice.filed",
    actor: actor.account,
    storedBy: actor.access,
    step: "counter-notice",
    at,
    body: { counterNotice: input, restorationDueAt },
    announce: { listings: input.listings, restorationDueAt },
    apply: async (tx, locked) => {
      requireStillOpen(locked, named, countered, "a second counter-notice on a listing");
      const listings = locked.listings.map((l) =>
        named.has(l.listingId) ? { ...l, counterNoticedAt: at.toISOString(), restorationDueAt } : l,
      );
      await settle(tx, noticeId, listings, at.toISOString());
    },
  });
}

export async function respondToNotice(deps: CaseDeps, actor: Actor, noticeId: string, input: ResponseInput): Promise<NoticeEventRecord> {
  const notice = await getCase(deps.index, actor.account, noticeId);
  requireRole(actor, "rights-holder", "respond on notices");
  requireStep(notice, input.type === "withdraw" ? "withdraw" : "action-filed");
  if (input.type === "action-filed" && !(input.court && input.caseNumber)) {
    throw new AppError(Errors.NOTICE_INCOMPLETE, {
      document: "response",
      elements: "court, caseNumber",
      extensions: {
        missing: [
          { element: "court", requiredBy: ["DMCA §512(g)(2)(C)"] },
          { element: "caseNumber", requiredBy: ["DMCA §512(g)(2)(C)"] },
        ],
      },
    });
  }
  const now = deps.now();
  const at = now.toISOString();
  const withdraw = input.type === "withdraw";
  return recordStep(deps, {
    noticeId,
    type: "notice.response",
    actor: actor.account,
    storedBy: actor.access,
    step: withdraw ? "withdraw" : "action-filed",
    at: now,
    body: { response: input },
    announce: { response: input.type, previousStatus: notice.status },
    apply: async (tx, locked) => {
      if (withdraw) {
        await tx.notices.update(noticeId, { status: "withdrawn", closedAt: at });
        await tx.notices.cancelTimer(noticeId, "restoration-due");
        await tx.notices.cancelTimer(noticeId, "decision-due");
        await endCapturePriority(tx, noticeId);
        return;
      }
      // The action is about the counter-notices open now: no restoration falls due for their listings.
      await settle(
        tx,
        noticeId,
        locked.listings.map((l) => (awaitingFinalDecision(l) ? { ...l, actionFiled: true } : l)),
        at,
      );
    },
  });
}

export async function finalDecision(deps: CaseDeps, actor: Actor, noticeId: string, input: FinalDecisionInput): Promise<NoticeEventRecord> {
  const notice = await getCase(deps.index, actor.account, noticeId);
  requireRole(actor, "platform", "take final decisions");
  requireStep(notice, "final-decision");
  const open = new Set(notice.listings.filter(awaitingFinalDecision).map((l) => l.listingId));
  const decided = new Set(input.listings ?? open);
  const notOpen = [...decided].filter((l) => !open.has(l));
  if (notOpen.length > 0) {
    throw new AppError(Errors.NOTICE_REFERENCE_UNKNOWN, {
      reason: `listings: not counter-noticed and awaiting a final decision: ${notOpen.join(", ")}`,
    });
  }
  const now = deps.now();
  const restore = input.outcome === "restore";
  return recordStep(deps, {
    noticeId,
    type: "notice.final-decision",
    actor: actor.account,
    storedBy: actor.access,
    step: "final-decision",
    at: now,
    body: { finalDecision: { ...input, listings: [...decided] } },
    announce: { outcome: input.outcome, listings: [...decided] },
    apply: async (tx, locked) => {
      requireStillOpen(locked, decided, awaitingFinalDecision, "a second final decision on a listing");
      const listings = locked.listings.map((l) =>
        decided.has(l.listingId)
          ? { ...l, outcome: restore ? ("restored" as const) : ("upheld" as const), ...(restore ? { restored: true } : {}) }
          : l,
      );
      await settle(tx, noticeId, listings, now.toISOString());
    },
  });
}
