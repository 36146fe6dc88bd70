/** Where evidence bytes live, addressed by IPFS CID (CIDv1, Kubo's `ipfs add --cid-version=1` layout). */
export interface StoreOptions {
  /** Aborts the call (the client hung up, the service is stopping, a deadline passed). */
  signal?: AbortSignal;
}

export interface ContentStore {
  /** Imports a stream of bytes and keeps it (pinned, where the store has pins). Durable when it resolves. */
  add(source: AsyncIterable<Uint8Array>, options?: StoreOptions): Promise<string>;
  /** Imports bytes held in memory (small documents made by the service, such as snapshots). */
  addBytes(bytes: Uint8Array, options?: StoreOptions): Promise<string>;
  /** The file's bytes. The embedded store checks every block against its CID as it is read. */
  cat(cid: string, options?: StoreOptions): AsyncIterable<Uint8Array>;
  /** The file's whole DAG as a CAR v1 stream rooted at `cid`, each block once. */
  car(cid: string, options?: StoreOptions): AsyncIterable<Uint8Array>;
  /** Drops the store's hold on content no record needs (a Kubo pin); a no-op for a store without pins. */
  unpin(cid: string, options?: StoreOptions): Promise<void>;
  /** Throws when the store cannot be reached (for /readyz). */
  check(options?: StoreOptions): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by ContentStore.cat when a stored block no longer matches its CID. */
export class ContentIntegrityError extends Error {
  override readonly name = "ContentIntegrityError";
}
