/**
 * The chain's half of verifying a receipt: that the endpoint serves the chain the receipt names (a known
 * public chain is recognised by its block 0, not by a chain id anyone can choose), which registry the
 * anchor is in, then the anchor, its block and transaction, the registry's own inclusion check, how deep
 * the block is, and, given several endpoints, that they agree on the anchoring block.
 */
import { DEVELOPMENT_CHAIN_WARNING, type ChainInfo } from "../domain/chains.ts";
import { leafHashOf } from "../domain/merkle-batch.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import { Errors, isAppError } from "../errors.ts";
import type { ChainReader } from "../ports/chain-reader.ts";
import { iso, itemLeaf, type AddCheck, type Check } from "../domain/verification.ts";

export const CHAIN_CHECKS: readonly (readonly [string, string])[] = [
  ["chain.id", "chain id"],
  ["chain.identity", "chain identity"],
  ["chain.registry", "registry"],
  ["chain.anchor", "anchor"],
  ["chain.block", "block"],
  ["chain.transaction", "transaction"],
  ["chain.verify", "registry inclusion check"],
  ["chain.finality", "finality"],
];

/** Runs the chain checks; true when the chain confirmed the receipt's anchor (time and block). */
export async function checkChain(r: EvidenceReceipt, info: ChainInfo, endpoints: readonly ChainReader[], add: AddCheck): Promise<boolean> {
  const [chain, ...others] = endpoints as [ChainReader, ...ChainReader[]];
  const a = r.anchor;
  const made = new Set<string>();
  const check = (c: Check) => {
    made.add(c.id);
    add(c);
  };
  const skipRest = (why: string) => {
    for (const [id, label] of CHAIN_CHECKS) if (!made.has(id)) check({ id, label, status: "skip", detail: why });
  };
  const fail = (id: string, detail: string, error?: unknown) =>
    check({ id, label: label(id), status: "fail", detail, ...(unreachable(error) ? { unreachable: true as const } : {}) });
  const pass = (id: string, detail: string) => check({ id, label: label(id), status: "pass", detail });

  let chainId: number;
  try {
    chainId = await chain.chainId();
  } catch (error) {
    fail("chain.id", `could not reach the RPC endpoint ${chain.endpoint}: ${reason(error)}`, error);
    skipRest("the chain could not be read");
    return false;
  }
  if (chainId !== a.chainId) {
    fail("chain.id", `the RPC endpoint serves chain ${chainId}; the receipt is for chain ${a.chainId}`);
    skipRest("wrong chain");
    return false;
  }
  pass("chain.id", String(chainId));

  let confirmed = false;
  try {
    const genesis = await chain.genesisHash();
    if (info.trust === "public") {
      if (genesis !== info.genesisHash) {
        fail("chain.identity", `this endpoint is not ${info.name}: its block 0 is ${genesis}; ${info.name}'s is ${info.genesisHash}`);
        skipRest(`the endpoint is not ${info.name}`);
        return false;
      }
      if (info.notBefore !== undefined && a.timestamp < info.notBefore) {
        // An endpoint can lie about block 0; it cannot move the chain's birth.
        fail(
          "chain.identity",
          `this endpoint is not ${info.name}: it dates block ${a.blockNumber} to ${iso(a.timestamp)}, before ${info.name} existed (${iso(info.notBefore)})`,
        );
        skipRest(`the endpoint is not ${info.name}`);
        return false;
      }
      pass("chain.identity", `${info.name}: block 0 is ${genesis}`);
    } else if (info.trust === "development") {
      check({ id: "chain.identity", label: label("chain.identity"), status: "warn", detail: `${info.name}: ${DEVELOPMENT_CHAIN_WARNING}` });
    } else {
      check({
        id: "chain.identity",
        label: label("chain.identity"),
        status: "warn",
        detail: `chain ${chainId} is not a public chain this verifier knows (its block 0 here is ${genesis}): that this endpoint serves the chain the receipt was made on was not checked`,
      });
    }

    const version = await chain.registryVersion(a.registry);
    if (a.registryVersion !== undefined && a.registryVersion !== version) {
      const seen =
        version === "1" ? "answers as version 1 (it has no VERSION(): a first registry, or no contract at all)" : `is version ${version}`;
      fail("chain.registry", `the registry ${a.registry} ${seen}; the receipt says version ${a.registryVersion}`);
    } else {
      pass("chain.registry", `EvidenceRegistry version ${version} at ${a.registry}`);
    }

    const anchor = await chain.anchorOf(a.registry, r.merkle.root);
    if (anchor.timestamp === 0) {
      fail("chain.anchor", `the registry ${a.registry} has no anchor for root ${r.merkle.root}`);
      skipRest("the root is not anchored");
      return false;
    }
    confirmed = anchor.timestamp === a.timestamp && anchor.blockNumber === a.blockNumber;
    if (confirmed) pass("chain.anchor", `anchorOf(root) = ${iso(anchor.timestamp)}, block ${anchor.blockNumber}`);
    else
      fail(
        "chain.anchor",
        `anchorOf(root) = ${iso(anchor.timestamp)}, block ${anchor.blockNumber}; the receipt says ${iso(a.timestamp)}, block ${a.blockNumber}`,
      );

    const block = await chain.block(a.blockNumber);
    if (!block) fail("chain.block", `the chain has no block ${a.blockNumber}`);
    else if (block.hash !== a.blockHash)
      fail("chain.block", `block ${a.blockNumber} has hash ${block.hash}; the receipt says ${a.blockHash}`);
    else if (block.timestamp !== anchor.timestamp)
      fail("chain.block", `block ${a.blockNumber}'s time is ${iso(block.timestamp)}, not the anchor's`);
    else pass("chain.block", `block ${a.blockNumber}, hash ${block.hash}, time ${iso(block.timestamp)}`);

    const tx = await chain.transaction(a.txHash);
    if (!tx) fail("chain.transaction", `transaction ${a.txHash} is not on this chain`);
    else if (!tx.success) fail("chain.transaction", `transaction ${a.txHash} reverted`);
    else if (tx.blockNumber !== a.blockNumber || tx.blockHash !== a.blockHash)
      fail("chain.transaction", `transaction ${a.txHash} is in block ${tx.blockNumber}, not ${a.blockNumber}`);
    else if (tx.to?.toLowerCase() !== a.registry.toLowerCase())
      fail("chain.transaction", `transaction ${a.txHash} was not sent to the registry`);
    else pass("chain.transaction", `${a.txHash} mined in block ${tx.blockNumber}, succeeded`);

    await checkInclusion(r, chain, version, anchor.timestamp, check);
    await checkFinality(info, chain, a.blockNumber, check);
    if (others.length) await checkAgreement(r, chain, others, block?.hash ?? null, check);
    return confirmed && !!block && block.hash === a.blockHash;
  } catch (error) {
    fail("chain.error", `reading the chain failed: ${reason(error)}`, error);
    return false;
  }
}

