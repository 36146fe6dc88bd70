/**
 * The portable receipt `evidence-receipt/v2` (docs/receipt.md): everything needed to prove, without this
 * service, that a file existed no later than a block time and, independently, an RFC 3161 time-stamp's
 * time. Building it is pure: its inputs come from the index. Receipts of the first format
 * (`evidence-receipt/v1`: an anchor only) keep verifying.
 */
import type { EvidenceMetadata } from "./evidence.ts";
import type { Sha256Hex } from "./hashing.ts";
import { LEAF_ENCODING, TREE_FORMAT } from "./merkle-batch.ts";

export const RECEIPT_VERSION = "evidence-receipt/v2";
export const RECEIPT_VERSIONS = ["evidence-receipt/v1", RECEIPT_VERSION] as const;
export type ReceiptVersion = (typeof RECEIPT_VERSIONS)[number];

export interface AnchorFacts {
  chainId: number;
  registry: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  /** The anchoring block's Unix time in seconds; equals `anchorOf(root).timestamp`. */
  timestamp: number;
  /** The registry contract's VERSION() ("1" for the first, which had none): what its calls mean. */
  registryVersion: string;
}

/** An RFC 3161 time-stamp token over the 32 bytes of the batch's Merkle root. */
export interface TimestampProof {
  type: "rfc3161";
  /** The TSA's URL the token was requested from. */
  tsa: string;
  /** The token's genTime, as the token states it (ISO 8601, UTC). */
  genTime: string;
  /** The token's serial number, lowercase hex. */
  serialNumber: string;
  /** The TimeStampToken (CMS SignedData), DER, base64: `openssl ts -verify -in` reads it as a reply's token. */
  token: string;
}

export interface EvidenceReceipt {
  version: ReceiptVersion;
  evidence: Pick<EvidenceMetadata, "id" | "kind" | "sha256" | "size" | "mediaType" | "cid"> & { metadataSha256: Sha256Hex };
  metadata: EvidenceMetadata;
  merkle: {
    format: typeof TREE_FORMAT;
    leafEncoding: typeof LEAF_ENCODING;
    leaf: [string, string];
    proof: string[];
    root: string;
  };
  /** v1 receipts have no `registryVersion`: the verifier asks the registry. */
  anchor: Omit<AnchorFacts, "registryVersion"> & { registryVersion?: string };
  /** v2: the time-stamps of the root (possibly none). */
  timestamps?: TimestampProof[];
  /** v2: the TSAs asked for a time-stamp of the root that had not answered when the receipt was made. */
  timestampsPending?: string[];
}

export interface ReceiptInputs {
  metadata: EvidenceMetadata;
  metadataSha256: Sha256Hex;
  leaf: [string, string];
  proof: string[];
  root: string;
  anchor: AnchorFacts;
  timestamps: TimestampProof[];
  timestampsPending: string[];
}

export function buildReceipt(input: ReceiptInputs): EvidenceReceipt {
  const m = input.metadata;
  return {
    version: RECEIPT_VERSION,
    evidence: {
      id: m.id,
      kind: m.kind,
      sha256: m.sha256,
      size: m.size,
      mediaType: m.mediaType,
      cid: m.cid,
      metadataSha256: input.metadataSha256,
    },
    metadata: m,
    merkle: {
      format: TREE_FORMAT,
      leafEncoding: LEAF_ENCODING,
      leaf: input.leaf,
      proof: input.proof,
      root: input.root,
    },
    anchor: input.anchor,
    timestamps: input.timestamps,
    timestampsPending: input.timestampsPending,
  };
}
