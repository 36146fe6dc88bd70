/**
 * receipt → verify: every check a court's expert would make, each reported on its own with why it
 * passed or failed, then a verdict that names the earliest proven time and every source of it. Used by
 * the `evidence` CLI, by POST /v1/verify (and so the verification page) and by the certificate. Trusts
 * nothing in the receipt: each value is recomputed, read from the chain, or checked against a TSA's CA.
 *
 *   the file       its SHA-256, size and CID against the receipt
 *   the receipt    metadata hash, Merkle leaf and proof; the anchor's time against the reception time
 *   the chain      verify-chain.ts: which chain the endpoint is, the registry, anchor, block, transaction
 *   time-stamps    verify-timestamps.ts: each RFC 3161 token, on its own, against the root
 */
import { anchorNoLaterThan, anchorPrecision, chainInfo, DEVELOPMENT_CHAIN_WARNING, type ChainInfo } from "../domain/chains.ts";
import { canonicalJsonSha256 } from "../domain/canonical-json.ts";
import type { FileFacts } from "../domain/content-id.ts";
import { verifyMerkleProof } from "../domain/merkle-batch.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import type { ChainReader } from "../ports/chain-reader.ts";

export type { Check, CheckStatus, ProvenTime, TimeTrust, Verification } from "../domain/verification.ts";
import { checkChain, CHAIN_CHECKS } from "./verify-chain.ts";
import { iso, itemLeaf, receivedAt, type AddCheck, type Check, type ProvenTime, type Verification } from "../domain/verification.ts";
import { checkTimestamps } from "./verify-timestamps.ts";

export interface VerifyInput {
  receipt: EvidenceReceipt;
  /** Facts of the file the receipt is about, if the verifier has it. */
  file?: FileFacts;
  /**
   * JSON-RPC endpoints of the receipt's chain: the first is checked in full, the others must agree on
   * the anchoring block. None: the chain checks are skipped.
   */
  chains?: readonly ChainReader[];
  /** PEM certificates of the CAs whose TSAs are trusted. None: tokens are checked but prove no time. */
  tsaTrustAnchors?: readonly string[];
  /** Chain ids to treat as development chains, beyond 31337 and 1337. */
  developmentChainIds?: readonly number[];
}

export async function verifyReceipt(input: VerifyInput): Promise<Verification> {
  const { receipt: r, file } = input;
  const chains = input.chains ?? [];
  const checks: Check[] = [];
  const add: AddCheck = (check) => checks.push(check);
  const chain = chainInfo(r.anchor.chainId, input.developmentChainIds);

  checkFile(r, file, add);
  checkReceipt(r, add);
  checkReceptionBeforeAnchor(r, chain, add);

  // The chain -------------------------------------------------------------------------------------------
  let anchorConfirmed = false;
  if (chains.length === 0) {
    for (const [id, label] of CHAIN_CHECKS) add({ id, label, status: "skip", detail: "no RPC endpoint given: the anchor was not checked" });
  } else {
    anchorConfirmed = await checkChain(r, chain, chains, add);
    // A read that failed midway (chain.error) leaves the later checks unmade: say so.
    for (const [id, label] of CHAIN_CHECKS) {
      if (!checks.some((c) => c.id === id)) add({ id, label, status: "skip", detail: "not checked: reading the chain failed" });
    }
  }

  // The time-stamps ------------------------------------------------------------------------------------
  const stamped = await checkTimestamps(r, input.tsaTrustAnchors ?? [], add);

  const times: ProvenTime[] = [...stamped];
  if (anchorConfirmed) {
    times.push({
      source: "anchor",
      by: `block ${r.anchor.blockNumber} of ${chain.name} (chain id ${chain.chainId}), block time ${iso(r.anchor.timestamp)}`,
      noLaterThan: anchorNoLaterThan(chain, r.anchor.timestamp).toISOString(),
      precision: anchorPrecision(chain),
      trusted: chain.trust === "public",
    });
  }
  times.sort((a, b) => a.noLaterThan.localeCompare(b.noLaterThan));

  const failed = checks.filter((c) => c.status === "fail");
  const verified = failed.length === 0 && times.length > 0;
  const chainReachable = chains.length ? !checks.some((c) => c.unreachable) : null;
  const anchoredAt = anchorConfirmed
    ? {
        iso: iso(r.anchor.timestamp),
        timestamp: r.anchor.timestamp,
        blockNumber: r.anchor.blockNumber,
        chainId: r.anchor.chainId,
        noLaterThan: anchorNoLaterThan(chain, r.anchor.timestamp).toISOString(),
      }
    : undefined;
  return {
    verified,
    trust: chain.trust,
    chain: { chainId: chain.chainId, name: chain.name, trust: chain.trust },
    checks,
    chainReachable,
    anchoredAt,
    times,
    summary: summarize({ r, file, chain, failed, times, chainGiven: chains.length > 0, checks }),
  };
}