/**
 * verifyItem (version 2) computes the item's leaf on chain, so only an item proves inclusion. Version 1
 * has only verify(root, leaf, proof), which an inner node of the tree also passes: the leaf handed to it
 * is computed here from the item's own hashes, never taken from the receipt.
 */
async function checkInclusion(r: EvidenceReceipt, chain: ChainReader, version: string, anchoredAt: number, check: (c: Check) => void) {
  const [content, metadata] = itemLeaf(r);
  const base = { id: "chain.verify", label: label("chain.verify") };
  if (Number(version) >= 2) {
    const time = await chain.registryVerifyItem(r.anchor.registry, r.merkle.root, content, metadata, r.merkle.proof);
    check(
      time === anchoredAt && time !== 0
        ? { ...base, status: "pass", detail: `verifyItem(root, content SHA-256, metadata SHA-256, proof) = ${time}` }
        : {
            ...base,
            status: "fail",
            detail: "the registry's verifyItem(root, content SHA-256, metadata SHA-256, proof) returned 0: it does not confirm the item",
          },
    );
    return;
  }
  const leafHash = leafHashOf([content, metadata]);
  const time = await chain.registryVerify(r.anchor.registry, r.merkle.root, leafHash, r.merkle.proof);
  check(
    time === anchoredAt && time !== 0
      ? {
          ...base,
          status: "pass",
          detail: `verify(root, leaf, proof) = ${time}, with the leaf computed here from the item's hashes (a version 1 registry)`,
        }
      : { ...base, status: "fail", detail: "the registry's verify(root, leaf, proof) returned 0: it does not confirm the inclusion" },
  );
}

