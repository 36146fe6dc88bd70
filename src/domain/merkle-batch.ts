/**
 * A batch of evidence items as one OpenZeppelin StandardMerkleTree. Each leaf is
 * `[content sha256, metadata sha256]` encoded as `["bytes32","bytes32"]`; the tree double-hashes leaves
 * and sorts pairs, exactly as the registry's `verify` and OpenZeppelin's `MerkleProof` expect. A batch
 * may hold one more leaf of the same encoding that is not an item: the custody log's head
 * (custody-log.ts), anchored with the items.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { toBytes32, type Sha256Hex } from "./hashing.ts";

export const LEAF_ENCODING = ["bytes32", "bytes32"] as const;
export const TREE_FORMAT = "openzeppelin-standard-v1";

export interface BatchItem {
  id: string;
  sha256: Sha256Hex;
  metadataSha256: Sha256Hex;
}

export interface MerkleBatch {
  root: `0x${string}`;
  /** Per item id: its leaf values and the sibling hashes from the leaf up to the root. */
  proofs: Map<string, { leaf: [string, string]; leafHash: string; proof: string[] }>;
  /** The extra leaf's proof, when one was given. */
  extra?: { leaf: [string, string]; proof: string[] };
}

export function leafOf(item: Pick<BatchItem, "sha256" | "metadataSha256">): [string, string] {
  return [toBytes32(item.sha256), toBytes32(item.metadataSha256)];
}

/** The items' tree, with `extraLeaf` (the custody head's) as one more leaf after them. */
export function buildMerkleBatch(items: readonly BatchItem[], extraLeaf?: [string, string]): MerkleBatch {
  if (items.length === 0) throw new RangeError("a batch needs at least one item");
  const tree = StandardMerkleTree.of([...items.map(leafOf), ...(extraLeaf ? [extraLeaf] : [])], [...LEAF_ENCODING]);
  const proofs: MerkleBatch["proofs"] = new Map();
  let extra: MerkleBatch["extra"];
  for (const [i, leaf] of tree.entries()) {
    if (i === items.length) extra = { leaf, proof: tree.getProof(i) };
    else proofs.set(items[i]!.id, { leaf, leafHash: tree.leafHash(leaf), proof: tree.getProof(i) });
  }
  return { root: tree.root as `0x${string}`, proofs, ...(extra ? { extra } : {}) };
}

export function verifyMerkleProof(root: string, leaf: [string, string], proof: string[]): boolean {
  try {
    return StandardMerkleTree.verify(root, [...LEAF_ENCODING], leaf, proof);
  } catch {
    return false; // malformed hex in a receipt is a failed proof, not a crash
  }
}

/** The leaf hash of an item: keccak256(bytes.concat(keccak256(abi.encode(contentSha256, metadataSha256)))). */
export function leafHashOf(leaf: [string, string]): string {
  return StandardMerkleTree.of([leaf], [...LEAF_ENCODING]).leafHash(leaf);
}

/** One step up the tree: the node, its sibling from the proof, and their parent keccak256(smaller ‖ larger). */
export interface ProofStep {
  node: string;
  sibling: string;
  parent: string;
}

/** The proof walked from the item's leaf hash, step by step, as a person checks it: the last parent is the root. */
export function proofWalk(leafHash: string, proof: readonly string[]): ProofStep[] {
  const steps: ProofStep[] = [];
  let node = leafHash.toLowerCase();
  for (const raw of proof) {
    const sibling = raw.toLowerCase();
    // Equal-length lowercase hex compares as the unsigned numbers do.
    const [a, b] = node < sibling ? [node, sibling] : [sibling, node];
    const parent = `0x${Buffer.from(keccak_256(Buffer.from(a.slice(2) + b.slice(2), "hex"))).toString("hex")}`;
    steps.push({ node, sibling, parent });
    node = parent;
  }
  return steps;
}
