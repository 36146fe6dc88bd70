/**
 * A capture as a user follows it: queued → running → captured → anchored, or failed with the reason.
 *
 * `anchored` is read, not kept: a captured capture is anchored when its manifest and every artifact are,
 * as their evidence records say (an item is marked anchored only once its anchor has the confirmations a
 * receipt needs, and goes back to pending when the chain loses it). Kept on the capture, it would be a
 * second copy of the items' state, to be kept in step by every instance that anchors, re-queues or fails
 * an item; read from them, it cannot disagree with the receipts.
 */
import type { AnchorFacts } from "../domain/receipt.ts";
import type { CaptureRecord } from "../ports/capture-repository.ts";
import type { EvidenceRecord, EvidenceRepository } from "../ports/evidence-repository.ts";

export type CaptureState = "queued" | "running" | "captured" | "anchored" | "failed";

export interface CaptureProgress {
  status: CaptureState;
  failureReason?: string;
  /** The manifest's anchor and its batch's Merkle root, once the manifest and every artifact are anchored. */
  anchored?: { anchor: AnchorFacts; root: string };
}

/** Each capture's progress, by capture id: the evidence of all of them read at once. */
export async function captureProgress(
  evidence: Pick<EvidenceRepository, "getMany">,
  accountId: string,
  captures: readonly CaptureRecord[],
): Promise<Map<string, CaptureProgress>> {
  const ids = captures.flatMap(evidenceIdsOf);
  const records = new Map((await evidence.getMany(accountId, ids)).map((r) => [r.id, r]));
  return new Map(captures.map((c) => [c.id, progressOf(c, records)]));
}

function progressOf(capture: CaptureRecord, records: ReadonlyMap<string, EvidenceRecord>): CaptureProgress {
  if (capture.status === "queued" || capture.status === "running") return { status: capture.status };
  const items = evidenceIdsOf(capture).map((id) => records.get(id));
  const manifest = capture.manifestId ? records.get(capture.manifestId) : undefined;
  const anchored =
    manifest?.anchor && manifest.merkle && items.every((r) => r?.status === "anchored")
      ? { anchor: manifest.anchor, root: manifest.merkle.root }
      : undefined;
  // A failed capture's manifest and artifacts are evidence too (of the failure), anchored like any.
  if (capture.status === "failed") return { status: "failed", failureReason: capture.failureReason, ...(anchored ? { anchored } : {}) };
  // An item the anchoring gave up on: the capture's proof will not come.
  const unanchorable = items.find((r) => r?.status === "failed");
  if (unanchorable) {
    return {
      status: "failed",
      failureReason: `evidence ${unanchorable.id} could not be anchored: ${unanchorable.failureReason ?? "no reason recorded"}`,
    };
  }
  return anchored ? { status: "anchored", anchored } : { status: "captured" };
}

/** The manifest and the artifacts the capture recorded. */
function evidenceIdsOf(capture: CaptureRecord): string[] {
  if (!capture.manifestId) return [];
  const artifacts = (capture.summary?.artifacts ?? []) as { evidenceId: string }[];
  return [capture.manifestId, ...artifacts.map((a) => a.evidenceId)];
}
