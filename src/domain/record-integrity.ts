/**
 * A stored record checked the way a verifier checks a receipt, before it is served: the metadata
 * hashes to the recorded metadata hash, says what the record's columns say, and, once anchored, its
 * leaf and proof lead to the recorded root. A row edited in the index (another item's CID and hash put
 * in, a changed timestamp or claim) fails here instead of being served as truth.
 */
import { canonicalJsonSha256 } from "./canonical-json.ts";
import type { EvidenceMetadata } from "./evidence.ts";
import { leafOf, verifyMerkleProof } from "./merkle-batch.ts";

export interface StoredRecord {
  id: string;
  kind: string;
  sha256: string;
  size: number;
  mediaType: string;
  cid: string;
  receivedAt: string;
  metadata: EvidenceMetadata;
  metadataSha256: string;
  merkle?: { leaf: [string, string]; proof: string[]; root: string };
}

/** What is wrong with the record, or null when it checks out. */
export function recordProblem(record: StoredRecord): string | null {
  if (canonicalJsonSha256(record.metadata) !== record.metadataSha256) return "its metadata does not hash to its metadata SHA-256";
  const m = record.metadata;
  const differing = (["id", "kind", "sha256", "size", "mediaType", "cid", "receivedAt"] as const).filter((k) => m[k] !== record[k]);
  if (differing.length) return `its metadata's ${differing.join(", ")} differ from the record's`;
  if (record.merkle) {
    const leaf = leafOf(record);
    if (record.merkle.leaf.some((v, i) => v.toLowerCase() !== leaf[i])) return "its Merkle leaf is not [content SHA-256, metadata SHA-256]";
    if (!verifyMerkleProof(record.merkle.root, leaf, record.merkle.proof))
      return `its Merkle proof does not lead to the batch root ${record.merkle.root}`;
  }
  return null;
}
