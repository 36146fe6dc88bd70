/**
 * upload → hash → store → queue. An upload arrives already in the content store, hashed while it
 * streamed in (http/upload-storage.ts); bytes made here (a snapshot) are stored now. Then the item is
 * described and queued for anchoring, with its first custody entry in the same transaction. When this
 * resolves the bytes, the record and its entry are durable.
 */
import { buildMetadata, type EvidenceClaims, type EvidenceKind } from "../domain/evidence.ts";
import { sha256Hex } from "../domain/hashing.ts";
import { madeMediaType, SNIFF_BYTES, sniffMediaType } from "../domain/media-type.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { storedEntry, type Access } from "./record-custody.ts";

export interface SubmitEvidenceDeps {
  store: ContentStore;
  index: Pick<IndexStore, "transaction">;
  now?: () => Date;
}

/** A file already in the content store (hashed on the way in), or bytes made here. */
export interface ReceivedFile {
  content: { cid: string } | { bytes: Uint8Array };
  sha256: string;
  size: number;
  /** The first bytes, for sniffing the media type. */
  head: Uint8Array;
  /** For bytes the service made: the type it made them as (kept when the bytes do not contradict it). */
  madeAs?: string;
}

/** Bytes made by the service (a snapshot, a capture artifact, a manifest), as a file to submit. */
export function receivedBytes(bytes: Uint8Array, madeAs?: string): ReceivedFile {
  return { content: { bytes }, sha256: sha256Hex(bytes), size: bytes.length, head: bytes.subarray(0, SNIFF_BYTES), madeAs };
}

export interface EvidenceSubmission {
  accountId: string;
  /** The request that stores it: its first custody entry. */
  access: Access;
  /** The request's: a client that hung up gets nothing committed. */
  signal?: AbortSignal;
  kind: EvidenceKind;
  file: ReceivedFile;
  claims: EvidenceClaims;
}

/** Stores the bytes and builds the record, without indexing it (see submitEvidence). */
export async function prepareEvidence(
  deps: Pick<SubmitEvidenceDeps, "store" | "now">,
  submission: Omit<EvidenceSubmission, "access">,
  id = newId.evidence(),
): Promise<EvidenceRecord> {
  const { file } = submission;
  if (file.size === 0) throw new AppError(Errors.EMPTY_FILE);
  const cid = "cid" in file.content ? file.content.cid : await deps.store.addBytes(file.content.bytes, { signal: submission.signal });
  const mediaType = madeMediaType(await sniffMediaType(file.head), file.madeAs);
  const receivedAt = (deps.now?.() ?? new Date()).toISOString();
  const { metadata, metadataSha256 } = buildMetadata({
    id,
    kind: submission.kind,
    sha256: file.sha256,
    size: file.size,
    mediaType,
    cid,
    receivedAt,
    ...submission.claims,
  });
  return {
    id,
    accountId: submission.accountId,
    kind: submission.kind,
    sha256: file.sha256,
    size: file.size,
    mediaType,
    cid,
    metadata,
    metadataSha256,
    receivedAt,
    status: "pending",
  };
}

export async function submitEvidence(deps: SubmitEvidenceDeps, submission: EvidenceSubmission): Promise<EvidenceRecord> {
  const record = await prepareEvidence(deps, submission);
  submission.signal?.throwIfAborted();
  await indexStored(deps, [record], submission.access);
  return record;
}

/** Indexes new records, each with its first custody entry, in one transaction. */
export async function indexStored(
  deps: Pick<SubmitEvidenceDeps, "index" | "now">,
  records: EvidenceRecord[],
  access: Access,
): Promise<void> {
  const at = deps.now?.() ?? new Date();
  await deps.index.transaction(async (tx) => {
    await tx.evidence.insert(records);
    for (const record of records) await tx.custody.append(storedEntry(record.id, access, at));
  });
}
