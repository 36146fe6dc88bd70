/**
 * What an evidence item is, and the metadata that is hashed with it into its Merkle leaf. The metadata
 * is fixed when the item is received (its hash is part of the leaf), so it holds only facts known then.
 */
import type { Sha256Hex } from "./hashing.ts";
import { canonicalJsonSha256 } from "./canonical-json.ts";

export const EVIDENCE_KINDS = [
  "screenshot",
  "listing-snapshot",
  "document",
  "capture-artifact",
  "capture-manifest",
  "case-event",
  "report",
] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

export type EvidenceStatus = "pending" | "anchored" | "failed";

/** The facts the uploader may state about an item. Recorded as claims; only the bytes are proven. */
export interface EvidenceClaims {
  sourceUrl?: string;
  capturedAt?: string;
  description?: string;
  caseRef?: string;
  fileName?: string;
  claimedMediaType?: string;
  /** The id of another evidence item this one belongs to (a listing snapshot's screenshot, say). */
  relatedTo?: string;
}

/**
 * The metadata object of `evidence-receipt/v1`: its RFC 8785 canonical JSON hashes to metadataSha256.
 * Optional claims are left out when absent rather than set to null, so the canonical form is minimal.
 */
export interface EvidenceMetadata extends EvidenceClaims {
  id: string;
  kind: EvidenceKind;
  sha256: Sha256Hex;
  size: number;
  mediaType: string;
  cid: string;
  receivedAt: string;
}

export function buildMetadata(fields: EvidenceMetadata): { metadata: EvidenceMetadata; metadataSha256: Sha256Hex } {
  const metadata = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== "")) as unknown as EvidenceMetadata;
  return { metadata, metadataSha256: canonicalJsonSha256(metadata) };
}
