/** Evidence records: what was received, and each item's place in the anchoring queue. */
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

export type NewEvidence = Omit<EvidenceRecord, "status" | "failureReason" | "batchId" | "merkle" | "anchor">;

export interface EvidencePage {
  items: EvidenceRecord[];
  nextCursor: string | null;
}

/** An item waiting for a batch: what its Merkle leaf is made of. */
export interface PendingItem {
  id: string;
  sha256: string;
  metadataSha256: string;
}

/** Per item id, its leaf and proof in a batch. */
export type BatchProofs = Record<string, { leaf: [string, string]; proof: string[] }>;

export interface EvidenceRepository {
  /** Adds records, pending and queued for anchoring. */
  insert(records: NewEvidence[]): Promise<void>;
  /** The record if it belongs to `accountId` (anything else reads as not found). */
  get(accountId: string, id: string): Promise<EvidenceRecord | null>;
  /** Those of these records that belong to `accountId`, in no particular order. */
  getMany(accountId: string, ids: readonly string[]): Promise<EvidenceRecord[]>;
  list(accountId: string, query: { sha256?: string; limit: number; cursor?: string }): Promise<EvidencePage>;
  countByStatus(): Promise<Record<EvidenceStatus, number>>;
  /** When the oldest item still waiting for its anchor was received, or null when none waits. */
  oldestPendingReceivedAt(): Promise<string | null>;
  /** Whether any record, of any account, or any fixed certificate, has this content. */
  isContentReferenced(cid: string): Promise<boolean>;

  // The anchoring queue ----------------------------------------------------------------------------
  /** The oldest pending items not yet in a batch. */
  nextPending(max: number): Promise<PendingItem[]>;
  /** Puts each item in the batch with its leaf and proof; throws if one is no longer waiting. */
  assignToBatch(batchId: string, proofs: BatchProofs): Promise<void>;
  /** The ids of a batch's items, in queue order. */
  itemsOf(batchId: string): Promise<string[]>;
  /** The batch's items are anchored. Returns them (id, account) for the events others hear. */
  markAnchored(batchId: string): Promise<{ id: string; accountId: string }[]>;
  /**
   * A batch given up: its items go back to the queue, or fail after `maxAttempts` (counting this one).
   * Returns those that failed.
   */
  returnToQueue(batchId: string, reason: string, maxAttempts: number): Promise<{ id: string; accountId: string }[]>;
  /** A batch whose anchor the chain lost: its items go back to the queue, not counted as an attempt. */
  requeueLost(batchId: string): Promise<{ id: string; accountId: string }[]>;
}
