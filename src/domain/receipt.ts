/**
 * The portable receipt `evidence-receipt/v1` (docs/receipt.md): everything needed to prove, without this
 * service, that a file existed no later than a block time. Building it is pure: its inputs come from
 * the index.
 */
import type { EvidenceMetadata } from "./evidence.ts";
import type { Sha256Hex } from "./hashing.ts";
import { LEAF_ENCODING, TREE_FORMAT } from "./merkle-batch.ts";

export const RECEIPT_VERSION = "evidence-receipt/v1";

export interface AnchorFacts {
  chainId: number;
  registry: string;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  /** The anchoring block's Unix time in seconds; equals `anchorOf(root).timestamp`. */
  timestamp: number;
}

export interface EvidenceReceipt {
  version: typeof RECEIPT_VERSION;
  evidence: Pick<EvidenceMetadata, "id" | "kind" | "sha256" | "size" | "mediaType" | "cid"> & { metadataSha256: Sha256Hex };
  metadata: EvidenceMetadata;
  merkle: {
    format: typeof TREE_FORMAT;
    leafEncoding: typeof LEAF_ENCODING;
    leaf: [string, string];
    proof: string[];
    root: string;
  };
  anchor: AnchorFacts;
}

export interface ReceiptInputs {
  metadata: EvidenceMetadata;
  metadataSha256: Sha256Hex;
  leaf: [string, string];
  proof: string[];
  root: string;
  anchor: AnchorFacts;
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
  };
}
