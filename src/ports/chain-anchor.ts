/**
 * The registry on a chain, as the anchoring worker uses it. Sending is split in two (sign, then
 * broadcast) so that the signed transaction can be made durable before it leaves the process: after a
 * crash, the very same transaction is rebroadcast or found, never a second one.
 */
export interface SignedAnchorTx {
  txHash: string;
  rawTx: string;
  nonce: number;
}

export interface OnChainAnchor {
  timestamp: number;
  blockNumber: number;
  submitter: string;
}

export interface MinedTx {
  txHash: string;
  blockNumber: number;
  blockHash: string;
  /** false: mined but reverted. */
  success: boolean;
}

export interface ChainAnchor {
  readonly registryAddress: string;
  chainId(): Promise<number>;
  /** The registry's VERSION() ("1" for the first registry, which has none). */
  registryVersion(): Promise<string>;
  /** The registry's first anchor of `root`, or null if it was never anchored. */
  anchorOf(root: string): Promise<OnChainAnchor | null>;
  signAnchor(root: string): Promise<SignedAnchorTx>;
  broadcast(rawTx: string): Promise<void>;
  /** The mined transaction, or null while it is pending or unknown. */
  minedTx(txHash: string): Promise<MinedTx | null>;
  /** The transaction that emitted RootAnchored for `root`, found from the registry's logs. */
  findAnchorTx(root: string, fromBlock: number): Promise<MinedTx | null>;
  /** Whether the anchoring account has used `nonce` (a transaction with it was mined). */
  nonceUsed(nonce: number): Promise<boolean>;
  blockNumber(): Promise<number>;
  block(blockNumber: number): Promise<{ hash: string; timestamp: number } | null>;
  close(): Promise<void>;
}
