/**
 * Merkle batches and their anchors. Each step of a batch is recorded before the next is taken, so that
 * a crash at any point is resumed, never repeated (use-cases/anchor-batch.ts).
 */
import type { AnchorFacts } from "../domain/receipt.ts";

export type BatchState = "prepared" | "sent" | "anchored" | "abandoned";

export interface SignedTx {
  txHash: string;
  rawTx: string;
  nonce: number;
  fromBlock: number;
}

export interface Batch {
  id: string;
  root: string;
  state: BatchState;
  itemIds: string[];
  createdAt: string;
  /** Set from the moment the signed transaction is made durable, before it is broadcast. */
  tx?: SignedTx;
  attempts: number;
}

export interface BatchRepository {
  create(batch: { id: string; root: string; createdAt: string }): Promise<void>;
  /** Batches formed but not anchored (prepared or sent), oldest first, without their item ids. */
  open(): Promise<Omit<Batch, "itemIds">[]>;
  /** Records the signed transaction before it is broadcast. */
  recordSigned(batchId: string, tx: SignedTx): Promise<void>;
  /** Forgets a signed transaction that can never be mined (its nonce was used by another). */
  clearSigned(batchId: string, reason: string): Promise<void>;
  /** The batch is anchored, with these facts. */
  markAnchored(batchId: string, anchor: AnchorFacts, at: string): Promise<void>;
  /**
   * Gives the batch up (its transaction reverted, or the chain lost its anchor), if it is still in one of
   * the states `from`; false when it was not (another instance got there first). Its items are handled
   * by the evidence repository, in the same transaction.
   */
  abandon(batchId: string, reason: string, from: BatchState[]): Promise<boolean>;
  /** Anchored batches, newest anchor first. */
  recentAnchors(max: number): Promise<{ batchId: string; root: string; anchor: AnchorFacts }[]>;
  countByState(): Promise<Record<BatchState, number>>;
}
