import { JsonRpcProvider } from "ethers";

/**
 * An ethers provider for one known endpoint. staticNetwork: no network re-detection loop while the
 * endpoint is down (we want a prompt error to report). cacheTimeout -1: ethers otherwise answers a
 * repeated call within 250 ms from cache, which hands out a stale nonce right after a transaction.
 */
export function rpcProvider(url: string): JsonRpcProvider {
  return new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250, batchMaxCount: 1 });
}
