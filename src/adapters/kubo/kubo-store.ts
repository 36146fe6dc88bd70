/**
 * A Kubo node over its RPC API (kubo-rpc-client), selected by IPFS_API_URL. Files are added with the
 * same import settings as the embedded store and pinned, so both give the same CID for the same bytes.
 * Kubo verifies blocks against their CIDs itself; the service re-hashes the whole file on read as well.
 */
import { CID } from "multiformats/cid";
import type { ContentStore } from "../../ports/content-store.ts";

/** The part of kubo-rpc-client's client this store uses (narrow, so tests can stand in for it). */
export interface KuboClient {
  add(
    input: AsyncIterable<Uint8Array> | Uint8Array,
    options: Record<string, unknown>,
  ): Promise<{ cid: { toString(): string } }>;
  cat(cid: CID, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array>;
  version(options?: { signal?: AbortSignal }): Promise<{ version: string }>;
  dag: { export(cid: CID, options?: { signal?: AbortSignal }): AsyncIterable<Uint8Array> };
}

/** `ipfs add --cid-version=1 --pin`: CIDv1, raw leaves, 256 KiB chunks, balanced DAG. */
export const KUBO_ADD_OPTIONS = Object.freeze({
  cidVersion: 1,
  rawLeaves: true,
  chunker: "size-262144",
  trickle: false,
  pin: true,
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

  async add(source: AsyncIterable<Uint8Array>, options: { signal?: AbortSignal } = {}): Promise<string> {
    const result = await this.#client.add(source, { ...KUBO_ADD_OPTIONS, signal: options.signal });
    return result.cid.toString();
  }

  async addBytes(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    const result = await this.#client.add(bytes, { ...KUBO_ADD_OPTIONS, signal: options.signal });
    return result.cid.toString();
  }

  cat(cid: string, options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    return this.#client.cat(CID.parse(cid), options);
  }

  car(cid: string, options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    return this.#client.dag.export(CID.parse(cid), options);
  }

  async check(): Promise<void> {
    await this.#client.version({ signal: AbortSignal.timeout(3000) });
  }

  async close(): Promise<void> {}
}
