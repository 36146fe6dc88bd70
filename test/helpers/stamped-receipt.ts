/**
 * A receipt made offline around one time-stamp token: one item received at a given time, a batch of
 * that item alone, a token of an in-memory TSA over its root, and an anchor that names Ethereum but was
 * never made (for checks that do not read the chain: --offline, or a verifier given no endpoint).
 */
import { canonicalJsonSha256 } from "../../src/domain/canonical-json.ts";
import { buildMerkleBatch } from "../../src/domain/merkle-batch.ts";
import { buildReceipt, type EvidenceReceipt } from "../../src/domain/receipt.ts";
import { verifyTimestampToken } from "../../src/domain/timestamp-token.ts";
import type { MemoryTsa, TokenOptions } from "./memory-tsa.ts";

const sha256 = "48f2d28f9834b2ff915588d2aeb08d9dc382c0461a32dac2e60b0c0549c21d4a";

/** A receipt of one item received at `receivedAt`, with one token of `tsa` over its root (offline: no chain). */
export async function receiptWithToken(
  tsa: MemoryTsa,
  receivedAt: Date,
  token: Omit<TokenOptions, "data">,
  stamp: { tsa?: string; id?: string } = {},
): Promise<EvidenceReceipt> {
  const metadata = {
    id: stamp.id ?? "ev_t",
    kind: "screenshot" as const,
    sha256,
    size: 70,
    mediaType: "image/png",
    cid: "bafkreici6lji7gbuwl7zcvmi2kxlbdm5yobmarq2glnmfzqlbqcutqq5ji",
    receivedAt: receivedAt.toISOString(),
  };
  const metadataSha256 = canonicalJsonSha256(metadata);
  const batch = buildMerkleBatch([{ id: metadata.id, sha256, metadataSha256 }]);
  const { leaf, proof } = batch.proofs.get(metadata.id)!;
  const der = await tsa.token({ data: Buffer.from(batch.root.slice(2), "hex"), ...token });
  const v = await verifyTimestampToken(der);
  const anchor = {
    chainId: 1,
    registry: `0x${"11".repeat(20)}`,
    txHash: `0x${"22".repeat(32)}`,
    blockNumber: 1,
    blockHash: `0x${"33".repeat(32)}`,
    timestamp: Math.ceil(receivedAt.getTime() / 1000) + 60,
    registryVersion: "2",
  };
  return buildReceipt({
    metadata,
    metadataSha256,
    leaf,
    proof,
    root: batch.root,
    anchor,
    timestamps: [
      {
        type: "rfc3161",
        tsa: stamp.tsa ?? "https://tsa.example/",
        // A token the verifier refuses to read still goes into the receipt, as a forger would put it.
        genTime: (v.genTime ?? token.genTime ?? receivedAt).toISOString(),
        serialNumber: v.serialNumber ?? "07",
        token: Buffer.from(der).toString("base64"),
      },
    ],
    timestampsPending: [],
  });
}
