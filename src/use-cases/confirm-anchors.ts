/**
 * Anchors are checked against the chain, not taken from the index on trust: before a receipt is served,
 * and again, newest first, at start and every interval. A chain can lose its last blocks (the embedded
 * anvil killed before it saved its state) or reorganise them; an anchor it no longer has puts its items
 * back in the queue, to be anchored again, and their receipts go out of service until then.
 *
 * An anchor is held when the registry's anchorOf(root) gives the recorded time and block, and the
 * chain's block at that height has the recorded hash. It is lost when the registry has no anchor for
 * the root, or that block's hash changed. Any other disagreement is not a chain event: the index says
 * what the chain does not (an edited row), and it is refused as RECORD_INTEGRITY, never "repaired".
 */
import type { AnchorFacts } from "../domain/receipt.ts";
import { AppError, Errors } from "../errors.ts";
import type { ChainAnchor } from "../ports/chain-anchor.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { outboxEvents } from "./outbox-events.ts";

export interface AnchorCheckDeps {
  chain: Pick<ChainAnchor, "anchorOf" | "block">;
  index: Pick<IndexStore, "transaction" | "batches">;
  /** Roots confirmed on the chain, and what was confirmed (anchors are final: a confirmation holds). */
  confirmed: Map<string, string>;
  log: { error(fields: object, message: string): void };
}

export type AnchorState = "held" | "lost" | "disagrees";

const key = (a: AnchorFacts) => `${a.chainId}:${a.registry.toLowerCase()}:${a.blockNumber}:${a.blockHash}:${a.timestamp}`;

/**
 * What the chain says of a recorded anchor. Throws (CHAIN_UNAVAILABLE) when it cannot be asked. `fresh`
 * asks the chain even for an anchor confirmed before (the re-check: a chain can lose confirmed blocks).
 */
export async function anchorState(
  deps: AnchorCheckDeps,
  root: string,
  anchor: AnchorFacts,
  fresh = false,
): Promise<{ state: AnchorState; detail: string }> {
  if (!fresh && deps.confirmed.get(root) === key(anchor)) return { state: "held", detail: "confirmed before" };
  const onChain = await deps.chain.anchorOf(root);
  if (!onChain) return { state: "lost", detail: `the registry has no anchor for root ${root}` };
  if (onChain.timestamp !== anchor.timestamp || onChain.blockNumber !== anchor.blockNumber) {
    return {
      state: "disagrees",
      detail: `the registry anchored root ${root} at ${onChain.timestamp} in block ${onChain.blockNumber}; the index says ${anchor.timestamp}, block ${anchor.blockNumber}`,
    };
  }
  const block = await deps.chain.block(anchor.blockNumber);
  if (!block || block.hash !== anchor.blockHash) {
    return { state: "lost", detail: `block ${anchor.blockNumber} is now ${block?.hash ?? "missing"}, not ${anchor.blockHash}` };
  }
  deps.confirmed.set(root, key(anchor));
  return { state: "held", detail: `anchorOf(root) and block ${anchor.blockNumber} agree` };
}

/**
 * For serving a receipt: the anchor is held, or the item is re-queued (lost) and reads as not anchored,
 * or the record is refused (disagrees).
 */
export async function requireHeldAnchor(
  deps: AnchorCheckDeps,
  item: { id: string; batchId?: string; status: string },
  root: string,
  anchor: AnchorFacts,
): Promise<void> {
  const { state, detail } = await anchorState(deps, root, anchor);
  if (state === "held") return;
  if (state === "lost" && item.batchId) {
    await reopen(deps, item.batchId, root, detail);
    throw new AppError(Errors.EVIDENCE_NOT_ANCHORED, {
      id: item.id,
      status: "pending (its anchor was lost by the chain; it is queued again)",
    });
  }
  deps.log.error({ evidence: item.id, root, detail }, "RECORD INTEGRITY: a stored anchor disagrees with the chain");
  throw new AppError(Errors.RECORD_INTEGRITY, { id: item.id, reason: detail });
}

/**
 * Walks the recorded anchors from the newest back, re-queueing the lost ones, and stops at the first
 * that the chain still holds: a chain loses or reorganises a run of its latest blocks, never one in
 * the middle. Returns how many batches were re-queued. Throws when the chain cannot be asked.
 */
export async function recheckRecentAnchors(deps: AnchorCheckDeps, options: { max?: number; signal?: AbortSignal } = {}): Promise<number> {
  let reopened = 0;
  for (const { batchId, root, anchor } of await deps.index.batches.recentAnchors(options.max ?? 10_000)) {
    if (options.signal?.aborted) break;
    const { state, detail } = await anchorState(deps, root, anchor, true);
    if (state === "held") break;
    if (state === "disagrees") {
      deps.log.error({ batch: batchId, root, detail }, "RECORD INTEGRITY: a stored anchor disagrees with the chain");
      continue;
    }
    if (await reopen(deps, batchId, root, detail)) reopened++;
  }
  return reopened;
}

/** Gives the lost batch up and queues its items again (false if another instance did it first). */
async function reopen(deps: AnchorCheckDeps, batchId: string, root: string, detail: string): Promise<boolean> {
  const reason = `anchor lost from the chain: ${detail}`;
  const reopened = await deps.index.transaction(async (tx) => {
    if (!(await tx.batches.abandon(batchId, reason, ["anchored"]))) return false;
    const items = await tx.evidence.requeueLost(batchId);
    await tx.outbox.append(outboxEvents("evidence.anchor-lost", items, { root, reason }));
    return true;
  });
  deps.confirmed.delete(root);
  if (reopened) {
    deps.log.error(
      { batch: batchId, root, detail },
      "ANCHOR LOST: the chain no longer has this batch's anchor; its items are queued again, and receipts issued for them no longer verify",
    );
  }
  return reopened;
}
