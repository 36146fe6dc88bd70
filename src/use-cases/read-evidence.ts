/**
 * Reading evidence back: records (own account only), receipts once anchored, and the bytes. Nothing is
 * served on the index's word alone: a record is checked as a verifier would check it (recordProblem),
 * a receipt's anchor against the chain (confirm-anchors.ts), and the bytes against the record's hashes
 * before a single byte is sent.
 */
import { fileFacts, type FileFacts } from "../domain/content-id.ts";
import { buildReceipt, type EvidenceReceipt, type TimestampProof } from "../domain/receipt.ts";
import { recordProblem } from "../domain/record-integrity.ts";
import { AppError, Errors } from "../errors.ts";
import { ContentIntegrityError, type ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord, EvidenceRepository } from "../ports/evidence-repository.ts";
import type { StampedToken, TimestampRepository } from "../ports/timestamp-repository.ts";
import { requireHeldAnchor, type AnchorCheckDeps } from "./confirm-anchors.ts";
import { storedTokenProblem } from "./verify-timestamps.ts";

export interface ReadDeps {
  evidence: Pick<EvidenceRepository, "get">;
  timestamps: Pick<TimestampRepository, "forRoot">;
  anchors: AnchorCheckDeps;
}

export async function getEvidence(evidence: Pick<EvidenceRepository, "get">, accountId: string, id: string): Promise<EvidenceRecord> {
  const record = await evidence.get(accountId, id);
  if (!record) throw new AppError(Errors.EVIDENCE_NOT_FOUND, { id });
  return record;
}

/** The record, if it checks out: for serving its bytes or documents. */
export async function getCheckedEvidence(
  evidence: Pick<EvidenceRepository, "get">,
  accountId: string,
  id: string,
): Promise<EvidenceRecord> {
  return checked(await getEvidence(evidence, accountId, id));
}

/** The record, if it checks out as a verifier would check it (RECORD_INTEGRITY otherwise). */
export function checked(record: EvidenceRecord): EvidenceRecord {
  const problem = recordProblem(record);
  if (problem) throw new AppError(Errors.RECORD_INTEGRITY, { id: record.id, reason: problem });
  return record;
}

export async function getReceipt(deps: ReadDeps, accountId: string, id: string): Promise<EvidenceReceipt> {
  return receiptOf(deps, await getEvidence(deps.evidence, accountId, id));
}

/** The receipt of a record, once it is anchored, the record checked and its anchor confirmed on the chain. */
export async function receiptOf(deps: Pick<ReadDeps, "anchors" | "timestamps">, record: EvidenceRecord): Promise<EvidenceReceipt> {
  const { id } = record;
  if (record.status !== "anchored") throw new AppError(Errors.EVIDENCE_NOT_ANCHORED, { id, status: record.status });
  if (!record.merkle || !record.anchor)
    throw new AppError(Errors.RECORD_INTEGRITY, { id, reason: "it is marked anchored, but its anchor is missing" });
  checked(record);
  await requireHeldAnchor(deps.anchors, record, record.merkle.root, record.anchor);
  const stamps = await deps.timestamps.forRoot(record.merkle.root);
  return buildReceipt({
    metadata: record.metadata,
    metadataSha256: record.metadataSha256,
    leaf: record.merkle.leaf,
    proof: record.merkle.proof,
    root: record.merkle.root,
    anchor: record.anchor,
    timestamps: await Promise.all(stamps.flatMap((t) => (t.stamped ? [timestampProof(record, t.tsa, t.stamped)] : []))),
    timestampsPending: stamps.filter((t) => t.status === "pending").map((t) => t.tsa),
  });
}

/** A stored token, re-read before it is handed out: the index is not trusted to hold what was checked. */
async function timestampProof(record: EvidenceRecord, tsa: string, stamped: StampedToken): Promise<TimestampProof> {
  const problem = await storedTokenProblem(stamped.token, record.merkle!.root, stamped);
  if (problem) throw new AppError(Errors.RECORD_INTEGRITY, { id: record.id, reason: `its time-stamp from ${tsa}: ${problem}` });
  return {
    type: "rfc3161",
    tsa,
    genTime: stamped.genTime,
    serialNumber: stamped.serialNumber,
    token: Buffer.from(stamped.token).toString("base64"),
  };
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
