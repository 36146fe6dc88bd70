/**
 * queue → Merkle batch → anchor tx → confirmations. One batch is in flight at a time, and every step
 * is recorded before the next is taken, so that a crash at any point is resumed, never repeated:
 *
 *   prepared  items assigned, root and proofs stored
 *   sent      the signed transaction stored (then broadcast; rebroadcasting it is harmless)
 *   anchored  mined, confirmed, and the anchor stored with every item
 *
 * Before anything is (re)sent, the registry is asked whether the root is already anchored
 * (`anchorOf`): the registry refuses a second anchor of a root, and we never try one.
 *
 * With several instances, one anchors at a time, under a lease (workers/anchor-worker.ts): every write
 * here first checks, in its transaction, that the lease's fencing token still holds, so an instance
 * that lost its lease (stalled, cut off) can record nothing, and so broadcasts nothing new.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { custodyHeadLeaf } from "../domain/custody-log.ts";
import { buildMerkleBatch } from "../domain/merkle-batch.ts";
import type { AnchorFacts } from "../domain/receipt.ts";
import { newId } from "../ids.ts";
import type { Batch } from "../ports/batch-repository.ts";
import type { ChainAnchor, MinedTx, OnChainAnchor } from "../ports/chain-anchor.ts";
import type { IndexStore, Repositories } from "../ports/index-store.ts";
import { outboxEvents } from "./outbox-events.ts";

export interface AnchorDeps {
  index: Pick<IndexStore, "transaction" | "batches" | "evidence" | "leases">;
  /** The TSAs (URLs) asked to time-stamp each batch's root (time-stamp-roots.ts does the asking). */
  timestampAuthorities?: readonly string[];
  chain: ChainAnchor;
  /** The lease this run anchors under (its fencing token), and how to keep it while a batch waits. */
  lease?: { name: string; token: number; renew(): Promise<boolean> };
  /** Blocks on top of and including the anchoring block before an anchor is final (viem's default: 1). */
  confirmations: number;
  maxBatch: number;
  /** How often a sent batch is checked while it waits for confirmations. */
  pollMs?: number;
  /** How long one run waits for a sent batch before leaving it to the next run. */
  waitMs?: number;
  /** Attempts (reverted transactions) before an item is marked failed. */
  maxAttempts?: number;
  /**
   * For a chain that saves its state to disk now and then (the embedded anvil): the latest block it has
   * saved (null: it cannot tell). A batch is recorded anchored only once its block is saved, or after
   * PERSIST_WAIT_MS at most, so that a receipt is not handed out for a block the chain may still lose.
   */
  persistedBlock?: () => number | null;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export type BatchProgress = "anchored" | "waiting" | "abandoned";

export interface AnchorRunResult {
  anchoredBatches: number;
  anchoredItems: number;
  /** True when a batch is still waiting (for mining or confirmations). */
  waiting: boolean;
}

/** Finishes the open batch, if any, then anchors new batches while full ones keep coming. */
export async function anchorPending(deps: AnchorDeps, options: { signal?: AbortSignal } = {}): Promise<AnchorRunResult> {
  const result: AnchorRunResult = { anchoredBatches: 0, anchoredItems: 0, waiting: false };
  for (const open of await deps.index.batches.open()) {
    const batch: Batch = { ...open, itemIds: await deps.index.evidence.itemsOf(open.id) };
    const progress = await driveBatch(deps, batch, options.signal);
    if (progress === "waiting") return { ...result, waiting: true };
    if (progress === "anchored") count(result, batch);
  }
  while (!options.signal?.aborted) {
    const batch = await formBatch(deps, deps.maxBatch);
    if (!batch) break;
    deps.log?.info({ batch: batch.id, root: batch.root, items: batch.itemIds.length }, "batch formed");
    const progress = await driveBatch(deps, batch, options.signal);
    if (progress === "waiting") return { ...result, waiting: true };
    if (progress === "anchored") count(result, batch);
    if (batch.itemIds.length < deps.maxBatch) break; // the queue is drained; the next run takes what comes
  }
  return result;
}

