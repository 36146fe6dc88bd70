import { expect } from "chai";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import type { IndexStore } from "../../src/ports/index-store.ts";
import { custodyHeadLeaf } from "../../src/domain/custody-log.ts";
import { buildMerkleBatch, verifyMerkleProof } from "../../src/domain/merkle-batch.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { advanceBatch, anchorPending, formBatch, type AnchorDeps } from "../../src/use-cases/anchor-batch.ts";
import { FakeChain } from "../helpers/fake-chain.ts";
import { recheckRecentAnchors } from "../../src/use-cases/confirm-anchors.ts";

/** The queue is the real SQLite index, in memory: the chain is the only stand-in. */
async function setup(options: Partial<AnchorDeps> = {}) {
  const index = await openSqliteIndex(":memory:");
  await index.accounts.create({ id: "acc_1", name: "a", role: "rights-holder", createdAt: new Date().toISOString() });
  const chain = new FakeChain();
  const deps: AnchorDeps = { index, chain, confirmations: 1, maxBatch: 100, pollMs: 1, waitMs: 50, ...options };
  let added = 0;
  const add = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `ev_${added++}`;
      const sha = sha256Hex(id);
      await index.evidence.insert([
        {
          id,
          accountId: "acc_1",
          kind: "document",
          sha256: sha,
          size: 1,
          mediaType: "text/plain",
          cid: "bafk",
          metadata: {
            id,
            kind: "document",
            sha256: sha,
            size: 1,
            mediaType: "text/plain",
            cid: "bafk",
            receivedAt: "2026-01-01T00:00:00Z",
          },
          metadataSha256: sha256Hex(`meta ${id}`),
          receivedAt: "2026-01-01T00:00:00Z",
        },
      ]);
      ids.push(id);
    }
    return ids;
  };
  return { index, chain, deps, add };
}

