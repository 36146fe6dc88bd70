/**
 * What a verifier reads from a chain, through any JSON-RPC endpoint. Read-only: no key involved.
 * Every call has a deadline, and rejects with AppError CHAIN_UNAVAILABLE when the endpoint fails us
 * (down, refused, silent past the deadline, an answer that is not JSON-RPC) rather than answers: a
 * verifier must not take an outage for a failed check.
 */
export interface ChainReader {
  readonly endpoint: string;
  chainId(): Promise<number>;
  /** Zeros when the root was never anchored. */
  anchorOf(registry: string, root: string): Promise<{ timestamp: number; blockNumber: number }>;
  /**
   * The registry's interface version (its VERSION()): "1" for a registry deployed before VERSION
   * existed (the call reverts or returns nothing), else the string it returns, e.g. "2".
   */
  registryVersion(registry: string): Promise<string>;
  /**
   * The registry's node check verify(root, leaf, proof): the anchor time, or 0. It proves that some node
   * is in the tree, not that an item is; pass a leaf computed from the item (leafHash), never one read
   * from the receipt, or use registryVerifyItem on a version-2 registry.
   */
  registryVerify(registry: string, root: string, leafHash: string, proof: string[]): Promise<number>;
  /**
   * The registry's item check verifyItem(root, content, metadata, proof), which computes the leaf on
   * chain: the anchor time, or 0. Version 2 and later; a version-1 registry reverts.
   * @param contentSha256 bytes32, 0x-prefixed
   * @param metadataSha256 bytes32, 0x-prefixed
   */
  registryVerifyItem(registry: string, root: string, contentSha256: string, metadataSha256: string, proof: string[]): Promise<number>;
  /** The hash of block 0, which names the chain an endpoint serves better than its chain id does. */
  genesisHash(): Promise<string>;
  /** The endpoint's latest block number: how deep a block is. */
  blockNumber(): Promise<number>;
  block(blockNumber: number): Promise<{ hash: string; timestamp: number } | null>;
  transaction(txHash: string): Promise<{ success: boolean; blockNumber: number; blockHash: string; to: string | null } | null>;
  close(): void;
}
