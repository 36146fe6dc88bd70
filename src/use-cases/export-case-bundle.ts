/**
 * case → its bundle (zip) for a lawyer (documents/case-bundle.ts): every step in order with its document,
 * receipt and fixed certificate, the takedown snapshots and captures each step asked for, an index. Any
 * party to the case may have it; items are read as their owners' (a step's document is its taker's), as
 * the case's own evidence routes read them.
 *
 * Made from what exists, as the case stands: an item not anchored yet comes without its receipt, and one
 * whose certificate is not final yet (fixed-certificate.ts) without its certificate; the index says which
 * and why, and a later download has them. What no longer checks out (a record, its content, its receipt,
 * its custody log) stops the bundle, as it stops an evidence bundle.
 */
import type { Readable } from "node:stream";
import { caseBundleZip, type CaseCaptureInput, type CaseItem, type CaseStepInput } from "../documents/case-bundle.ts";
import { AppError, Errors, isAppError } from "../errors.ts";
import type { Account } from "../ports/account-repository.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import type { Bundle } from "./export-capture-bundle.ts";
import { captureParts } from "./export-capture-bundle.ts";
import { bundleItem, type ExportDeps } from "./export-evidence.ts";
import { fixedCertificate } from "./fixed-certificate.ts";
import { type CaseCapture, type CaseFile, caseFile, getCase } from "./read-cases.ts";
import { openVerifiedContent } from "./read-evidence.ts";

export interface CaseBundleDeps extends ExportDeps {
  index: Pick<IndexStore, "notices" | "evidence" | "captures" | "accounts">;
}

type Options = { signal?: AbortSignal };

/** GET /v1/notices/:id/bundle; `timeline` is the case as GET /v1/notices/:id shows it. */
export async function caseBundle(
  deps: CaseBundleDeps,
  viewer: Account,
  noticeId: string,
  options: Options & { timeline: (file: CaseFile) => unknown },
): Promise<Bundle> {
  const notice = await getCase(deps.index, viewer, noticeId);
  const file = await caseFile(deps.index, notice, viewer);
  const now = deps.now?.() ?? new Date();
  const itemIds: string[] = [];
  const item = async (record: EvidenceRecord) => {
    itemIds.push(record.id);
    return caseItem(deps, record, options);
  };
  const steps: CaseStepInput[] = [];
  const actorOf = async (id: string | null): Promise<CaseStepInput["actor"]> => {
    if (!id) return { service: true };
    const actor = await deps.index.accounts.get(id);
    return { accountId: id, name: actor?.name ?? "", role: actor?.role ?? "" };
  };
  for (const event of file.events) {
    const withheld = file.withheld.get(event.seq);
    if (withheld) {
      steps.push({
        seq: event.seq,
        type: event.type,
        at: event.at,
        actor: await actorOf(event.actorId),
        document: { withheld },
        takedownSnapshots: [],
        captures: [],
      });
      continue;
    }
    const document = event.evidenceId ? file.evidence.get(event.evidenceId) : undefined;
    if (!document)
      throw new AppError(Errors.RECORD_INTEGRITY, {
        id: event.evidenceId ?? event.id,
        reason: `step ${event.seq} of notice ${noticeId} has no document`,
      });
    const snapshots = [...file.evidence.values()].filter((e) => e.role === "takedown-snapshot" && e.seq === event.seq);
    steps.push({
      seq: event.seq,
      type: event.type,
      at: event.at,
      actor: await actorOf(event.actorId),
      document: await item(document.record),
      takedownSnapshots: await sequential(snapshots, async (s) => ({ listingId: s.listingId!, ...(await item(s.record)) })),
      captures: await sequential(
        file.captures.filter((c) => c.eventSeq === event.seq),
        async (c) => {
          const part = await captureInput(deps, c, options);
          if (part.evidence) itemIds.push(part.evidence.manifest.evidence.id, ...part.evidence.artifacts.map((a) => a.receipt.evidence.id));
          return part;
        },
      ),
    });
  }
  const parties = await sequential(await deps.index.notices.parties(noticeId), async (id) => {
    const account = await deps.index.accounts.get(id);
    return { accountId: id, name: account?.name ?? "", role: account?.role ?? "" };
  });
  const zip: Readable = caseBundleZip({
    case: {
      id: notice.id,
      status: notice.status,
      filedAt: notice.filedAt,
      platform: notice.platformId,
      notifier: notice.notifierId,
      right: notice.summary.right,
      listings: notice.listings,
      decisionDueAt: notice.decisionDueAt,
      decidedAt: notice.decidedAt,
      overdueAt: notice.overdueAt,
      restorationDueAt: notice.restorationDueAt,
      closedAt: notice.closedAt,
    },
    parties,
    steps,
    timeline: options.timeline(file),
    generatedAt: now,
    developmentChainIds: deps.timeTrust.developmentChainIds,
  });
  return { zip, fileName: `${notice.id}.case-bundle.zip`, itemIds };
}

