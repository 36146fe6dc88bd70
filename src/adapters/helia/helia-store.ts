/**
 * The embedded IPFS store: `@helia/unixfs` over an on-disk `blockstore-fs`, with no network listener.
 * Files are imported with Kubo's `ipfs add --cid-version=1` settings, so a CID made here is the CID any
 * IPFS node gives the same bytes, and every block read back is checked against its CID.
 */
import { randomUUID } from "node:crypto";
import { access, mkdir, open, rename } from "node:fs/promises";
import { join } from "node:path";
import { unixfs, type UnixFS } from "@helia/unixfs";
import { CarWriter } from "@ipld/car/writer";
import * as dagPb from "@ipld/dag-pb";
import { FsBlockstore } from "blockstore-fs";
import { NextToLast } from "blockstore-fs/sharding";
import { CID } from "multiformats/cid";
import { sha256 } from "multiformats/hashes/sha2";
import { equals } from "multiformats/bytes";
import { KUBO_IMPORT_OPTIONS } from "../../domain/content-id.ts";
import { ContentIntegrityError, type ContentStore } from "../../ports/content-store.ts";

type AbortOptions = { signal?: AbortSignal };

/**
 * blockstore-fs's layout and reads, with our own writes: blockstore-fs writes each block atomically (temp
 * file + rename) but never fsyncs it, and an accepted upload must survive a power cut. Each new block is
 * written to a temp file, flushed, and renamed into place, in one open (about twice as fast as
 * blockstore-fs's put followed by a separate flush). Reads re-hash every block against its CID:
 * blockstore-fs serves whatever bytes are on disk.
 */
class DurableVerifiedBlockstore {
  readonly #inner: FsBlockstore;
  readonly #sharding: NextToLast;
  readonly #dirs = new Set<string>();

  constructor(inner: FsBlockstore, sharding: NextToLast) {
    this.#inner = inner;
    this.#sharding = sharding;
  }

  async has(cid: CID, options?: AbortOptions): Promise<boolean> {
    return this.#inner.has(cid, options);
  }

  async put(cid: CID, bytes: Uint8Array, options?: AbortOptions): Promise<CID> {
    options?.signal?.throwIfAborted();
    const { dir, file } = this.#sharding.encode(cid);
    const folder = join(this.#inner.path, dir);
    const target = join(folder, file);
    if (await exists(target)) return cid; // content-addressed: the same bytes are already there
    if (!this.#dirs.has(folder)) {
      await mkdir(folder, { recursive: true });
      this.#dirs.add(folder);
    }
    const temp = `${target}.${randomUUID()}.tmp`;
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    return cid;
  }

  async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of this.#inner.get(cid, options)) chunks.push(chunk);
    } catch (error) {
      // A block that a record needs and that is gone is altered content, like a changed one.
      if ((error as { name?: string }).name === "NotFoundError") throw new ContentIntegrityError(`block ${cid} is missing from the store`);
      throw error;
    }
    const bytes = Buffer.concat(chunks);
    if (cid.multihash.code !== sha256.code) {
      throw new ContentIntegrityError(`block ${cid} uses a hash this store does not verify`);
    }
    const digest = await sha256.digest(bytes);
    if (!equals(digest.digest, cid.multihash.digest)) {
      throw new ContentIntegrityError(`block ${cid} does not match its CID`);
    }
    yield bytes;
  }
}

export class HeliaContentStore implements ContentStore {
  readonly #blockstore: FsBlockstore;
  readonly #verified: DurableVerifiedBlockstore;
  readonly #fs: UnixFS;

  private constructor(blockstore: FsBlockstore, sharding: NextToLast) {
    this.#blockstore = blockstore;
    this.#verified = new DurableVerifiedBlockstore(blockstore, sharding);
    this.#fs = unixfs({ blockstore: this.#verified as never });
  }

  static async open(directory: string): Promise<HeliaContentStore> {
    const sharding = new NextToLast(); // blockstore-fs's default layout, named so we can find a block's file
    const blockstore = new FsBlockstore(directory, { shardingStrategy: sharding });
    await blockstore.open();
    return new HeliaContentStore(blockstore, sharding);
  }

  async add(source: AsyncIterable<Uint8Array>, options: { signal?: AbortSignal } = {}): Promise<string> {
    const cid = await this.#fs.addByteStream(source, { ...KUBO_IMPORT_OPTIONS, signal: options.signal });
    return cid.toString();
  }

  async addBytes(bytes: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<string> {
    return (await this.#fs.addBytes(bytes, { ...KUBO_IMPORT_OPTIONS, signal: options.signal })).toString();
  }

  async *cat(cid: string, options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    yield* this.#fs.cat(CID.parse(cid), { signal: options.signal, offline: true });
  }

  async *car(cid: string, options: { signal?: AbortSignal } = {}): AsyncIterable<Uint8Array> {
    const root = CID.parse(cid);
    const { writer, out } = CarWriter.create([root]);
    const blocks = this.#verified;
    const write = (async () => {
      try {
        // Depth first, links in order: a reader can stream the file back out of the CAR. Each block
        // once: a file of repeated chunks (zeros, say) shares blocks, and Kubo's export has no repeats.
        const written = new Set<string>();
        const visit = async (node: CID): Promise<void> => {
          options.signal?.throwIfAborted();
          if (written.has(node.toString())) return;
          written.add(node.toString());
          const chunks: Uint8Array[] = [];
          for await (const chunk of blocks.get(node, options)) chunks.push(chunk);
          const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          await writer.put({ cid: node, bytes });
          if (node.code === dagPb.code) for (const link of dagPb.decode(bytes).Links) await visit(link.Hash);
        };
        await visit(root);
      } finally {
        await writer.close();
      }
    })();
    yield* out;
    await write;
  }

  async unpin(): Promise<void> {
    // No pins here: blocks stay, content-addressed and never served without a record.
  }

  async check(): Promise<void> {
    await this.#blockstore.open(); // checks that the folder exists and is writable
  }

  async close(): Promise<void> {
    await this.#blockstore.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
