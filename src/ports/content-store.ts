/** Where evidence bytes live, addressed by IPFS CID (CIDv1, Kubo's `ipfs add --cid-version=1` layout). */
export interface ContentStore {
  /** Imports a stream of bytes and keeps it (pinned, where the store has pins). Durable when it resolves. */
  add(source: AsyncIterable<Uint8Array>, options?: { signal?: AbortSignal }): Promise<string>;
  /** Imports bytes held in memory (small documents made by the service, such as snapshots). */
  addBytes(bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<string>;
  /** The file's bytes. Every block is checked against its CID as it is read: altered bytes throw. */
  cat(cid: string, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  /** The file's whole DAG as a CAR v1 stream rooted at `cid`: every block, each checked against its CID. */
  car(cid: string, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  /** Throws when the store cannot be reached (for /readyz). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by ContentStore.cat when a stored block no longer matches its CID. */
export class ContentIntegrityError extends Error {
  override readonly name = "ContentIntegrityError";
}
