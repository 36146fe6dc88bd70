/**
 * receipt → verify: every check a court's expert would make, each reported on its own with why it
 * passed or failed. Used by the `evidence` CLI, by POST /v1/verify and (its offline half) by the
 * verification page. Trusts nothing in the receipt: each value is recomputed or read from the chain.
 */
import { canonicalJsonSha256 } from "../domain/canonical-json.ts";
import type { FileFacts } from "../domain/content-id.ts";
import { LEAF_ENCODING, verifyMerkleProof } from "../domain/merkle-batch.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { ChainReader } from "../ports/chain-reader.ts";
import { Errors, isAppError } from "../errors.ts";

export type CheckStatus = "pass" | "fail" | "skip";

export interface Check {
  /** Stable: scripts may look for it. */
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  /**
   * Set on a failed check that could not be made because the chain could not be read (the endpoint
   * was down, refused, silent past the deadline or answered something that is not JSON-RPC): nothing
   * was found wrong with the evidence. Absent on every other check.
   */
  unreachable?: true;
}

export interface Verification {
  /** No check failed and the chain confirmed the anchor (file checks are skipped when no file was given). */
  verified: boolean;
  checks: Check[];
  /**
   * false when the chain could not be read (the check that hit it says `unreachable: true`): try again
   * or another endpoint. true when the endpoint answered every call made; null when no chain was given.
   */
  chainReachable: boolean | null;
  /** The proven time, when the chain confirmed it. */
  anchoredAt?: { iso: string; timestamp: number; blockNumber: number; chainId: number };
  summary: string;
}

export interface VerifyInput {
  receipt: EvidenceReceipt;
  /** Facts of the file the receipt is about, if the verifier has it. */
  file?: FileFacts;
  /** Any JSON-RPC endpoint of the receipt's chain; without one the chain checks are skipped. */
  chain?: ChainReader;
}

export async function verifyReceipt(input: VerifyInput): Promise<Verification> {
  const { receipt: r, file, chain } = input;
  const checks: Check[] = [];
  const add: AddCheck = (id, label, status, detail, unreachable) =>
    checks.push(unreachable ? { id, label, status, detail, unreachable } : { id, label, status, detail });
  const e = r.evidence;

  // The file ----------------------------------------------------------------------------------------
  if (file) {
    add(
      "file.sha256",
      "file SHA-256",
      file.sha256 === e.sha256 ? "pass" : "fail",
      file.sha256 === e.sha256 ? e.sha256 : `the file's SHA-256 is ${file.sha256}; the receipt says ${e.sha256}`,
    );
    add(
      "file.size",
      "file size",
      file.size === e.size ? "pass" : "fail",
      file.size === e.size ? `${e.size} bytes` : `the file has ${file.size} bytes; the receipt says ${e.size}`,
    );
    add(
      "file.cid",
      "file CID",
      file.cid === e.cid ? "pass" : "fail",
      file.cid === e.cid ? `${e.cid} (ipfs add --cid-version=1)` : `the file's CID is ${file.cid}; the receipt says ${e.cid}`,
    );
  } else {
    for (const [id, label] of [
      ["file.sha256", "file SHA-256"],
      ["file.size", "file size"],
      ["file.cid", "file CID"],
    ]) {
      add(id!, label!, "skip", "no file given: only the receipt is checked");
    }
  }

  // The metadata and the leaf -------------------------------------------------------------------------
  const metadataSha256 = canonicalJsonSha256(r.metadata);
  const mismatched = (["id", "kind", "sha256", "size", "mediaType", "cid"] as const).filter((k) => r.metadata[k] !== e[k]);
  if (metadataSha256 !== e.metadataSha256) {
    add(
      "metadata.hash",
      "metadata hash",
      "fail",
      `the metadata hashes to ${metadataSha256} (RFC 8785); the receipt says ${e.metadataSha256}`,
    );
  } else if (mismatched.length) {
    add("metadata.hash", "metadata hash", "fail", `the metadata's ${mismatched.join(", ")} differ from the evidence section`);
  } else {
    add("metadata.hash", "metadata hash", "pass", `${metadataSha256} (RFC 8785 canonical JSON)`);
  }
  const leaf: [string, string] = [`0x${e.sha256}`, `0x${e.metadataSha256}`];
  const leafMatches = r.merkle.leaf.every((v, i) => v.toLowerCase() === leaf[i]);
  add(
    "merkle.leaf",
    "Merkle leaf",
    leafMatches ? "pass" : "fail",
    leafMatches ? "[content SHA-256, metadata SHA-256]" : `the leaf is not [0x${e.sha256}, 0x${e.metadataSha256}]`,
  );
  const proofOk = verifyMerkleProof(r.merkle.root, leaf, r.merkle.proof);
  add(
    "merkle.proof",
    "Merkle proof",
    proofOk ? "pass" : "fail",
    proofOk
      ? `${r.merkle.proof.length} step${r.merkle.proof.length === 1 ? "" : "s"} to root ${r.merkle.root} (OpenZeppelin StandardMerkleTree)`
      : `the proof does not lead from this leaf to root ${r.merkle.root}`,
  );

  // The chain -------------------------------------------------------------------------------------------
  let anchoredAt: Verification["anchoredAt"];
  if (!chain) {
    for (const [id, label] of CHAIN_CHECKS) add(id, label, "skip", "no RPC endpoint given: the anchor was not checked");
  } else {
    anchoredAt = await checkChain(r, leaf, chain, add);
    // A read that failed midway (chain.error) leaves the later checks unmade: say so.
    for (const [id, label] of CHAIN_CHECKS) {
      if (!checks.some((c) => c.id === id)) add(id, label, "skip", "not checked: reading the chain failed");
    }
  }

  const failed = checks.filter((c) => c.status === "fail");
  const chainChecked = !!chain && checks.filter((c) => c.id.startsWith("chain.")).every((c) => c.status === "pass");
  const verified = failed.length === 0 && chainChecked;
  const chainReachable = chain ? !checks.some((c) => c.unreachable) : null;
  return { verified, checks, chainReachable, anchoredAt, summary: summarize(r, file, failed, anchoredAt, !!chain) };
}