/**
 * The oldest pending items (up to `max`) as a new batch, its root and proofs stored: or null if none wait.
 * The custody log's head, if the log has entries, is one more leaf of the tree, recorded with the batch:
 * anchoring the root fixes the log up to that head.
 */
export async function formBatch(deps: Pick<AnchorDeps, "index" | "lease" | "timestampAuthorities">, max: number): Promise<Batch | null> {
  return write(deps, async (tx) => {
    const items = await tx.evidence.nextPending(max);
    if (items.length === 0) return null;
    const head = await tx.custody.head();
    const merkle = buildMerkleBatch(items, head.seq > 0 ? custodyHeadLeaf(head) : undefined);
    const batch: Batch = {
      id: newId.batch(),
      root: merkle.root,
      state: "prepared",
      itemIds: items.map((i) => i.id),
      createdAt: new Date().toISOString(),
      attempts: 0,
    };
    await tx.batches.create(batch);
    if (merkle.extra) await tx.custody.recordBatchHead(batch.id, { ...head, ...merkle.extra });
    // Asked for now, fetched by the time-stamp worker: a TSA never holds up the anchor.
    await tx.timestamps.request(batch.root, deps.timestampAuthorities ?? [], batch.createdAt);
    await tx.evidence.assignToBatch(
      batch.id,
      Object.fromEntries([...merkle.proofs].map(([id, p]) => [id, { leaf: p.leaf, proof: p.proof }])),
    );
    return batch;
  });
}

/** A write of the anchoring's, in one transaction, made only while the lease (if any) is still ours. */
function write<T>(deps: Pick<AnchorDeps, "index" | "lease">, work: (tx: Repositories) => Promise<T>): Promise<T> {
  return deps.index.transaction(async (tx) => {
    if (deps.lease) await tx.leases.assertHeld(deps.lease.name, deps.lease.token);
    return work(tx);
  });
}

function count(result: AnchorRunResult, batch: Batch) {
  result.anchoredBatches += 1;
  result.anchoredItems += batch.itemIds.length;
}

/** Advances a batch until it is anchored, abandoned, or the wait runs out. */
async function driveBatch(deps: AnchorDeps, batch: Batch, signal?: AbortSignal): Promise<BatchProgress> {
  const deadline = Date.now() + (deps.waitMs ?? 120_000);
  let current = batch;
  for (;;) {
    const { progress, batch: next } = await advanceBatch(deps, current);
    current = next;
    if (progress !== "waiting" || signal?.aborted || Date.now() >= deadline) return progress;
    if (deps.lease && !(await deps.lease.renew())) return "waiting"; // lost the lease: another instance finishes it
    await sleep(deps.pollMs ?? 200, undefined, { signal }).catch(() => undefined);
  }
}

/** One step of a batch's life. Safe to repeat at any moment, including after a crash. */
export async function advanceBatch(deps: AnchorDeps, batch: Batch): Promise<{ progress: BatchProgress; batch: Batch }> {
  const { chain } = deps;
  const onChain = await chain.anchorOf(batch.root);
  if (onChain) {
    const mined = await anchoringTx(chain, batch, onChain);
    if (!(await isFinal(deps, mined)) || !isPersisted(deps, batch, mined)) return { progress: "waiting", batch };
    await complete(deps, batch, mined, onChain);
    return { progress: "anchored", batch };
  }

  if (batch.tx) {
    const mined = await chain.minedTx(batch.tx.txHash);
    if (mined && !mined.success) {
      const reason = `anchor transaction ${mined.txHash} reverted`;
      deps.log?.warn({ batch: batch.id, txHash: mined.txHash }, reason);
      await write(deps, async (tx) => {
        if (!(await tx.batches.abandon(batch.id, reason, ["prepared", "sent"]))) return;
        const failed = await tx.evidence.returnToQueue(batch.id, reason, deps.maxAttempts ?? 5);
        await tx.outbox.append(outboxEvents("evidence.failed", failed, { reason }));
      });
      return { progress: "abandoned", batch };
    }
    if (mined) return { progress: "waiting", batch }; // mined, but the registry's state is not visible yet
    if (!(await chain.nonceUsed(batch.tx.nonce))) {
      await chain.broadcast(batch.tx.rawTx); // after a restart the node may have lost it; same hash
      return { progress: "waiting", batch };
    }
    // Our nonce went to another transaction. Look once more (ours may have been mined meanwhile).
    if (await chain.minedTx(batch.tx.txHash)) return { progress: "waiting", batch };
    deps.log?.warn({ batch: batch.id, txHash: batch.tx.txHash }, "anchor transaction replaced; signing again");
    await write(deps, (tx) => tx.batches.clearSigned(batch.id, `transaction ${batch.tx!.txHash} replaced (nonce ${batch.tx!.nonce} used)`));
  }

  const fromBlock = await chain.blockNumber();
  const signed = await chain.signAnchor(batch.root);
  const tx = { ...signed, fromBlock };
  await write(deps, (t) => t.batches.recordSigned(batch.id, tx)); // durable before it leaves: see above
  await chain.broadcast(signed.rawTx);
  deps.log?.info({ batch: batch.id, txHash: signed.txHash, nonce: signed.nonce }, "anchor transaction sent");
  return { progress: "waiting", batch: { ...batch, state: "sent", tx } };
}

