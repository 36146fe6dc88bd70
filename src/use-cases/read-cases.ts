/**
 * A case as its parties follow it: each step with its document's evidence id and anchoring, each
 * capture with its progress, the deadlines still running. Parties read the case's evidence through the
 * case (its steps' documents, takedown snapshots, capture manifests and artifacts), whoever stored it —
 * except that a respondent does not read another respondent's counter-notice (its name, address and
 * phone): that step is withheld from it, named by its number, evidence id and SHA-256 only.
 */
import { AppError, Errors } from "../errors.ts";
import type { Account } from "../ports/account-repository.ts";
import type { CaptureRecord } from "../ports/capture-repository.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import type { CaseViewer, NoticeFilter, NoticeRecord } from "../ports/notice-repository.ts";
import { captureProgress, type CaptureProgress } from "./capture-status.ts";

type CaseIndex = Pick<IndexStore, "notices" | "evidence" | "captures">;

/** Who is asking for cases, as the repository filters by it. */
export function viewerOf(account: Account): CaseViewer {
  switch (account.role) {
    case "admin":
      return { role: "admin" };
    case "respondent":
      return { role: "respondent", platformId: account.platformId ?? "", sellerIds: account.sellerIds ?? [] };
    default:
      return { role: account.role, accountId: account.id };
  }
}

/** The case, if `viewer` is party to it (else NOTICE_NOT_FOUND: its existence is not told). */
export async function getCase(index: CaseIndex, viewer: Account, noticeId: string): Promise<NoticeRecord> {
  const notice = await index.notices.get(noticeId);
  if (!notice || !(await index.notices.isParty(noticeId, viewerOf(viewer)))) throw new AppError(Errors.NOTICE_NOT_FOUND, { id: noticeId });
  return notice;
}

export function listCases(index: CaseIndex, viewer: Account, filter: NoticeFilter, page: { limit: number; before?: string }) {
  return index.notices.list(viewerOf(viewer), filter, page);
}

export interface CaseEvidence {
  record: EvidenceRecord;
  /** What it is in the case. */
  role: "step" | "takedown-snapshot" | "capture-manifest" | "capture-artifact";
  seq?: number;
  listingId?: string;
  captureId?: string;
}

export interface CaseCapture {
  capture: CaptureRecord;
  listingId: string;
  purpose: "reported" | "takedown";
  eventSeq: number;
  progress: CaptureProgress;
}

export interface CaseFile {
  notice: NoticeRecord;
  events: Awaited<ReturnType<IndexStore["notices"]["events"]>>;
  captures: CaseCapture[];
  /** Every evidence item of the case, by id, in the order of the case. */
  evidence: Map<string, CaseEvidence>;
  timers: Awaited<ReturnType<IndexStore["notices"]["pendingTimers"]>>;
  /** Steps withheld from the viewer, by number: what still places them in the chain of steps. */
  withheld: Map<number, WithheldStep>;
}

export interface WithheldStep {
  evidenceId: string;
  sha256: string;
  reason: string;
}

export const WITHHELD_COUNTER_NOTICE = "another respondent's counter-notice: its personal data is not shown to other respondents";

/** The whole case as `viewer` may see it: steps, captures, evidence and running deadlines. */
export async function caseFile(index: CaseIndex, notice: NoticeRecord, viewer?: Account): Promise<CaseFile> {
  const [allEvents, links, timers] = await Promise.all([
    index.notices.events(notice.id),
    index.notices.captures(notice.id),
    index.notices.pendingTimers(notice.id),
  ]);
  const evidence = new Map<string, CaseEvidence>();
  const withheld = new Map<number, WithheldStep>();
  const hidden = (e: (typeof allEvents)[number]) =>
    viewer?.role === "respondent" && e.type === "counter-notice.filed" && e.actorId !== viewer.id;
  for (const event of allEvents.filter(hidden)) {
    const [record] = event.evidenceId ? await index.evidence.getMany(event.actorId ?? notice.platformId, [event.evidenceId]) : [];
    if (record) withheld.set(event.seq, { evidenceId: record.id, sha256: record.sha256, reason: WITHHELD_COUNTER_NOTICE });
  }
  // What a withheld step still says: which listings it countered and when their restoration falls due.
  const events = allEvents.map((e) =>
    withheld.has(e.seq)
      ? {
          ...e,
          data: { listings: e.data.listings ?? null, restorationDueAt: e.data.restorationDueAt ?? null, withheld: WITHHELD_COUNTER_NOTICE },
        }
      : e,
  );
  for (const event of events) {
    if (withheld.has(event.seq)) continue;
    const owner = event.actorId ?? notice.platformId;
    const snapshots =
      (event.data.decision as { takedownSnapshots?: { listingId: string; evidenceId: string }[] } | undefined)?.takedownSnapshots ?? [];
    const ids = [...(event.evidenceId ? [event.evidenceId] : []), ...snapshots.map((s) => s.evidenceId)];
    const records = new Map((await index.evidence.getMany(owner, ids)).map((r) => [r.id, r]));
    const step = event.evidenceId ? records.get(event.evidenceId) : undefined;
    if (step) evidence.set(step.id, { record: step, role: "step", seq: event.seq });
    for (const s of snapshots) {
      const record = records.get(s.evidenceId);
      if (record) evidence.set(record.id, { record, role: "takedown-snapshot", seq: event.seq, listingId: s.listingId });
    }
  }
  const captures: CaseCapture[] = [];
  for (const link of links) {
    const owner = link.purpose === "reported" ? notice.notifierId : notice.platformId;
    const capture = await index.captures.get(owner, link.captureId);
    if (!capture) continue;
    const progress = (await captureProgress(index.evidence, owner, [capture])).get(capture.id)!;
    captures.push({ capture, listingId: link.listingId, purpose: link.purpose, eventSeq: link.eventSeq, progress });
    const artifacts = ((capture.summary?.artifacts ?? []) as { evidenceId: string }[]).map((a) => a.evidenceId);
    const ids = [...(capture.manifestId ? [capture.manifestId] : []), ...artifacts];
    for (const record of await index.evidence.getMany(owner, ids)) {
      const role = record.id === capture.manifestId ? "capture-manifest" : "capture-artifact";
      evidence.set(record.id, { record, role, seq: link.eventSeq, listingId: link.listingId, captureId: capture.id });
    }
  }
  return { notice, events, captures, evidence, timers, withheld };
}

/** One evidence item of a case its viewer is party to. */
export async function caseEvidence(index: CaseIndex, viewer: Account, noticeId: string, evidenceId: string): Promise<CaseEvidence> {
  const file = await caseFile(index, await getCase(index, viewer, noticeId), viewer);
  const found = file.evidence.get(evidenceId);
  if (!found) throw new AppError(Errors.EVIDENCE_NOT_FOUND, { id: evidenceId });
  return found;
}