type AddCheck = (id: string, label: string, status: CheckStatus, detail: string, unreachable?: true) => void;

const CHAIN_CHECKS: [string, string][] = [
  ["chain.id", "chain id"],
  ["chain.anchor", "anchor"],
  ["chain.block", "block"],
  ["chain.transaction", "transaction"],
  ["chain.verify", "registry verify"],
];

async function checkChain(
  r: EvidenceReceipt,
  leaf: [string, string],
  chain: ChainReader,
  add: AddCheck,
): Promise<Verification["anchoredAt"]> {
  const a = r.anchor;
  const skipRest = (from: number, why: string) => {
    for (const [id, label] of CHAIN_CHECKS.slice(from)) add(id, label, "skip", why);
  };
  let chainId: number;
  try {
    chainId = await chain.chainId();
  } catch (error) {
    add("chain.id", "chain id", "fail", `could not reach the RPC endpoint ${chain.endpoint}: ${reason(error)}`, unreachable(error));
    skipRest(1, "the chain could not be read");
    return undefined;
  }
  if (chainId !== a.chainId) {
    add("chain.id", "chain id", "fail", `the RPC endpoint serves chain ${chainId}; the receipt is for chain ${a.chainId}`);
    skipRest(1, "wrong chain");
    return undefined;
  }
  add("chain.id", "chain id", "pass", String(chainId));
  try {
    const anchor = await chain.anchorOf(a.registry, r.merkle.root);
    if (anchor.timestamp === 0) {
      add("chain.anchor", "anchor", "fail", `the registry ${a.registry} has no anchor for root ${r.merkle.root}`);
      skipRest(2, "the root is not anchored");
      return undefined;
    }
    const same = anchor.timestamp === a.timestamp && anchor.blockNumber === a.blockNumber;
    add(
      "chain.anchor",
      "anchor",
      same ? "pass" : "fail",
      same
        ? `anchorOf(root) = ${iso(anchor.timestamp)}, block ${anchor.blockNumber}`
        : `anchorOf(root) = ${iso(anchor.timestamp)}, block ${anchor.blockNumber}; the receipt says ${iso(a.timestamp)}, block ${a.blockNumber}`,
    );

    const block = await chain.block(a.blockNumber);
    if (!block) add("chain.block", "block", "fail", `the chain has no block ${a.blockNumber}`);
    else if (block.hash !== a.blockHash)
      add("chain.block", "block", "fail", `block ${a.blockNumber} has hash ${block.hash}; the receipt says ${a.blockHash}`);
    else if (block.timestamp !== anchor.timestamp)
      add("chain.block", "block", "fail", `block ${a.blockNumber}'s time is ${iso(block.timestamp)}, not the anchor's`);
    else add("chain.block", "block", "pass", `block ${a.blockNumber}, hash ${block.hash}, time ${iso(block.timestamp)}`);

    const tx = await chain.transaction(a.txHash);
    if (!tx) add("chain.transaction", "transaction", "fail", `transaction ${a.txHash} is not on this chain`);
    else if (!tx.success) add("chain.transaction", "transaction", "fail", `transaction ${a.txHash} reverted`);
    else if (tx.blockNumber !== a.blockNumber || tx.blockHash !== a.blockHash)
      add("chain.transaction", "transaction", "fail", `transaction ${a.txHash} is in block ${tx.blockNumber}, not ${a.blockNumber}`);
    else if (tx.to?.toLowerCase() !== a.registry.toLowerCase())
      add("chain.transaction", "transaction", "fail", `transaction ${a.txHash} was not sent to the registry`);
    else add("chain.transaction", "transaction", "pass", `${a.txHash} mined in block ${tx.blockNumber}, succeeded`);

    const leafHash = StandardMerkleTree.of([leaf], [...LEAF_ENCODING]).leafHash(leaf);
    const verified = await chain.registryVerify(a.registry, r.merkle.root, leafHash, r.merkle.proof);
    add(
      "chain.verify",
      "registry verify",
      verified === anchor.timestamp && verified !== 0 ? "pass" : "fail",
      verified
        ? `verify(root, leaf, proof) = ${verified}`
        : "the registry's verify(root, leaf, proof) returned 0: it does not confirm the inclusion",
    );
    return same ? { iso: iso(anchor.timestamp), timestamp: anchor.timestamp, blockNumber: anchor.blockNumber, chainId } : undefined;
  } catch (error) {
    add("chain.error", "chain", "fail", `reading the chain failed: ${reason(error)}`, unreachable(error));
    return undefined;
  }
}

