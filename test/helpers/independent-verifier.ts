/**
 * A verifier written apart from the service, as a court's expert would write one, using only
 * @openzeppelin/merkle-tree, an IPFS importer (ipfs-unixfs-importer with Kubo's settings) and plain
 * JSON-RPC calls over fetch. It imports nothing from src/: if the service and this disagree, a test fails.
 */
import { createHash } from "node:crypto";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { importer } from "ipfs-unixfs-importer";
import { fixedSize } from "ipfs-unixfs-importer/chunker";
import { balanced } from "ipfs-unixfs-importer/layout";
import canonicalize from "canonicalize";
import { AbiCoder, id as keccakId } from "ethers";

export interface VerifiedTime {
  timestamp: number;
  blockNumber: number;
  /** The registry's VERSION(), "1" for a registry without one. */
  registryVersion: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Receipt = any;

async function rpc(url: string, method: string, params: unknown[]): Promise<any> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: any; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export async function cidOf(bytes: Uint8Array): Promise<string> {
  const blocks = new Map<string, Uint8Array>();
  const blockstore = {
    async put(cid: { toString(): string }, block: Uint8Array) {
      blocks.set(cid.toString(), block);
      return cid;
    },
  };
  let last: { cid: { toString(): string } } | undefined;
  for await (const entry of importer([{ content: bytes }], blockstore as never, {
    cidVersion: 1,
    rawLeaves: true,
    chunker: fixedSize({ chunkSize: 262144 }),
    layout: balanced({ maxChildrenPerNode: 174 }),
  })) {
    last = entry;
  }
  return last!.cid.toString();
}

/** Throws with the reason when any check fails; returns the proven time otherwise. */
export async function verifyIndependently(receipt: Receipt, file: Uint8Array, rpcUrl: string): Promise<VerifiedTime> {
  const sha256 = createHash("sha256").update(file).digest("hex");
  if (sha256 !== receipt.evidence.sha256) throw new Error("file sha256 does not match the receipt");
  if (file.length !== receipt.evidence.size) throw new Error("file size does not match the receipt");
  if ((await cidOf(file)) !== receipt.evidence.cid) throw new Error("file CID does not match the receipt");
  const metadataSha256 = createHash("sha256").update(canonicalize(receipt.metadata)!).digest("hex");
  if (metadataSha256 !== receipt.evidence.metadataSha256) throw new Error("metadata hash does not match");
  const leaf = ["0x" + sha256, "0x" + metadataSha256];
  if (JSON.stringify(leaf) !== JSON.stringify(receipt.merkle.leaf)) throw new Error("leaf does not match");
  if (!StandardMerkleTree.verify(receipt.merkle.root, ["bytes32", "bytes32"], leaf, receipt.merkle.proof)) {
    throw new Error("Merkle proof does not lead to the root");
  }

  if (Number(await rpc(rpcUrl, "eth_chainId", [])) !== receipt.anchor.chainId) throw new Error("wrong chain");
  const coder = AbiCoder.defaultAbiCoder();
  const call = (signature: string, types: string[], values: unknown[]) =>
    rpc(rpcUrl, "eth_call", [
      { to: receipt.anchor.registry, data: keccakId(signature).slice(0, 10) + coder.encode(types, values).slice(2) },
      "latest",
    ]);
  const [timestamp, blockNumber] = coder.decode(
    ["uint64", "uint64"],
    (await call("anchorOf(bytes32)", ["bytes32"], [receipt.merkle.root])).slice(0, 130),
  );
  if (timestamp === 0n) throw new Error("root is not anchored");
  if (Number(timestamp) !== receipt.anchor.timestamp || Number(blockNumber) !== receipt.anchor.blockNumber) {
    throw new Error("anchor time or block differs from the receipt");
  }
  const block = await rpc(rpcUrl, "eth_getBlockByNumber", ["0x" + Number(blockNumber).toString(16), false]);
  if (block.hash !== receipt.anchor.blockHash || Number(block.timestamp) !== Number(timestamp)) {
    throw new Error("block hash or time differs from the receipt");
  }
  const txReceipt = await rpc(rpcUrl, "eth_getTransactionReceipt", [receipt.anchor.txHash]);
  if (txReceipt?.status !== "0x1" || Number(txReceipt.blockNumber) !== Number(blockNumber)) {
    throw new Error("anchor transaction not mined successfully in that block");
  }
  // docs/receipt.md step 6: verifyItem on a version-2 registry. A version-1 registry has no VERSION
  // (the call reverts) and no verifyItem; there verify only proves a node, so it is given the leaf
  // computed above from the item's hashes, never one read from the receipt.
  const registryVersion = await call("VERSION()", [], []).then(
    (data: string) => coder.decode(["string"], data)[0] as string,
    (error: Error) => {
      if (/revert/i.test(error.message)) return "1";
      throw error;
    },
  );
  const [verified] = coder.decode(
    ["uint64"],
    registryVersion === "1"
      ? await call(
          "verify(bytes32,bytes32,bytes32[])",
          ["bytes32", "bytes32", "bytes32[]"],
          [receipt.merkle.root, StandardMerkleTree.of([leaf], ["bytes32", "bytes32"]).leafHash(leaf), receipt.merkle.proof],
        )
      : await call(
          "verifyItem(bytes32,bytes32,bytes32,bytes32[])",
          ["bytes32", "bytes32", "bytes32", "bytes32[]"],
          [receipt.merkle.root, leaf[0], leaf[1], receipt.merkle.proof],
        ),
  );
  if (verified !== timestamp) throw new Error(`registry (version ${registryVersion}) does not confirm the item`);
  return { timestamp: Number(timestamp), blockNumber: Number(blockNumber), registryVersion };
}
