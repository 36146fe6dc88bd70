/**
 * The IPFS CID of a file as Kubo's `ipfs add --cid-version=1` computes it, so a CID made here is the
 * CID any IPFS node gives the same bytes. Used to store files and, with nothing stored, to check them.
 */
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import { createHash } from "node:crypto";

/**
 * Kubo's defaults for `ipfs add --cid-version=1`. Set explicitly: @helia/unixfs's own defaults
 * (1 MiB chunks, 1024 links per node) give other CIDs for files over 256 KiB.
 */
export const KUBO_IMPORT_OPTIONS = {
  cidVersion: 1,
  rawLeaves: true,
  chunker: fixedSize({ chunkSize: 262_144 }),
  layout: balanced({ maxChildrenPerNode: 174 }),
  reduceSingleLeafToSelf: true,
} as const;

export interface FileFacts {
  sha256: string;
  size: number;
  cid: string;
}

/** SHA-256, size and CID of a stream, in one pass, keeping no block. */
export async function fileFacts(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<FileFacts> {
  const hash = createHash("sha256");
  let size = 0;
  async function* tapped() {
    for await (const chunk of source) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  }
  const discard = { put: async (cid: unknown) => cid };
  let cid = "";
  for await (const entry of importer([{ content: tapped() }], discard as never, KUBO_IMPORT_OPTIONS)) {
    cid = entry.cid.toString();
  }
  return { sha256: hash.digest("hex"), size, cid };
}
