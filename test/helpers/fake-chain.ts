/**
 * An in-memory chain with a registry, for unit tests of the anchoring use-case (the thing under test
 * there is our state machine, not the chain). It mimics what matters: nonces, a mempool that can lose
 * transactions, blocks, reverts on a second anchor of a root, and outages.
 */
import { createHash } from "node:crypto";
import type { ChainAnchor, MinedTx, OnChainAnchor, SignedAnchorTx } from "../../src/ports/chain-anchor.ts";

const hash = (s: string) => "0x" + createHash("sha256").update(s).digest("hex");

interface Tx {
  root: string;
  nonce: number;
  txHash: string;
}

export class FakeChain implements ChainAnchor {
  readonly registryAddress = "0x00000000000000000000000000000000000000aa";
  head = 100;
  time = 1_800_000_000;
  autoMine = true;
  down = false;
  readonly blocks = new Map<number, { hash: string; timestamp: number }>();
  readonly anchors = new Map<string, OnChainAnchor>();
  readonly mempool = new Map<string, Tx>();
  readonly mined = new Map<string, MinedTx & { root: string }>();
  /** Every raw transaction ever broadcast, in order. */
  readonly broadcasts: string[] = [];
  /** How many transactions of the anchoring account were mined (the next nonce). */
  confirmedNonce = 0;
  /** Nonces handed out by signAnchor that are not mined yet. */
  pendingNonce = 0;

  constructor() {
    this.blocks.set(this.head, { hash: hash(`block ${this.head}`), timestamp: this.time });
  }

  #up() {
    if (this.down) throw new Error("connect ECONNREFUSED 127.0.0.1:8545");
  }

  async chainId() {
    this.#up();
    return 31337;
  }

  async registryVersion() {
    this.#up();
    return "2";
  }

  async anchorOf(root: string) {
    this.#up();
    return this.anchors.get(root) ?? null;
  }

  async signAnchor(root: string): Promise<SignedAnchorTx> {
    this.#up();
    const nonce = Math.max(this.pendingNonce, this.confirmedNonce);
    this.pendingNonce = nonce + 1;
    const rawTx = JSON.stringify({ root, nonce });
    return { txHash: hash(rawTx), rawTx, nonce };
  }

  async broadcast(rawTx: string) {
    this.#up();
    this.broadcasts.push(rawTx);
    const { root, nonce } = JSON.parse(rawTx) as Tx;
    const txHash = hash(rawTx);
    if (this.mined.has(txHash) || nonce < this.confirmedNonce) return;
    this.mempool.set(txHash, { root, nonce, txHash });
    if (this.autoMine) this.mineBlock();
  }

  /** Mines the mempool's transactions that are next in nonce order into one new block. */
  mineBlock() {
    this.head += 1;
    this.time += 12;
    const block = { hash: hash(`block ${this.head} ${Math.random()}`), timestamp: this.time };
    this.blocks.set(this.head, block);
    for (const tx of [...this.mempool.values()].sort((a, b) => a.nonce - b.nonce)) {
      if (tx.nonce !== this.confirmedNonce) continue;
      this.mempool.delete(tx.txHash);
      this.confirmedNonce += 1;
      const success = !this.anchors.has(tx.root);
      if (success) this.anchors.set(tx.root, { timestamp: block.timestamp, blockNumber: this.head, submitter: "0xanchorer" });
      this.mined.set(tx.txHash, { txHash: tx.txHash, blockNumber: this.head, blockHash: block.hash, success, root: tx.root });
    }
  }

  /** Another transaction of the same account takes `nonce` (a wallet used elsewhere, a replacement). */
  useNonceElsewhere() {
    this.mempool.clear();
    this.confirmedNonce += 1;
    this.mineBlock();
  }

  async minedTx(txHash: string) {
    this.#up();
    const tx = this.mined.get(txHash);
    return tx ? { txHash: tx.txHash, blockNumber: tx.blockNumber, blockHash: tx.blockHash, success: tx.success } : null;
  }

  async findAnchorTx(root: string, fromBlock: number) {
    this.#up();
    const tx = [...this.mined.values()].find((t) => t.root === root && t.success && t.blockNumber >= fromBlock);
    return tx ? { txHash: tx.txHash, blockNumber: tx.blockNumber, blockHash: tx.blockHash, success: true } : null;
  }

  async nonceUsed(nonce: number) {
    this.#up();
    return this.confirmedNonce > nonce;
  }

  async blockNumber() {
    this.#up();
    return this.head;
  }

  async block(n: number) {
    this.#up();
    return this.blocks.get(n) ?? null;
  }

  async close() {}

  /** How many successful anchor transactions a root has (exactly once means 1). */
  anchorCount(root: string): number {
    return [...this.mined.values()].filter((t) => t.root === root && t.success).length;
  }
}
