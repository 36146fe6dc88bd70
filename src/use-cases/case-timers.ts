/**
 * The case timers that fell due, each acted on once across instances (claimed under a lease): a notice
 * still undecided at its deadline is flagged overdue and announced; a counter-notice's restoration
 * delay that passed is announced; a decision's takedown evidence is preserved once its captures have ended. Each is
 * a step of the case (case-steps.ts), taken by the service.
 */
import { AppError, isAppError, Errors } from "../errors.ts";
import { restorationPending, type NoticeListing } from "../domain/notice.ts";
import type { CaseTimer } from "../ports/notice-repository.ts";
import { type CaseDeps, recordStep } from "./case-steps.ts";
import { settle } from "./notices.ts";

/** How long a claimed timer is held, and how soon a removal waiting for its captures is looked at again. */
export const TIMER_LEASE_MS = 60_000;
export const TAKEDOWN_RECHECK_MS = 2_000;

export async function fireDueTimers(deps: CaseDeps, owner: string, max = 20): Promise<number> {
  const due = await deps.index.notices.claimDueTimers(deps.now().toISOString(), owner, TIMER_LEASE_MS, max);
  for (const timer of due) {
    const done = await fire(deps, timer);
    if (done) await deps.index.notices.finishTimer(timer.id, owner);
    else await deps.index.notices.postponeTimer(timer.id, owner, new Date(deps.now().getTime() + TAKEDOWN_RECHECK_MS).toISOString());
  }
  return due.length;
}

/** Acts on one timer; false when its work cannot be done yet (captures still running). */
async function fire(deps: CaseDeps, timer: CaseTimer): Promise<boolean> {
  const notice = await deps.index.notices.get(timer.noticeId);
  if (!notice) return true;
  const service = { service: { accountId: notice.platformId, route: `case-timer ${timer.kind}` } };
  try {
    switch (timer.kind) {
      case "decision-due": {
        if (notice.status !== "filed") return true;
        const body = { decisionDueAt: notice.decisionDueAt };
        await recordStep(deps, {
          noticeId: notice.id,
          type: "notice.overdue",
          actor: null,
          storedBy: service,
          body,
          announce: body,
          apply: async (tx, locked) => {
            if (locked.status !== "filed")
              throw new AppError(Errors.NOTICE_STATE_CONFLICT, { id: notice.id, status: locked.status, step: "overdue" });
            await tx.notices.update(notice.id, { overdueAt: timer.runAt });
          },
        });
        return true;
      }
      case "restoration-due": {
        // The listings whose restoration delay has passed, with no action filed and no final decision.
        const now = deps.now().toISOString();
        const fallingDue = (l: NoticeListing) => restorationPending(l) && l.restorationDueAt <= now;
        const due = notice.listings.filter(fallingDue);
        if (due.length === 0) return true;
        const body = {
          listings: due.map((l) => l.listingId),
          restorationDueAt: due
            .map((l) => l.restorationDueAt!)
            .sort()
            .at(-1),
        };
        await recordStep(deps, {
          noticeId: notice.id,
          type: "notice.restoration-due",
          actor: null,
          storedBy: service,
          body,
          announce: body,
          apply: async (tx, locked) => {
            const listings = locked.listings.map((l) =>
              body.listings.includes(l.listingId) && fallingDue(l) ? { ...l, restorationFallenDue: true } : l,
            );
            await settle(tx, notice.id, listings, now);
          },
        });
        return true;
      }
      case "takedown-captures": {
        const captures = (await deps.index.notices.captures(notice.id)).filter((c) => c.purpose === "takedown");
        const records = await Promise.all(captures.map((c) => deps.index.captures.get(notice.platformId, c.captureId)));
        if (records.some((r) => r && (r.status === "queued" || r.status === "running"))) return false;
        const outcomes = captures.map((c, i) => ({
          listingId: c.listingId,
          captureId: c.captureId,
          status: records[i]?.status ?? "missing",
          ...(records[i]?.manifestId ? { manifestId: records[i]!.manifestId } : {}),
        }));
        await recordStep(deps, {
          noticeId: notice.id,
          type: "takedown.preserved",
          actor: null,
          storedBy: service,
          body: { captures: outcomes },
          announce: { captures: outcomes },
        });
        return true;
      }
    }
  } catch (error) {
    // The case moved on meanwhile (decided just before its deadline): nothing is due any more.
    if (isAppError(error, Errors.NOTICE_STATE_CONFLICT)) return true;
    throw error;
  }
}
