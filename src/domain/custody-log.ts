/**
 * The chain of custody (`custody-log/v1`, docs/receipt.md): an append-only log of every access to and
 * export of evidence, each entry chained to the one before it:
 *
 *   entrySha256 = SHA-256(RFC 8785 canonical JSON of the entry)
 *   hash        = SHA-256(prev ‖ entrySha256)      the two digests' 32 bytes each, 64 bytes in all;
 *                                                  prev of entry 1 is 32 zero bytes
 *
 * So an entry's hash stands for the whole log up to it. The chain goes through the entry's digest rather
 * than its JSON so that a document can show another account's entry by its digest alone and still prove
 * the chain through it. The log's head (its last entry's seq and hash) is one more leaf in every Merkle
 * batch (custodyHeadLeaf), anchored with the batch's root: rewriting the log up to an anchored head would
 * change a root the chain holds.
 */
import type { AnchorFacts } from "./receipt.ts";
import { canonicalJson, canonicalJsonSha256 } from "./canonical-json.ts";
import { sha256Hex, toBytes32, type Sha256Hex } from "./hashing.ts";

export const CUSTODY_FORMAT = "custody-log/v1";
/** The `prev` of the first entry. */
export const GENESIS_HASH: Sha256Hex = "0".repeat(64);

/** One access, as hashed. Absent facts are left out, never null. */
export interface CustodyEntry {
  /** 1, 2, 3…: the entry's place in the log. */
  seq: number;
  /** When it was recorded, ISO 8601 UTC with milliseconds, by the service's clock. */
  at: string;
  /** The evidence item accessed; absent for an access to the whole log (an admin's page of it). */
  evidenceId?: string;
  /** The account that acted (its API key's), or the account a capture stored the item for. */
  accountId: string;
  /** The API key used; absent when the service acted on its own (a capture's artifacts). */
  keyId?: string;
  /** The HTTP method; absent when the service acted on its own. */
  method?: string;
  /** The route's template (`/v1/evidence/:id/content`), or `capture` for what a capture stored. */
  route: string;
  /** The client's address as the service saw it (behind TRUST_PROXY, the forwarding proxy's client). */
  client?: string;
  /** The capture that stored the item (route `capture`). */
  captureId?: string;
  /** The HTTP status answered (201 for an item stored). */
  status: number;
  /** The error code answered, for a status of 400 and above. */
  code?: string;
}

export type NewCustodyEntry = Omit<CustodyEntry, "seq">;

/** An entry with its place in the chain. `entry` is absent when the document leaves it out (another item's). */
export interface CustodyLink {
  seq: number;
  prev: Sha256Hex;
  hash: Sha256Hex;
  entrySha256: Sha256Hex;
  entry?: CustodyEntry;
  /** For an entry shown: the seq of the anchored head that covers it, or null (not yet anchored). */
  anchoredBy?: number | null;
}

/** A head of the log anchored with a batch: its leaf in the batch's tree, the proof, the root and the anchor. */
export interface AnchoredCustodyHead {
  seq: number;
  hash: Sha256Hex;
  leaf: [string, string];
  proof: string[];
  root: string;
  anchor: AnchorFacts;
}

/** What GET /v1/evidence/:id/custody answers and an evidence bundle carries as custody.json. */
export interface CustodyDocument {
  format: typeof CUSTODY_FORMAT;
  /** The item whose entries are shown in full; absent for a page of the whole log (every entry shown). */
  evidenceId?: string;
  /** Consecutive runs of the log, in order. */
  entries: CustodyLink[];
  /** The anchored heads that cover them. */
  heads: AnchoredCustodyHead[];
}

/** The entry as hashed: its RFC 8785 canonical JSON, without absent (undefined) facts. */
export function custodyEntryJson(entry: CustodyEntry): string {
  return canonicalJson(Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)));
}

/** SHA-256(prev ‖ entrySha256), over the two digests' bytes. */
export function custodyChainHash(prev: Sha256Hex, entrySha256: Sha256Hex): Sha256Hex {
  return sha256Hex(Buffer.from(prev + entrySha256, "hex"));
}

/** An entry placed after `prev`: what is stored and chained. */
export function linkCustodyEntry(prev: Sha256Hex, entry: CustodyEntry): { json: string; entrySha256: Sha256Hex; hash: Sha256Hex } {
  const json = custodyEntryJson(entry);
  const entrySha256 = sha256Hex(json);
  return { json, entrySha256, hash: custodyChainHash(prev, entrySha256) };
}

/**
 * The head's leaf in a batch's Merkle tree, encoded like an item's (`["bytes32","bytes32"]`):
 * [0x + the head's hash, 0x + SHA-256 of the canonical JSON {format, kind: "custody-head", seq, hash}].
 * The second value binds the seq and says what the leaf is; no item's metadata has that kind.
 */
export function custodyHeadLeaf(head: { seq: number; hash: Sha256Hex }): [string, string] {
  const statement = { format: CUSTODY_FORMAT, kind: "custody-head", seq: head.seq, hash: head.hash };
  return [toBytes32(head.hash), toBytes32(canonicalJsonSha256(statement))];
}

/** How many entries a document shows in full (the accesses it lists). */
export function custodyEntriesShown(document: CustodyDocument): number {
  return document.entries.filter((link) => link.entry !== undefined).length;
}
