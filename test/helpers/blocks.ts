import { readdirSync } from "node:fs";
import { join } from "node:path";
import { base32upper } from "multiformats/bases/base32";
import { CID } from "multiformats/cid";

/** The embedded store's file of a block: blockstore-fs names it by its multihash in base32 (upper case). */
export function findBlockFile(root: string, cid: string): string {
  const name = `${base32upper.encode(CID.parse(cid).multihash.bytes)}.data`;
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) return join(entry.parentPath, entry.name);
  }
  throw new Error(`no block file ${name} under ${root}`);
}