function summarize(
  r: EvidenceReceipt,
  file: FileFacts | undefined,
  failed: Check[],
  anchoredAt: Verification["anchoredAt"],
  chainGiven: boolean,
): string {
  const wrong = failed.filter((c) => !c.unreachable);
  const cut = failed.length > wrong.length;
  if (wrong.length) return `NOT VERIFIED: ${wrong.map((c) => c.label).join(", ")} failed.${cut ? " The chain could not be read." : ""}`;
  if (cut) {
    return (
      `NOT VERIFIED: the chain could not be read, so the anchor is not proven; nothing checked was found wrong. ` +
      `Try again, or another RPC endpoint of chain ${r.anchor.chainId}.`
    );
  }
  if (!chainGiven) {
    return "The file, metadata and Merkle proof check out, but the anchor was not checked on the chain: no time is proven.";
  }
  const what = file ? "This file" : `A file with SHA-256 ${r.evidence.sha256}`;
  return `VERIFIED: ${what} existed no later than ${anchoredAt!.iso} (block ${anchoredAt!.blockNumber} of chain ${anchoredAt!.chainId}).`;
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** The endpoint failed us (the ChainReader says so with CHAIN_UNAVAILABLE), as opposed to answering. */
function unreachable(error: unknown): true | undefined {
  return isAppError(error, Errors.CHAIN_UNAVAILABLE) ? true : undefined;
}

function reason(error: unknown): string {
  if (isAppError(error, Errors.CHAIN_UNAVAILABLE)) return String(error.params.reason);
  const e = error as { shortMessage?: string; message?: string; cause?: { code?: string; message?: string } };
  const base = e.shortMessage ?? e.message ?? String(error);
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && !base.includes(cause) ? `${base} (${cause})` : base;
}