describe("anchorPending (queue → Merkle batch → anchor tx → confirmations)", () => {
  it("anchors every pending item in one transaction and stores a proof that verifies against the root", async () => {
    const { index, chain, deps, add } = await setup();
    const ids = await add(5);
    const result = await anchorPending(deps);
    expect(result).to.deep.include({ anchoredBatches: 1, anchoredItems: 5, waiting: false });
    expect(chain.broadcasts).to.have.length(1);
    for (const id of ids) {
      const record = (await index.evidence.get("acc_1", id))!;
      expect(record.status).to.equal("anchored");
      expect(verifyMerkleProof(record.merkle!.root, record.merkle!.leaf, record.merkle!.proof)).to.equal(true);
      expect(record.anchor!.timestamp).to.equal(chain.anchors.get(record.merkle!.root)!.timestamp);
      expect(record.anchor!.chainId).to.equal(31337);
    }
  });

  it("anchors the custody log's head as one more leaf of the batch; the items' proofs still lead to the root", async () => {
    const { index, chain, deps, add } = await setup();
    const ids = await add(2);
    const stored = (id: string) => ({ at: "2026-01-01T00:00:00.000Z", evidenceId: id, accountId: "acc_1", route: "capture", status: 201 });
    for (const id of ids) await index.custody.append(stored(id));
    const head = await index.custody.head();
    await anchorPending(deps);
    const anchored = (await index.custody.anchoredHeadFrom(1))!;
    expect(anchored).to.deep.include({ seq: 2, hash: head.hash, leaf: custodyHeadLeaf(head) });
    expect(verifyMerkleProof(anchored.root, anchored.leaf, anchored.proof)).to.equal(true);
    expect(anchored.anchor.timestamp).to.equal(chain.anchors.get(anchored.root)!.timestamp);
    const proofLengths = [anchored.proof.length];
    for (const id of ids) {
      const record = (await index.evidence.get("acc_1", id))!;
      expect(record.merkle!.root).to.equal(anchored.root);
      expect(verifyMerkleProof(record.merkle!.root, record.merkle!.leaf, record.merkle!.proof)).to.equal(true);
      proofLengths.push(record.merkle!.proof.length);
    }
    expect(proofLengths.sort()).to.deep.equal([1, 2, 2]); // a tree of three leaves: two items and the head
    await index.custody.append(stored(ids[0]!));
    expect(await index.custody.anchoredHeadFrom(3)).to.equal(null); // until the next batch
  });

  it("does nothing, and sends nothing, when the queue is empty", async () => {
    const { chain, deps } = await setup();
    expect(await anchorPending(deps)).to.deep.include({ anchoredBatches: 0, waiting: false });
    expect(chain.broadcasts).to.have.length(0);
  });

  it("splits a backlog into batches of at most maxBatch, oldest first", async () => {
    const { index, chain, deps, add } = await setup({ maxBatch: 4 });
    await add(10);
    const result = await anchorPending(deps);
    expect(result.anchoredBatches).to.equal(3);
    expect(result.anchoredItems).to.equal(10);
    expect(await index.evidence.countByStatus()).to.deep.equal({ pending: 0, anchored: 10, failed: 0 });
    expect(chain.broadcasts).to.have.length(3);
  });

  it("waits for the configured confirmations before an item counts as anchored", async () => {
    const { index, chain, deps, add } = await setup({ confirmations: 3, waitMs: 5 });
    const [id] = await add(1);
    expect((await anchorPending(deps)).waiting).to.equal(true);
    expect((await index.evidence.get("acc_1", id!))!.status).to.equal("pending");
    chain.mineBlock();
    expect((await anchorPending(deps)).waiting).to.equal(true);
    chain.mineBlock();
    expect(await anchorPending(deps)).to.deep.include({ anchoredItems: 1, waiting: false });
    expect((await index.evidence.get("acc_1", id!))!.status).to.equal("anchored");
  });

  it("after a crash between recording the signed transaction and broadcasting it, sends that same transaction", async () => {
    const { index, chain, deps, add } = await setup();
    await add(3);
    const batch = (await formBatch(deps, 100))!;
    const signed = await chain.signAnchor(batch.root);
    await index.batches.recordSigned(batch.id, { ...signed, fromBlock: chain.head }); // ...and the process died here

    await anchorPending(deps); // the next start
    expect(chain.broadcasts).to.deep.equal([signed.rawTx]);
    expect(chain.anchorCount(batch.root)).to.equal(1);
    expect((await index.evidence.countByStatus()).anchored).to.equal(3);
  });

  it("after a crash once the transaction was mined, finds it instead of sending another", async () => {
    const { index, chain, deps, add } = await setup({ confirmations: 2, waitMs: 0 });
    await add(2);
    await anchorPending(deps); // sent and mined, waiting for a second confirmation; then the crash
    expect(chain.broadcasts).to.have.length(1);
    chain.mineBlock();
    await anchorPending(deps);
    expect(chain.broadcasts).to.have.length(1);
    expect(await index.evidence.countByStatus()).to.deep.include({ anchored: 2, pending: 0 });
  });

  it("rebroadcasts the same transaction when the node lost it (restarted with an empty mempool)", async () => {
    const { index, chain, deps, add } = await setup({ waitMs: 0 });
    chain.autoMine = false;
    await add(1);
    await anchorPending(deps);
    chain.mempool.clear(); // the node restarted
    chain.autoMine = true;
    deps.waitMs = 50;
    await anchorPending(deps);
    expect(new Set(chain.broadcasts).size).to.equal(1);
    expect(chain.broadcasts.length).to.equal(2);
    expect((await index.evidence.countByStatus()).anchored).to.equal(1);
  });

  it("finds an anchor made by a transaction it has no record of, through the registry's event", async () => {
    const { index, chain, deps, add } = await setup();
    await add(2);
    const batch = (await formBatch(deps, 100))!;
    // Signed and broadcast, but the crash came before the record of it was committed.
    await chain.broadcast((await chain.signAnchor(batch.root)).rawTx);

    await anchorPending(deps);
    expect(chain.broadcasts).to.have.length(1);
    expect(chain.anchorCount(batch.root)).to.equal(1);
    expect((await index.evidence.countByStatus()).anchored).to.equal(2);
  });

  it("signs again when its nonce was taken by another transaction and its own can never be mined", async () => {
    const { index, chain, deps, add } = await setup({ waitMs: 0 });
    chain.autoMine = false;
    await add(1);
    await anchorPending(deps);
    chain.useNonceElsewhere();
    chain.autoMine = true;
    deps.waitMs = 50;
    await anchorPending(deps);
    expect(chain.broadcasts).to.have.length(2);
    expect(new Set(chain.broadcasts).size).to.equal(2);
    expect((await index.evidence.countByStatus()).anchored).to.equal(1);
  });

  it("returns the items of a reverted batch to the queue, and marks them failed after the last attempt", async () => {
    const { index, chain, deps, add } = await setup({ maxAttempts: 2 });
    const [id] = await add(1);
    // Make every anchor transaction revert: the registry already holds every root (a stand-in for
    // a revoked anchorer role), but anchorOf answers nothing.
    const realAnchorOf = chain.anchorOf.bind(chain);
    chain.anchorOf = async () => null;
    const items = await index.evidence.nextPending(1);
    chain.anchors.set(buildMerkleBatch(items).root, { timestamp: 1, blockNumber: 1, submitter: "0xother" });
    await anchorPending(deps);
    expect((await index.evidence.get("acc_1", id!))!.status).to.equal("pending"); // back in the queue after the first revert
    await anchorPending(deps);
    const record = (await index.evidence.get("acc_1", id!))!;
    expect(record.status).to.equal("failed");
    expect(record.failureReason).to.match(/reverted/);
    chain.anchorOf = realAnchorOf;
  });

  it("keeps items pending and throws while the chain is down, then anchors them once it is back", async () => {
    const { index, chain, deps, add } = await setup();
    await add(2);
    chain.down = true;
    let error: unknown;
    await anchorPending(deps).catch((e) => (error = e));
    expect(String(error)).to.match(/ECONNREFUSED/);
    expect(await index.evidence.countByStatus()).to.deep.include({ pending: 2, anchored: 0 });
    chain.down = false;
    await anchorPending(deps);
    expect(await index.evidence.countByStatus()).to.deep.include({ pending: 0, anchored: 2 });
  });

  it("does not finish a batch whose block was replaced by a reorganisation", async () => {
    const { index, chain, deps, add } = await setup({ confirmations: 2, waitMs: 0 });
    const [id] = await add(1);
    await anchorPending(deps);
    const mined = [...chain.mined.values()][0]!;
    chain.blocks.set(mined.blockNumber, { hash: "0xreorged", timestamp: chain.time }); // a different block now
    chain.mineBlock();
    const [open] = await index.batches.open();
    const step = await advanceBatch(deps, { ...open!, itemIds: await index.evidence.itemsOf(open!.id) });
    expect(step.progress).to.equal("waiting");
    expect((await index.evidence.get("acc_1", id!))!.status).to.equal("pending");
  });

  describe("re-checking anchors against the chain", () => {
    const quiet = { error() {}, warn() {}, info() {} };
    const checks = (index: IndexStore, chain: FakeChain) => ({ chain, index, confirmed: new Map<string, string>(), log: quiet });

    /** Anchors `batches` batches of one item each; returns their roots, oldest first. */
    async function anchoredBatches(ctx: Awaited<ReturnType<typeof setup>>, batches: number): Promise<string[]> {
      const roots: string[] = [];
      for (let i = 0; i < batches; i++) {
        await ctx.add(1);
        await anchorPending(ctx.deps);
        roots.push((await ctx.index.batches.recentAnchors(1))[0]!.root);
      }
      return roots;
    }

    it("queues again the items of the anchors a chain lost, newest first, and stops at the first it still holds", async () => {
      const ctx = await setup();
      const roots = await anchoredBatches(ctx, 4);
      // The chain loses its last two blocks' anchors (as anvil killed before it saved them would).
      ctx.chain.anchors.delete(roots[3]!);
      ctx.chain.anchors.delete(roots[2]!);
      const asked: string[] = [];
      const anchorOf = ctx.chain.anchorOf.bind(ctx.chain);
      ctx.chain.anchorOf = async (root: string) => {
        asked.push(root);
        return anchorOf(root);
      };

      expect(await recheckRecentAnchors(checks(ctx.index, ctx.chain))).to.equal(2);
      expect(asked).to.deep.equal([roots[3], roots[2], roots[1]]); // never further back than the first held
      expect(await ctx.index.evidence.countByStatus()).to.deep.equal({ pending: 2, anchored: 2, failed: 0 });
      await anchorPending(ctx.deps);
      expect(await ctx.index.evidence.countByStatus()).to.deep.equal({ pending: 0, anchored: 4, failed: 0 });
    });

    it("counts a changed block hash at the anchor's height as lost (a reorganisation)", async () => {
      const ctx = await setup();
      const [root] = await anchoredBatches(ctx, 1);
      const { blockNumber } = ctx.chain.anchors.get(root!)!;
      ctx.chain.blocks.set(blockNumber, { ...ctx.chain.blocks.get(blockNumber)!, hash: "0x" + "ee".repeat(32) });
      expect(await recheckRecentAnchors(checks(ctx.index, ctx.chain))).to.equal(1);
    });

    it("changes nothing when the chain cannot be asked, or disagrees with the index (that is the index's fault)", async () => {
      const ctx = await setup();
      const [root] = await anchoredBatches(ctx, 1);
      ctx.chain.down = true;
      let error: unknown;
      await recheckRecentAnchors(checks(ctx.index, ctx.chain)).catch((e) => (error = e));
      expect(String(error)).to.match(/ECONNREFUSED/);
      ctx.chain.down = false;
      ctx.chain.anchors.set(root!, { ...ctx.chain.anchors.get(root!)!, timestamp: 1 });
      expect(await recheckRecentAnchors(checks(ctx.index, ctx.chain))).to.equal(0);
      expect(await ctx.index.evidence.countByStatus()).to.deep.equal({ pending: 0, anchored: 1, failed: 0 });
    });
  });
});
