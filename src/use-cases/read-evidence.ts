/**
 * Reading evidence back: records (own account only), receipts once anchored, and the bytes, which are
 * re-hashed against the recorded SHA-256 before a single byte is served.
 */
import { buildReceipt, type EvidenceReceipt } from "../domain/receipt.ts";
import { AppError, Errors } from "../errors.ts";
import { ContentIntegrityError, type ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord, EvidenceRepository } from "../ports/repositories.ts";
import { createHash } from "node:crypto";

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
 * Checks the whole content against its SHA-256 first (the store also checks each block against the
 * CID), then hands back a fresh stream of it; the stream re-checks its blocks as it goes.
 */
export async function openVerifiedContent(
  store: ContentStore,
  record: EvidenceRecord,
  options: { signal?: AbortSignal } = {},
): Promise<AsyncIterable<Uint8Array>> {
  const hash = createHash("sha256");
  let size = 0;
  try {
    for await (const chunk of store.cat(record.cid, options)) {
      hash.update(chunk);
      size += chunk.byteLength;
    }
  } catch (error) {
    if (error instanceof ContentIntegrityError) throw new AppError(Errors.CONTENT_INTEGRITY, { id: record.id }, error);
    throw error;
  }
  if (size !== record.size || hash.digest("hex") !== record.sha256) {
    throw new AppError(Errors.CONTENT_INTEGRITY, { id: record.id });
  }
  return store.cat(record.cid, options);
}
