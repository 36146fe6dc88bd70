/**
 * Every step of a notice-and-takedown case is a document: RFC 8785 JSON naming the case, the step's
 * number, who took it and when, and the SHA-256 of the step before it, so that the steps form a chain
 * no one can reorder or thin out unseen. The document is stored and anchored as an evidence item
 * (kind `case-event`); the step, its state change, its timers and its outbox events are committed in
 * one transaction with the item.
 */
import { canonicalJson } from "../domain/canonical-json.ts";
import { NEXT_STEPS, type NoticeEventType } from "../domain/notice.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Account, PlatformSettings } from "../ports/account-repository.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { EgressGuard } from "../ports/egress-guard.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { IndexStore, Repositories } from "../ports/index-store.ts";
import type { NoticeEventRecord, NoticeRecord } from "../ports/notice-repository.ts";
import { outboxEvents } from "./outbox-events.ts";
import { storedEntry, type StoredBy } from "./record-custody.ts";
import { prepareEvidence, receivedBytes } from "./submit-evidence.ts";

export const CASE_EVENT_VERSION = "case-event/v1";

export interface CaseDeps {
  index: Pick<IndexStore, "transaction" | "notices" | "accounts" | "evidence" | "captures">;
  store: ContentStore;
  /** The captures' egress rule: listing URLs are checked as any capture's. */
  egress: EgressGuard;
  /** Most captures an account may have waiting: a notice's or a decision's captures count. */
  maxWaitingCaptures: number;
  /** The service's clock: deadlines are set and fall due by it (tests move it). */
  now: () => Date;
  platformDefaults: PlatformSettings;
}

export interface StepInput {
  noticeId: string;
  type: NoticeEventType;
  /** Who takes the step; null for the service itself (a deadline passed). */
  actor: Account | null;
  /** How the step's document entered the custody log. */
  storedBy: StoredBy;
  /** The step's own content, in its document. */
  body: Record<string, unknown>;
  /** The step in NEXT_STEPS it is (checked against the case's status), or none (the service's own steps). */
  step?: string;
  /** When the step is taken: the time its deadlines were computed from (the case clock's now by default). */
  at?: Date;
  /** Other evidence committed with the step (takedown snapshots). */
  evidence?: EvidenceRecord[];
  /** A new case: created with its first step. */
  create?: { notice: NoticeRecord; sellerIds: string[] };
  /** Checks on the case as locked in the transaction, then its changes (status, timers, captures). */
  apply?: (tx: Repositories, notice: NoticeRecord, event: NoticeEventRecord) => Promise<void>;
  /** What the outbox event says besides the step's type and number. */
  announce?: Record<string, unknown>;
}

/** Throws when the case's status does not allow `step`. */
export function requireStep(notice: NoticeRecord, step: string): void {
  if (!NEXT_STEPS[notice.status].includes(step)) {
    throw new AppError(Errors.NOTICE_STATE_CONFLICT, { id: notice.id, status: notice.status, step });
  }
}

/** Records one step; retried when another step of the same case was committed in between. */
export async function recordStep(deps: CaseDeps, input: StepInput): Promise<NoticeEventRecord> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await recordOnce(deps, input);
    } catch (error) {
      if (!(error instanceof StepRaced) || attempt === 5)
        throw error instanceof StepRaced
          ? new AppError(Errors.INDEX_UNAVAILABLE, { reason: "the case changed too often to record this step" })
          : error;
    }
  }
}

class StepRaced extends Error {}

async function recordOnce(deps: CaseDeps, input: StepInput): Promise<NoticeEventRecord> {
  const at = input.at ?? deps.now();
  const owner = input.create?.notice ?? (await deps.index.notices.get(input.noticeId));
  if (!owner) throw new AppError(Errors.NOTICE_NOT_FOUND, { id: input.noticeId });
  if (input.step && !input.create) requireStep(owner, input.step);
  const before = input.create ? [] : await deps.index.notices.events(input.noticeId);
  const last = before.at(-1);
  const previous = last?.evidenceId ? await deps.index.evidence.get(last.actorId ?? owner.platformId, last.evidenceId) : undefined;
  const seq = (last?.seq ?? 0) + 1;
  // The step's own content first: the names that place the step in its case cannot be overwritten.
  const document = {
    ...input.body,
    version: CASE_EVENT_VERSION,
    case: input.noticeId,
    seq,
    type: input.type,
    at: at.toISOString(),
    actor: input.actor ? { account: input.actor.id, name: input.actor.name, role: input.actor.role } : { service: true },
    previous: previous ? { evidenceId: previous.id, sha256: previous.sha256 } : null,
  };
  // The step's document is owned by whoever took it; the service's own steps by the platform.
  const accountId = input.actor?.id ?? owner.platformId;
  // The item's receivedAt is the system's time, as for any item: the case clock only dates the step.
  const record = await prepareEvidence(
    { store: deps.store },
    {
      accountId,
      kind: "case-event",
      file: receivedBytes(new TextEncoder().encode(canonicalJson(document)), "application/json"),
      claims: { caseRef: input.noticeId, description: `${input.type} (step ${seq} of notice ${input.noticeId})` },
    },
  );
  return deps.index.transaction(async (tx) => {
    if (input.create) await tx.notices.create(input.create.notice, input.create.sellerIds);
    const notice = await tx.notices.lock(input.noticeId);
    if (!notice) throw new AppError(Errors.NOTICE_NOT_FOUND, { id: input.noticeId });
    if (input.step && !input.create) requireStep(notice, input.step);
    const records = [...(input.evidence ?? []), record];
    await tx.evidence.insert(records);
    for (const r of records) await tx.custody.append(storedEntry(r.id, input.storedBy, at));
    const event = await tx.notices.appendEvent({
      noticeId: input.noticeId,
      id: newId.event(),
      type: input.type,
      actorId: input.actor?.id ?? null,
      at: at.toISOString(),
      evidenceId: record.id,
      data: { ...input.body, ...(input.announce ?? {}) },
    });
    // Another step was committed since this one was numbered: its document names the wrong step before it.
    if (event.seq !== seq) throw new StepRaced();
    await input.apply?.(tx, notice, event);
    const parties = await tx.notices.parties(input.noticeId);
    await tx.outbox.append(
      outboxEvents(
        input.type,
        parties.map((party) => ({ id: input.noticeId, accountId: party })),
        { notice: input.noticeId, seq, evidenceId: record.id, ...(input.announce ?? {}) },
        at,
      ),
    );
    return event;
  });
}