/** An item with its proof and certificate, as far as they exist (read as its owner's). */
async function caseItem(deps: ExportDeps, record: EvidenceRecord, options: Options): Promise<CaseItem> {
  const evidence = factsOf(record);
  if (record.status !== "anchored") {
    const reason =
      record.status === "pending"
        ? "not anchored yet (pending): download the bundle again once it is"
        : `not anchored: anchoring ${record.status}`;
    return {
      evidence,
      unanchored: { content: await openVerifiedContent(deps.store, record, options), reason },
      certificateMissing: "made once the item is anchored",
    };
  }
  return { evidence, proof: await bundleItem(deps, record.accountId, record, options), ...(await certificateOf(deps, record, options)) };
}

function factsOf(record: EvidenceRecord): CaseItem["evidence"] {
  const { anchor } = record;
  return {
    id: record.id,
    sha256: record.sha256,
    size: record.size,
    mediaType: record.mediaType,
    status: record.status,
    ...(anchor ? { anchor: { chainId: anchor.chainId, blockNumber: anchor.blockNumber, txHash: anchor.txHash } } : {}),
  };
}

/** The item's fixed certificate, or why it is not made yet (a time-stamp authority has not answered). */
async function certificateOf(
  deps: ExportDeps,
  record: EvidenceRecord,
  options: Options,
): Promise<Pick<CaseItem, "certificate" | "certificateMissing">> {
  try {
    return { certificate: (await fixedCertificate(deps, record.accountId, record.id, options)).bytes };
  } catch (error) {
    if (!isAppError(error, Errors.CERTIFICATE_NOT_READY)) throw error;
    return { certificateMissing: `not made yet: ${String(error.params.reason)}` };
  }
}

/** A capture's evidence once its manifest is anchored; else why it is not here. */
async function captureInput(deps: ExportDeps, c: CaseCapture, options: Options): Promise<CaseCaptureInput> {
  const base = { captureId: c.capture.id, listingId: c.listingId, purpose: c.purpose, status: c.progress.status };
  const manifestId = c.capture.manifestId;
  const manifest = manifestId ? await deps.evidence.get(c.capture.accountId, manifestId) : null;
  if (!manifest) {
    const why =
      c.progress.status === "failed"
        ? `it failed (${c.progress.failureReason ?? "no reason recorded"})`
        : `it is still ${c.progress.status}`;
    return { ...base, missing: `no evidence was recorded: ${why}` };
  }
  if (manifest.status !== "anchored") return { ...base, missing: `its manifest ${manifest.id} is not anchored yet (${manifest.status})` };
  const { main, artifacts } = await captureParts(deps, c.capture.accountId, manifest, options);
  const certificate = await certificateOf(deps, manifest, options);
  return { ...base, evidence: { manifest: { evidence: factsOf(manifest), proof: main, ...certificate }, artifacts } };
}

/** One at a time: each item is hashed through, and a case's items are few. */
async function sequential<T, R>(list: readonly T[], map: (value: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const value of list) out.push(await map(value));
  return out;
}
