/**
 * A Kubo node over its RPC API (kubo-rpc-client), selected by IPFS_API_URL. Files are added with the
 * same import settings as the embedded store, so both give the same CID for the same bytes, then pinned.
 * Kubo does not re-hash blocks it reads from its own disk (Datastore.HashOnRead is off by default), so
 * the service checks what it reads: the whole file against its SHA-256, size and CID before serving it.
 * Deadlines and error mapping are added around this store by store-deadlines.ts.
 */
import { CID } from "multiformats/cid";
import type { ContentStore } from "../../ports/content-store.ts";

/** The part of kubo-rpc-client's client this store uses (narrow, so tests can stand in for it). */
export interface KuboClient {
  add(input: AsyncIterable<Uint8Array> | Uint8Array, options: Record<string, unknown>): Promise<{ cid: { toString(): string } }>;
  cat(cid: CID, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  version(options?: { signal?: AbortSignal }): Promise<{ version: string }>;
  dag: { export(cid: CID, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array> };
  pin: {
    add(cid: CID, options?: { signal?: AbortSignal }): Promise<unknown>;
    rm(cid: CID, options?: { signal?: AbortSignal }): Promise<unknown>;
  };
}

/** `ipfs add --cid-version=1 --pin=false`: CIDv1, raw leaves, 256 KiB chunks, balanced DAG; pinned after (see add). */
export const KUBO_ADD_OPTIONS = Object.freeze({
  cidVersion: 1,
  rawLeaves: true,
  chunker: "size-262144",
  trickle: false,
  pin: false,
});

export class KuboContentStore implements ContentStore {
  readonly #client: KuboClient;

  constructor(client: KuboClient) {
    this.#client = client;
  }

  static async connect(url: string): Promise<KuboContentStore> {
    const { create } = await import("kubo-rpc-client");
    return new KuboContentStore(create({ url }) as unknown as KuboClient);
  }

  /**
   * Adds, then pins in a second call, once the CID is known here. A node that stalls (frozen, swapping)
   * still holds the whole upload in its socket buffer and finishes the add after the service gave up on
   * it (deadline, client hung up): with `pin=true` that content would stay pinned for ever, as no record
   * and no release knows its CID. Added unpinned, it is garbage the node's GC may reclaim. The price: a
   * GC run between the two calls takes the fresh blocks, the pin waits for blocks the node no longer has,
   * and the upload fails at its deadline (503, to be retried).
   */
  async add(source: AsyncIterable<Uint8Array>, options: { signal?: AbortSignal } = {}): Promise<string> {
    const result = await this.#client.add(source, { ...KUBO_ADD_OPTIONS, signal: options.signal });
    return this.#pin(result.cid.toString(), options);
  }

  async addBytes(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    const result = await this.#client.add(bytes, { ...KUBO_ADD_OPTIONS, signal: options.signal });
    return this.#pin(result.cid.toString(), options);
  }

  async #pin(cid: string, options: { signal?: AbortSignal }): Promise<string> {
    await this.#client.pin.add(CID.parse(cid), options);
    return cid;
  }

  cat(cid: string, options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    return this.#client.cat(CID.parse(cid), options);
  }

  car(cid: string, options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    return this.#client.dag.export(CID.parse(cid), options);
  }

  async unpin(cid: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.#client.pin.rm(CID.parse(cid), options);
    } catch (error) {
      if (/not pinned/i.test(String((error as Error).message))) return; // Kubo's answer for a CID without a pin
      throw error;
    }
  }

  async check(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.#client.version(options);
  }

  async close(): Promise<void> {}
}
