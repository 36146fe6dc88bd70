import { JsonRpcProvider, Network } from "ethers";

/**
 * An ethers provider for one known endpoint. staticNetwork: no network re-detection loop while the
 * endpoint is down (we want a prompt error to report); given the chain id, not even a first detection.
 * cacheTimeout -1: ethers otherwise answers a repeated call within 250 ms from its cache, which hands
 * out a stale nonce right after a transaction.
 */
export function rpcProvider(url: string, chainId?: number): JsonRpcProvider {
  return new JsonRpcProvider(url, chainId, {
    staticNetwork: chainId === undefined ? true : Network.from(chainId),
    cacheTimeout: -1,
    pollingInterval: 250,
    batchMaxCount: 1,
  });
}

/** One JSON-RPC call without a provider: for probing an endpoint that may be down. */
export async function rpcCall(url: string, method: string, params: unknown[] = [], timeoutMs = 5000): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
