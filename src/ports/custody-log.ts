/**
 * The chain of custody (domain/custody-log.ts): an append-only, hash-chained log of every access to
 * evidence, and the heads of it anchored with batches. Appends are serialized across instances (each
 * takes the head under a lock), so the log is one chain however many instances write it; an append
 * made in a transaction commits or rolls back with it.
 */
import type { AnchoredCustodyHead, NewCustodyEntry } from "../domain/custody-log.ts";

/** A row of the log, as stored: the entry's canonical JSON and its place in the chain. */
export interface StoredCustodyEntry {
  seq: number;
  prev: string;
  hash: string;
  /** The item the row is filed under (for lookups; the JSON says which item the entry names). */
  evidenceId: string | null;
  /** The entry's RFC 8785 canonical JSON, as hashed. */
  entryJson: string;
}

export interface CustodyHeadRef {
  seq: number;
  hash: string;
}

export interface CustodyLog {
  /** Appends after the current head, chained to it; returns the row. */
  append(entry: NewCustodyEntry): Promise<StoredCustodyEntry>;
  /** The last entry's seq and hash (seq 0 and the genesis hash while the log is empty). */
  head(): Promise<CustodyHeadRef>;
  /** The rows with from ≤ seq ≤ to, in order. */
  range(from: number, to: number): Promise<StoredCustodyEntry[]>;
  /** The seqs of the rows filed under an item, in order. */
  seqsOf(evidenceId: string): Promise<number[]>;
  /** The head a batch anchors, with its leaf and proof in the batch's tree (written with the batch). */
  recordBatchHead(batchId: string, head: CustodyHeadRef & { leaf: [string, string]; proof: string[] }): Promise<void>;
  /** Of the heads of anchored batches: the first at or after `seq`. */
  anchoredHeadFrom(seq: number): Promise<AnchoredCustodyHead | null>;
  /** Of the heads of anchored batches: the last before `seq`. */
  anchoredHeadBefore(seq: number): Promise<AnchoredCustodyHead | null>;
  /** The heads of anchored batches with from ≤ seq ≤ to, in order (one per seq). */
  anchoredHeadsIn(from: number, to: number): Promise<AnchoredCustodyHead[]>;
}
