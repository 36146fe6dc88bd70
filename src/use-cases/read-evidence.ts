/**
 * Reading evidence back: records (own account only), receipts once anchored, and the bytes, which are
 * re-hashed against the recorded SHA-256 before a single byte is served.
 */
import { buildReceipt, type EvidenceReceipt } from "../domain/receipt.ts";
import { AppError, Errors } from "../errors.ts";
import { ContentIntegrityError, type ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord, EvidenceRepository } from "../ports/repositories.ts";
import { fileFacts, type FileFacts } from "../domain/content-id.ts";

export function getEvidence(evidence: EvidenceRepository, accountId: string, id: string): EvidenceRecord {
  const record = evidence.get(accountId, id);
  if (!record) throw new AppError(Errors.EVIDENCE_NOT_FOUND, { id });
  return record;
}

export function getReceipt(evidence: EvidenceRepository, accountId: string, id: string): EvidenceReceipt {
  return receiptOf(getEvidence(evidence, accountId, id));
}

/** The receipt of a record, once it is anchored. */
export function receiptOf(record: EvidenceRecord): EvidenceReceipt {
  const { id } = record;
  if (record.status !== "anchored" || !record.merkle || !record.anchor) {
    throw new AppError(Errors.EVIDENCE_NOT_ANCHORED, { id, status: record.status });
  }
  return buildReceipt({
    metadata: record.metadata,
    metadataSha256: record.metadataSha256,
    leaf: record.merkle.leaf,
    proof: record.merkle.proof,
    root: record.merkle.root,
    anchor: record.anchor,
  });
}

/**
 * Checks the whole content first: its SHA-256, size and CID, recomputed from the bytes the store gives
 * (a Kubo node does not re-hash its blocks on read; the embedded store does, block by block). Then it
 * hands back a fresh stream of it; the embedded store re-checks its blocks as that stream goes.
 */
export async function openVerifiedContent(
  store: ContentStore,
  record: EvidenceRecord,
  options: { signal?: AbortSignal } = {},
): Promise<AsyncIterable<Uint8Array>> {
  let facts: FileFacts;
  try {
    facts = await fileFacts(store.cat(record.cid, options));
  } catch (error) {
    if (error instanceof ContentIntegrityError) throw new AppError(Errors.CONTENT_INTEGRITY, { id: record.id }, error);
    throw error;
  }
  if (facts.size !== record.size || facts.sha256 !== record.sha256 || facts.cid !== record.cid) {
    throw new AppError(Errors.CONTENT_INTEGRITY, { id: record.id });
  }
  return store.cat(record.cid, options);
}