async function anchoringTx(chain: ChainAnchor, batch: Batch, onChain: OnChainAnchor): Promise<MinedTx> {
  const ours = batch.tx ? await chain.minedTx(batch.tx.txHash) : null;
  if (ours?.success && ours.blockNumber === onChain.blockNumber) return ours;
  // Anchored by a transaction we did not record (sent before a crash, or by another anchorer).
  const found = await chain.findAnchorTx(batch.root, onChain.blockNumber);
  if (!found) throw new Error(`root ${batch.root} is anchored but its RootAnchored event was not found`);
  return found;
}

/** Mined at least `confirmations` blocks deep, and its block is still the canonical one. */
async function isFinal(deps: AnchorDeps, mined: MinedTx): Promise<boolean> {
  const head = await deps.chain.blockNumber();
  if (head - mined.blockNumber + 1 < deps.confirmations) return false;
  const block = await deps.chain.block(mined.blockNumber);
  return block?.hash === mined.blockHash;
}

/** How long a final batch waits for the chain to save its block (anvil saves every second). */
export const PERSIST_WAIT_MS = 5000;
const finalSince = new Map<string, number>();

function isPersisted(deps: AnchorDeps, batch: Batch, mined: MinedTx): boolean {
  if (!deps.persistedBlock) return true;
  const since = finalSince.get(batch.id) ?? Date.now();
  finalSince.set(batch.id, since);
  const saved = deps.persistedBlock();
  if (saved !== null && saved < mined.blockNumber && Date.now() - since < PERSIST_WAIT_MS) return false;
  if (saved === null || saved < mined.blockNumber) {
    deps.log?.warn(
      { batch: batch.id, block: mined.blockNumber, saved },
      "the chain has not saved the anchoring block; recording the anchor anyway",
    );
  }
  finalSince.delete(batch.id);
  return true;
}

async function complete(deps: AnchorDeps, batch: Batch, mined: MinedTx, onChain: OnChainAnchor): Promise<void> {
  const block = await deps.chain.block(mined.blockNumber);
  if (!block || block.timestamp !== onChain.timestamp) {
    throw new Error(`block ${mined.blockNumber} does not carry the anchor time the registry recorded`);
  }
  const anchor: AnchorFacts = {
    chainId: await deps.chain.chainId(),
    registry: deps.chain.registryAddress,
    txHash: mined.txHash,
    blockNumber: mined.blockNumber,
    blockHash: mined.blockHash,
    timestamp: onChain.timestamp,
    registryVersion: await deps.chain.registryVersion(),
  };
  await write(deps, async (tx) => {
    await tx.batches.markAnchored(batch.id, anchor, new Date().toISOString());
    const items = await tx.evidence.markAnchored(batch.id);
    await tx.outbox.append(outboxEvents("evidence.anchored", items, { root: batch.root, ...anchor }));
  });
  deps.log?.info({ batch: batch.id, txHash: mined.txHash, block: mined.blockNumber, items: batch.itemIds.length }, "batch anchored");
}
