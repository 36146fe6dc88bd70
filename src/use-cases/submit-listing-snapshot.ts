/**
 * A listing snapshot is stored as its RFC 8785 canonical JSON, so the same snapshot always hashes the
 * same; a screenshot sent with it becomes a second item that names the snapshot it belongs to. Both
 * are indexed in one transaction: either both are accepted or neither is.
 */
import { canonicalJson } from "../domain/canonical-json.ts";
import type { ListingSnapshot } from "../domain/listing-snapshot.ts";
import type { EvidenceClaims } from "../domain/evidence.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { Access } from "./record-custody.ts";
import { indexStored, prepareEvidence, receivedBytes, type ReceivedFile, type SubmitEvidenceDeps } from "./submit-evidence.ts";

export interface ListingSnapshotSubmission {
  accountId: string;
  /** The request that stores it: the first custody entry of each item. */
  access: Access;
  signal?: AbortSignal;
  snapshot: ListingSnapshot;
  claims: Pick<EvidenceClaims, "caseRef" | "description">;
  screenshot?: { file: ReceivedFile; fileName?: string; claimedMediaType?: string };
}

/** Stores a snapshot's canonical JSON and builds its record, without indexing it. */
export function prepareListingSnapshot(
  deps: Pick<SubmitEvidenceDeps, "store" | "now">,
  submission: Pick<ListingSnapshotSubmission, "accountId" | "signal" | "snapshot" | "claims">,
): Promise<EvidenceRecord> {
  const { snapshot: s } = submission;
  return prepareEvidence(deps, {
    signal: submission.signal,
    accountId: submission.accountId,
    kind: "listing-snapshot",
    file: receivedBytes(new TextEncoder().encode(canonicalJson(s))),
    claims: { ...submission.claims, sourceUrl: s.url, capturedAt: s.capturedAt },
  });
}

export async function submitListingSnapshot(
  deps: SubmitEvidenceDeps,
  submission: ListingSnapshotSubmission,
): Promise<{ snapshot: EvidenceRecord; screenshot?: EvidenceRecord }> {
  const { snapshot: s } = submission;
  const snapshot = await prepareListingSnapshot(deps, submission);
  let screenshot: EvidenceRecord | undefined;
  if (submission.screenshot) {
    screenshot = await prepareEvidence(deps, {
      signal: submission.signal,
      accountId: submission.accountId,
      kind: "screenshot",
      file: submission.screenshot.file,
      claims: {
        ...submission.claims,
        sourceUrl: s.url,
        capturedAt: s.capturedAt,
        fileName: submission.screenshot.fileName,
        claimedMediaType: submission.screenshot.claimedMediaType,
        relatedTo: snapshot.id,
      },
    });
  }
  submission.signal?.throwIfAborted();
  await indexStored(deps, [snapshot, ...(screenshot ? [screenshot] : [])], submission.access);
  return { snapshot, screenshot };
}