function checkFile(r: EvidenceReceipt, file: FileFacts | undefined, add: AddCheck) {
  const e = r.evidence;
  if (!file) {
    for (const [id, label] of [
      ["file.sha256", "file SHA-256"],
      ["file.size", "file size"],
      ["file.cid", "file CID"],
    ] as const) {
      add({ id, label, status: "skip", detail: "no file given: only the receipt is checked" });
    }
    return;
  }
  const compare = (id: string, label: string, same: boolean, ok: string, wrong: string) =>
    add({ id, label, status: same ? "pass" : "fail", detail: same ? ok : wrong });
  compare(
    "file.sha256",
    "file SHA-256",
    file.sha256 === e.sha256,
    e.sha256,
    `the file's SHA-256 is ${file.sha256}; the receipt says ${e.sha256}`,
  );
  compare("file.size", "file size", file.size === e.size, `${e.size} bytes`, `the file has ${file.size} bytes; the receipt says ${e.size}`);
  compare(
    "file.cid",
    "file CID",
    file.cid === e.cid,
    `${e.cid} (ipfs add --cid-version=1)`,
    `the file's CID is ${file.cid}; the receipt says ${e.cid}`,
  );
}

function checkReceipt(r: EvidenceReceipt, add: AddCheck) {
  const e = r.evidence;
  const metadataSha256 = canonicalJsonSha256(r.metadata);
  const mismatched = (["id", "kind", "sha256", "size", "mediaType", "cid"] as const).filter((k) => r.metadata[k] !== e[k]);
  const metadata = { id: "metadata.hash", label: "metadata hash" };
  if (metadataSha256 !== e.metadataSha256) {
    add({
      ...metadata,
      status: "fail",
      detail: `the metadata hashes to ${metadataSha256} (RFC 8785); the receipt says ${e.metadataSha256}`,
    });
  } else if (mismatched.length) {
    add({ ...metadata, status: "fail", detail: `the metadata's ${mismatched.join(", ")} differ from the evidence section` });
  } else {
    add({ ...metadata, status: "pass", detail: `${metadataSha256} (RFC 8785 canonical JSON)` });
  }
  const leaf = itemLeaf(r);
  const leafMatches = r.merkle.leaf.every((v, i) => v.toLowerCase() === leaf[i]);
  add({
    id: "merkle.leaf",
    label: "Merkle leaf",
    status: leafMatches ? "pass" : "fail",
    detail: leafMatches ? "[content SHA-256, metadata SHA-256]" : `the leaf is not [0x${e.sha256}, 0x${e.metadataSha256}]`,
  });
  const proofOk = verifyMerkleProof(r.merkle.root, leaf, r.merkle.proof);
  const steps = `${r.merkle.proof.length} step${r.merkle.proof.length === 1 ? "" : "s"}`;
  add({
    id: "merkle.proof",
    label: "Merkle proof",
    status: proofOk ? "pass" : "fail",
    detail: proofOk
      ? `${steps} to root ${r.merkle.root} (OpenZeppelin StandardMerkleTree)`
      : `the proof does not lead from this leaf to root ${r.merkle.root}`,
  });
}

/**
 * The service received the file, then batched and anchored it: an anchor whose last proven instant comes
 * before `receivedAt` is impossible for a genuine receipt (a back-dated chain, or an edited receipt).
 */
