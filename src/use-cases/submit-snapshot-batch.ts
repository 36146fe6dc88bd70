/**
 * A batch of listing snapshots (a platform's takedown desk): each one stored as a single snapshot is
 * (RFC 8785 canonical JSON, submit-listing-snapshot.ts), then all of them indexed, each with its first
 * custody entry, in ONE transaction: one commit for the batch instead of one per snapshot. Lines that
 * did not validate arrive here already answered; they never stop the good ones.
 */
import { canonicalJson } from "../domain/canonical-json.ts";
import type { EvidenceClaims } from "../domain/evidence.ts";
import type { ListingSnapshot } from "../domain/listing-snapshot.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { Access } from "./record-custody.ts";
import { indexStored, prepareEvidence, receivedBytes, type SubmitEvidenceDeps } from "./submit-evidence.ts";

/** A line that validated: its snapshot and its claims. */
export interface BatchSnapshot {
  line: number;
  snapshot: ListingSnapshot;
  claims: Pick<EvidenceClaims, "caseRef" | "description">;
}

export interface SnapshotBatch {
  accountId: string;
  access: Access;
  signal?: AbortSignal;
  snapshots: BatchSnapshot[];
}

/** How many snapshots are written to the content store at once (each write is small; the store is local or one hop away). */
const STORE_CONCURRENCY = 16;

/** Stores and indexes every snapshot; resolves when all are durable (or rejects with none indexed). */
export async function submitSnapshotBatch(
  deps: SubmitEvidenceDeps,
  batch: SnapshotBatch,
): Promise<{ line: number; record: EvidenceRecord }[]> {
  const prepared: { line: number; record: EvidenceRecord }[] = new Array(batch.snapshots.length);
  let next = 0;
  const worker = async () => {
    while (next < batch.snapshots.length) {
      const i = next++;
      const { line, snapshot, claims } = batch.snapshots[i]!;
      batch.signal?.throwIfAborted();
      const record = await prepareEvidence(deps, {
        signal: batch.signal,
        accountId: batch.accountId,
        kind: "listing-snapshot",
        file: receivedBytes(new TextEncoder().encode(canonicalJson(snapshot))),
        claims: { ...claims, sourceUrl: snapshot.url, capturedAt: snapshot.capturedAt },
      });
      prepared[i] = { line, record };
    }
  };
  await Promise.all(Array.from({ length: Math.min(STORE_CONCURRENCY, batch.snapshots.length) }, worker));
  batch.signal?.throwIfAborted();
  if (prepared.length)
    await indexStored(
      deps,
      prepared.map((p) => p.record),
      batch.access,
    );
  return prepared;
}
