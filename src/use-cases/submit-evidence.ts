/**
 * upload → hash → store → queue. The file arrives already on disk with its SHA-256 computed while it
 * streamed in (http/upload-storage.ts); here it is imported into the content store, described, and
 * queued for anchoring. When this resolves the bytes and the record are durable.
 */
import { buildMetadata, type EvidenceClaims, type EvidenceKind } from "../domain/evidence.ts";
import { sniffMediaType } from "../domain/media-type.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord, EvidenceRepository } from "../ports/repositories.ts";

export interface SubmitEvidenceDeps {
  store: ContentStore;
  evidence: EvidenceRepository;
  now?: () => Date;
}

/** A file received to a temporary path (hashed on the way), or bytes made here. */
export interface ReceivedFile {
  content: { path: string } | { bytes: Uint8Array };
  sha256: string;
  size: number;
  /** The first bytes, for sniffing the media type. */
  head: Uint8Array;
}

export interface EvidenceSubmission {
  accountId: string;
  kind: EvidenceKind;
  file: ReceivedFile;
  claims: EvidenceClaims;
}

/** Stores the bytes and builds the record, without indexing it (see submitEvidence). */
export async function prepareEvidence(
  deps: SubmitEvidenceDeps,
  submission: EvidenceSubmission,
  id = newId.evidence(),
): Promise<EvidenceRecord> {
  const { file } = submission;
  if (file.size === 0) throw new AppError(Errors.EMPTY_FILE);
  const cid =
    "path" in file.content ? await deps.store.addFile(file.content.path) : await deps.store.addBytes(file.content.bytes);
  const mediaType = await sniffMediaType(file.head);
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
  deps.evidence.insert(record);
  return record;
}