function checkReceptionBeforeAnchor(r: EvidenceReceipt, chain: ChainInfo, add: AddCheck) {
  const base = { id: "time.anchor", label: "anchor after reception" };
  const received = receivedAt(r);
  if (!received) {
    add({ ...base, status: "fail", detail: `metadata.receivedAt (${JSON.stringify(r.metadata.receivedAt)}) is not an ISO 8601 time` });
    return;
  }
  const bound = anchorNoLaterThan(chain, r.anchor.timestamp);
  const facts = `block time ${iso(r.anchor.timestamp)}, so no later than ${bound.toISOString()} (${anchorPrecision(chain)}); received ${received.toISOString()}`;
  add(
    bound.getTime() >= received.getTime()
      ? { ...base, status: "pass", detail: facts }
      : { ...base, status: "fail", detail: `the anchor precedes the service's reception of the file: ${facts}` },
  );
}

function summarize(s: {
  r: EvidenceReceipt;
  file: FileFacts | undefined;
  chain: ChainInfo;
  failed: Check[];
  times: ProvenTime[];
  chainGiven: boolean;
  checks: Check[];
}): string {
  const { r, chain, failed, times } = s;
  const wrong = failed.filter((c) => !c.unreachable);
  const cut = failed.length > wrong.length;
  if (wrong.length) return `NOT VERIFIED: ${wrong.map((c) => c.label).join(", ")} failed.${cut ? " The chain could not be read." : ""}`;
  const pending = r.timestampsPending?.length
    ? ` Time-stamps still pending when this receipt was made: ${r.timestampsPending.join(", ")} (fetch the receipt again).`
    : "";
  const what = s.file ? "This file" : `A file with SHA-256 ${r.evidence.sha256}`;
  const trusted = times.filter((t) => t.trusted);
  const development = chain.trust === "development" ? ` The anchor is on a ${DEVELOPMENT_CHAIN_WARNING}.` : "";
  const unknown =
    chain.trust === "unknown"
      ? ` The anchor is on chain ${chain.chainId}, which this verifier does not know: its identity was not checked.`
      : "";
  if (cut) {
    // verified is false (a check could not be made): the verdict says so first, whatever else holds.
    const stamped = trusted.length
      ? ` The time-stamp alone proves existence no later than ${trusted[0]!.noLaterThan} (${trusted[0]!.by}).`
      : "";
    return `NOT VERIFIED: the chain could not be read, so the anchor is not proven; nothing checked was found wrong.${stamped} Try again, or another RPC endpoint of chain ${r.anchor.chainId}.${pending}`;
  }
  const offline = s.chainGiven ? "" : " The chain anchor was not checked (offline).";
  const finality = s.checks.find((c) => c.id === "chain.finality" && c.status === "warn");
  const shallow = finality ? ` Not final yet: ${finality.detail}.` : "";
  if (trusted.length) {
    const [first, ...rest] = trusted;
    const also = [...rest, ...times.filter((t) => !t.trusted)].map(
      (t) => ` Also: no later than ${t.noLaterThan} by ${t.by}${t.trusted ? "" : " (not trusted)"}.`,
    );
    return `VERIFIED: ${what} existed no later than ${first!.noLaterThan} (${first!.by}; ${first!.precision}).${also.join("")}${development}${unknown}${shallow}${offline}${pending}`;
  }
  if (times.length) {
    const t = times[0]!;
    const label = chain.trust === "development" ? "VERIFIED ON A DEVELOPMENT CHAIN ONLY" : "VERIFIED ON AN UNKNOWN CHAIN ONLY";
    const why =
      chain.trust === "development"
        ? `${DEVELOPMENT_CHAIN_WARNING}: anyone can run chain ${chain.chainId} with any history and any clock.`
        : `chain ${chain.chainId} is not a public chain this verifier knows, so that this endpoint serves the chain the receipt names, and who can rewrite it, were not checked.`;
    return `${label} — ${why} The anchor says ${s.file ? "this file" : `a file with SHA-256 ${r.evidence.sha256}`} existed no later than ${t.noLaterThan} (${t.by}; ${t.precision}).${pending}`;
  }
  if (!s.chainGiven) {
    return `The file, metadata and Merkle proof check out, but the anchor was not checked on the chain${r.timestamps?.length ? " and no time-stamp was proven" : ""}: no time is proven.${pending}`;
  }
  return `NOT VERIFIED: no time is proven.${pending}`;
}