async function checkFinality(info: ChainInfo, chain: ChainReader, blockNumber: number, check: (c: Check) => void) {
  const base = { id: "chain.finality", label: label("chain.finality") };
  if (!info.finalityDepth) {
    check({ ...base, status: "skip", detail: `no finality rule is known for ${info.name}` });
    return;
  }
  const depth = (await chain.blockNumber()) - blockNumber + 1;
  check(
    depth >= info.finalityDepth
      ? {
          ...base,
          status: "pass",
          detail: `block ${blockNumber} is ${depth} blocks deep (this verifier counts ${info.name} final at ${info.finalityDepth})`,
        }
      : {
          ...base,
          status: "warn",
          detail: `block ${blockNumber} is only ${depth} blocks deep; this verifier counts ${info.name} final at ${info.finalityDepth}: check again later`,
        },
  );
}

/** Other endpoints must serve the same chain and the same anchoring block: one endpoint's word is not enough. */
async function checkAgreement(
  r: EvidenceReceipt,
  first: ChainReader,
  others: readonly ChainReader[],
  blockHash: string | null,
  check: (c: Check) => void,
) {
  const base = { id: "chain.agreement", label: "endpoints agree" };
  const a = r.anchor;
  const expectedGenesis = await first.genesisHash();
  for (const other of others) {
    try {
      const [chainId, genesis, block] = await Promise.all([other.chainId(), other.genesisHash(), other.block(a.blockNumber)]);
      let problem: string | null =
        chainId !== a.chainId
          ? `serves chain ${chainId}`
          : genesis !== expectedGenesis
            ? `has block 0 ${genesis}, not ${expectedGenesis}`
            : block?.hash !== blockHash
              ? `has block ${a.blockNumber} ${block?.hash ?? "missing"}, not ${blockHash}`
              : null;
      if (!problem) {
        const anchor = await other.anchorOf(a.registry, r.merkle.root);
        if (anchor.timestamp !== a.timestamp || anchor.blockNumber !== a.blockNumber)
          problem = `says anchorOf(root) = ${anchor.timestamp}, block ${anchor.blockNumber}`;
      }
      if (problem) {
        check({ ...base, status: "fail", detail: `${other.endpoint} ${problem}; ${first.endpoint} disagrees` });
        return;
      }
    } catch (error) {
      check({
        ...base,
        status: "fail",
        detail: `could not read ${other.endpoint}: ${reason(error)}`,
        ...(unreachable(error) ? { unreachable: true as const } : {}),
      });
      return;
    }
  }
  check({
    ...base,
    status: "pass",
    detail: `${others.length + 1} endpoints agree on block ${a.blockNumber} (${blockHash}) and on the anchor`,
  });
}

function label(id: string): string {
  return CHAIN_CHECKS.find(([i]) => i === id)?.[1] ?? "chain";
}

/** The endpoint failed us (the ChainReader says so with CHAIN_UNAVAILABLE), as opposed to answering. */
function unreachable(error: unknown): boolean {
  return isAppError(error, Errors.CHAIN_UNAVAILABLE);
}

function reason(error: unknown): string {
  if (isAppError(error, Errors.CHAIN_UNAVAILABLE)) return String(error.params.reason);
  const e = error as { shortMessage?: string; message?: string; cause?: { code?: string; message?: string } };
  const base = e.shortMessage ?? e.message ?? String(error);
  const cause = e.cause?.code ?? e.cause?.message;
  return cause && !base.includes(cause) ? `${base} (${cause})` : base;
}
