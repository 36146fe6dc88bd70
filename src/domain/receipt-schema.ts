/**
 * The shape of an `evidence-receipt/v1` or `/v2`, checked before any verification: a receipt from elsewhere is
 * untrusted input, and a malformed one is "unreadable", not "failed".
 */
// A namespace import: the bundle's verifiers (scripts/build-verifier.ts) then carry only the parts of zod used.
import * as z from "zod";
import { illFormedStringPath, MAX_JSON_DEPTH, nestedDeeperThan } from "./canonical-json.ts";
import { EVIDENCE_KINDS } from "./evidence.ts";
import { RECEIPT_VERSIONS, type EvidenceReceipt } from "./receipt.ts";

export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex characters");
export const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be 0x and 64 hex characters");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x address");
const uint = z.number().int().nonnegative();

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64")
  .max(64 * 1024);

const common = {
  evidence: z.object({
    id: z.string().min(1),
    kind: z.enum(EVIDENCE_KINDS),
    sha256: sha256Hex,
    size: uint,
    mediaType: z.string().min(1),
    cid: z.string().min(1),
    metadataSha256: sha256Hex,
  }),
  metadata: z.record(z.string(), z.unknown()),
  merkle: z.object({
    format: z.literal("openzeppelin-standard-v1"),
    leafEncoding: z.tuple([z.literal("bytes32"), z.literal("bytes32")]),
    leaf: z.tuple([bytes32, bytes32]),
    proof: z.array(bytes32).max(256),
    root: bytes32,
  }),
};
const anchor = {
  chainId: z.number().int().positive(),
  registry: address,
  txHash: bytes32,
  blockNumber: uint,
  blockHash: bytes32,
  timestamp: uint,
};

export const ReceiptV1Schema = z.object({
  version: z.literal("evidence-receipt/v1"),
  ...common,
  anchor: z.object(anchor),
});

export const TimestampProofSchema = z.object({
  type: z.literal("rfc3161"),
  // Printed to terminals and into documents: a URL, with no control, space or bidirectional characters.
  tsa: z
    .string()
    .max(2000)
    .regex(/^https?:\/\/[^\s\p{Cc}\p{Cf}]+$/u, "must be the TSA's http(s) URL"),
  genTime: z.string().min(1).max(64),
  serialNumber: z.string().regex(/^[0-9a-f]{1,80}$/, "must be lowercase hex"),
  token: base64,
});

/** An anchor as recorded since v2 (AnchorFacts): with the registry's version. */
export const AnchorFactsSchema = z.object({ ...anchor, registryVersion: z.string().regex(/^[0-9]{1,6}$/, "must be a version number") });

export const ReceiptV2Schema = z.object({
  version: z.literal("evidence-receipt/v2"),
  ...common,
  anchor: AnchorFactsSchema,
  timestamps: z.array(TimestampProofSchema).max(8),
  timestampsPending: z
    .array(
      z
        .string()
        .max(2000)
        .regex(/^https?:\/\/[^\s\p{Cc}\p{Cf}]+$/u, "must be the TSA's http(s) URL"),
    )
    .max(8),
});

export const ReceiptSchema = z.discriminatedUnion("version", [ReceiptV2Schema, ReceiptV1Schema]);

/** The receipt, or a message saying what is wrong with it. */
export function parseReceipt(value: unknown): { receipt: EvidenceReceipt } | { error: string } {
  if (nestedDeeperThan(value)) return { error: `it nests deeper than ${MAX_JSON_DEPTH} levels` };
  const illFormed = illFormedStringPath(value);
  if (illFormed) return { error: `${illFormed}: holds invalid Unicode (a lone surrogate)` };
  const version = (value as { version?: unknown } | null)?.version;
  if (!RECEIPT_VERSIONS.includes(version as never)) {
    return { error: `version: must be ${RECEIPT_VERSIONS.map((v) => JSON.stringify(v)).join(" or ")}` };
  }
  const result = ReceiptSchema.safeParse(value);
  if (result.success) return { receipt: result.data as unknown as EvidenceReceipt };
  const issue = result.error.issues[0]!;
  return { error: `${issue.path.join(".") || "receipt"}: ${issue.message}` };
}
