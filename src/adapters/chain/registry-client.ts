/**
 * EvidenceRegistry over any EVM JSON-RPC endpoint, with ethers v6. Implements the ChainAnchor port.
 */
import { Contract, Transaction, Wallet, type JsonRpcProvider, type InterfaceAbi, type TransactionRequest } from "ethers";
import { rpcProvider } from "./provider.ts";
import { readRegistryVersion } from "./registry-version.ts";
import type { ChainAnchor, MinedTx, OnChainAnchor, SignedAnchorTx } from "../../ports/chain-anchor.ts";

export interface RegistryClientOptions {
  rpcUrl: string;
  /** Known up front, so that nothing is detected (or retried) at start. */
  chainId: number;
  registryAddress: string;
  abi: InterfaceAbi;
  privateKey: string;
  /** How far back (blocks) log queries may reach in one call; many public RPCs cap the range. */
  logRange?: number;
  /** Deadline of each JSON-RPC call: a chain that stops answering fails the call with CHAIN_UNAVAILABLE. */
  timeoutMs: number;
}

export class RegistryClient implements ChainAnchor {
  readonly registryAddress: string;
  readonly #provider: JsonRpcProvider;
  readonly #wallet: Wallet;
  readonly #registry: Contract;
  readonly #logRange: number;
  readonly #chainId: number;
  #version: Promise<string> | undefined;

  constructor(options: RegistryClientOptions) {
    this.#provider = rpcProvider(options.rpcUrl, options.chainId, { timeoutMs: options.timeoutMs });
    this.#chainId = options.chainId;
    this.#wallet = new Wallet(options.privateKey, this.#provider);
    this.#registry = new Contract(options.registryAddress, options.abi, this.#wallet);
    this.registryAddress = options.registryAddress;
    this.#logRange = options.logRange ?? 50_000;
  }

  get anchorerAddress(): string {
    return this.#wallet.address;
  }

  async chainId(): Promise<number> {
    return this.#chainId;
  }

  async registryVersion(): Promise<string> {
    return (this.#version ??= readRegistryVersion(this.#provider, this.registryAddress).catch((error) => {
      this.#version = undefined;
      throw error;
    }));
  }

  async hasCode(): Promise<boolean> {
    return (await this.#provider.getCode(this.registryAddress)) !== "0x";
  }

  async canAnchor(): Promise<boolean> {
    const role = await this.#registry.getFunction("ANCHORER_ROLE")();
    return this.#registry.getFunction("hasRole")(role, this.#wallet.address);
  }

  async anchorOf(root: string): Promise<OnChainAnchor | null> {
    const [timestamp, blockNumber, submitter] = await this.#registry.getFunction("anchorOf")(root);
    if (timestamp === 0n) return null;
    return { timestamp: Number(timestamp), blockNumber: Number(blockNumber), submitter };
  }

  async signAnchor(root: string): Promise<SignedAnchorTx> {
    const request: TransactionRequest = await this.#registry.getFunction("anchor").populateTransaction(root);
    // Pending nonce: a transaction of ours still in the mempool must not be replaced by accident.
    const nonce = await this.#provider.getTransactionCount(this.#wallet.address, "pending");
    const populated = await this.#wallet.populateTransaction({ ...request, nonce, chainId: this.#chainId });
    const rawTx = await this.#wallet.signTransaction(populated);
    return { txHash: Transaction.from(rawTx).hash!, rawTx, nonce };
  }

  async broadcast(rawTx: string): Promise<void> {
    try {
      await this.#provider.send("eth_sendRawTransaction", [rawTx]);
    } catch (error) {
      // Sending the same signed transaction twice is not an error for us: it is the point. Nodes say so in
      // words of their own ("already known", "nonce too low"…), so ask the chain instead of the words:
      // the node has this very transaction, or its nonce is spent (the state machine finds out by what).
      const { hash, nonce } = Transaction.from(rawTx);
      if ((await this.#provider.getTransaction(hash!)) !== null || (await this.nonceUsed(nonce))) return;
      throw error;
    }
  }

  async minedTx(txHash: string): Promise<MinedTx | null> {
    const receipt = await this.#provider.getTransactionReceipt(txHash);
    if (!receipt) return null;
    return { txHash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash, success: receipt.status === 1 };
  }

  async findAnchorTx(root: string, fromBlock: number): Promise<MinedTx | null> {
    const filter = this.#registry.filters.RootAnchored!(root);
    const head = await this.#provider.getBlockNumber();
    for (let from = Math.max(0, fromBlock); from <= head; from += this.#logRange) {
      const logs = await this.#registry.queryFilter(filter, from, Math.min(head, from + this.#logRange - 1));
      const log = logs[0];
      if (log) return { txHash: log.transactionHash, blockNumber: log.blockNumber, blockHash: log.blockHash, success: true };
    }
    return null;
  }

  async nonceUsed(nonce: number): Promise<boolean> {
    return (await this.#provider.getTransactionCount(this.#wallet.address, "latest")) > nonce;
  }

  async blockNumber(): Promise<number> {
    return this.#provider.getBlockNumber();
  }

  async block(blockNumber: number): Promise<{ hash: string; timestamp: number } | null> {
    const block = await this.#provider.getBlock(blockNumber);
    return block ? { hash: block.hash!, timestamp: block.timestamp } : null;
  }

  async close(): Promise<void> {
    this.#provider.destroy();
  }
}
