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
  /** The registry's own inclusion check: the anchor time, or 0. */
  registryVerify(registry: string, root: string, leafHash: string, proof: string[]): Promise<number>;
  block(blockNumber: number): Promise<{ hash: string; timestamp: number } | null>;
  transaction(txHash: string): Promise<{ success: boolean; blockNumber: number; blockHash: string; to: string | null } | null>;
  close(): void;
}
