/**
 * The index: evidence records, the anchoring queue, batches, accounts and API keys. One store
 * implements all of it (SQLite by default) so that a record and its place in the queue are written in
 * one transaction.
 */
import type { EvidenceKind, EvidenceMetadata, EvidenceStatus } from "../domain/evidence.ts";
import type { AnchorFacts } from "../domain/receipt.ts";

export interface EvidenceRecord {
  id: string;
  accountId: string;
  kind: EvidenceKind;
  sha256: string;
  size: number;
  mediaType: string;
  cid: string;
  metadata: EvidenceMetadata;
  metadataSha256: string;
  status: EvidenceStatus;
  receivedAt: string;
  failureReason?: string;
  batchId?: string;
  /** Set once anchored. */
  merkle?: { leaf: [string, string]; proof: string[]; root: string };
  anchor?: AnchorFacts;
}

export interface EvidencePage {
  items: EvidenceRecord[];
  nextCursor: string | null;
}

/** Content stored for requests that were then refused: released (unpinned) later if nothing uses it. */
export interface ContentReleaseQueue {
  /** Records that these CIDs may be released (a later request for the same CID only moves it back). */
  requestRelease(cids: string[], at: string): void;
  /** CIDs asked to be released before `before`, oldest first. */
  dueReleases(before: string, max: number): string[];
  /** Whether any evidence record, of any account, has this content. */
  isReferenced(cid: string): boolean;
  forgetRelease(cid: string): void;
}

export interface EvidenceRepository {
  /** Adds pending records, queued for anchoring: all of them or none. Resolves once they are durable. */
  insert(...records: Omit<EvidenceRecord, "status">[]): Promise<void>;
  /** The record if it belongs to `accountId` (anything else reads as not found). */
  get(accountId: string, id: string): EvidenceRecord | null;
  list(accountId: string, query: { sha256?: string; limit: number; cursor?: string }): EvidencePage;
  countByStatus(): Record<EvidenceStatus, number>;
  /** When the oldest item still waiting for its anchor was received, or null when none waits. */
  oldestPendingReceivedAt(): string | null;
}

export type BatchState = "prepared" | "sent" | "anchored";

export interface Batch {
  id: string;
  root: string;
  state: BatchState;
  itemIds: string[];
  createdAt: string;
  /** Set from the moment the signed transaction is made durable, before it is broadcast. */
  tx?: { txHash: string; rawTx: string; nonce: number; fromBlock: number };
  attempts: number;
}

export interface BatchProofs {
  /** Per item id, its leaf and proof, stored when the batch is formed. */
  [itemId: string]: { leaf: [string, string]; proof: string[] };
}

export interface AnchorQueue {
  /** Batches that are formed but not anchored, oldest first: the worker finishes these first. */
  openBatches(): Batch[];
  /** The oldest pending items not yet in a batch. */
  nextPending(max: number): { id: string; sha256: string; metadataSha256: string }[];
  /** Assigns the items to a new batch with its root and proofs, in one transaction. */
  createBatch(batch: { id: string; root: string; itemIds: string[]; proofs: BatchProofs }): Batch;
  /** Records the signed transaction before it is broadcast. */
  recordSigned(batchId: string, tx: NonNullable<Batch["tx"]>): void;
  /** Forgets a signed transaction that can never be mined (its nonce was used by another). */
  clearSigned(batchId: string, reason: string): void;
  /** Marks the batch and all its items anchored, in one transaction. */
  completeBatch(batchId: string, anchor: AnchorFacts): void;
  /** Gives up on a batch: its items go back to the queue, or fail after too many attempts. */
  abandonBatch(batchId: string, reason: string, maxAttempts: number): void;
  countBatchesByState(): Record<BatchState | "abandoned", number>;
  /** Anchored batches, newest anchor first. */
  recentAnchors(max: number): { batchId: string; root: string; anchor: AnchorFacts }[];
  /**
   * An anchor the chain no longer has (a chain that lost its last blocks, a reorganisation): the batch
   * is given up and its items go back to the queue, to be anchored again. Not counted as an attempt.
   */
  reopenLostBatch(batchId: string, reason: string): void;
}

export interface Account {
  id: string;
  name: string;
  role: "admin" | "member";
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  accountId: string;
  /** The first characters of the key, to tell keys apart in lists; never enough to use it. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface AccountRepository {
  countAccounts(): number;
  createAccount(account: Account): void;
  getAccount(id: string): Account | null;
  addApiKey(key: ApiKeyRecord & { keyHash: string }): void;
  /** The account of a live (not revoked) key, by the key's hash. */
  accountByKeyHash(keyHash: string): Account | null;
  listApiKeys(accountId: string): ApiKeyRecord[];
  revokeApiKey(accountId: string, keyId: string, at: string): boolean;
}

export type CaptureStatus = "queued" | "running" | "completed" | "failed";

export interface CaptureRecord {
  id: string;
  accountId: string;
  url: string;
  caseRef?: string;
  listingId?: string;
  note?: string;
  status: CaptureStatus;
  requestedAt: string;
  startedAt?: string;
  finishedAt?: string;
  failureReason?: string;
  /** The evidence id of the capture manifest, once the capture ended. */
  manifestId?: string;
  /** What the capture found (final URL, HTTP status, artifacts, listing), for the API. */
  summary?: Record<string, unknown>;
}

export interface CaptureRepository {
  createCapture(capture: Omit<CaptureRecord, "status">): void;
  getCapture(accountId: string, id: string): CaptureRecord | null;
  listCaptures(accountId: string, limit: number): CaptureRecord[];
  /** Marks up to `max` queued captures running and returns them, oldest first. */
  claimCaptures(max: number): CaptureRecord[];
  countCapturesByStatus(): Record<CaptureStatus, number>;
  /** Captures left running by a stopped process go back to the queue. */
  requeueRunningCaptures(): number;
  /** Ends a capture and indexes its evidence (artifacts and manifest), in one transaction. */
  finishCapture(
    id: string,
    outcome: { status: "completed" | "failed"; failureReason?: string; manifestId: string; summary: Record<string, unknown> },
    evidence: Omit<EvidenceRecord, "status">[],
  ): void;
  /** Ends a running capture as failed when nothing of it could be recorded (no manifest, no evidence). */
  failCapture(id: string, reason: string): void;
}
