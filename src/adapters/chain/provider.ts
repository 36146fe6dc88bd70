import { FetchRequest, JsonRpcProvider, Network, type FetchGetUrlFunc } from "ethers";
import { isRevert, rpcExchange, unavailable } from "./json-rpc.ts";

export { rpcCall } from "./json-rpc.ts";

export interface RpcProviderOptions {
  /**
   * A deadline for each call, in milliseconds. With it, an endpoint that fails us rejects the call
   * with CHAIN_UNAVAILABLE (see rpcExchange). Without it, ethers' own transport (5 minutes).
   */
  timeoutMs?: number;
}

/**
 * An ethers provider for one known endpoint. staticNetwork: no network re-detection loop while the
 * endpoint is down (we want a prompt error to report); given the chain id, not even a first detection.
 * cacheTimeout -1: ethers otherwise answers a repeated call within 250 ms from its cache, which hands
 * out a stale nonce right after a transaction.
 */
export function rpcProvider(url: string, chainId?: number, options: RpcProviderOptions = {}): JsonRpcProvider {
  let endpoint: string | FetchRequest = url;
  if (options.timeoutMs !== undefined) {
    endpoint = new FetchRequest(url);
    endpoint.timeout = options.timeoutMs;
    endpoint.getUrlFunc = deadlineTransport(options.timeoutMs);
  }
  return new JsonRpcProvider(endpoint, chainId, {
    staticNetwork: chainId === undefined ? true : Network.from(chainId),
    cacheTimeout: -1,
    pollingInterval: 250,
    batchMaxCount: 1,
  });
}

/**
 * ethers' transport replaced by rpcExchange. An error answer is the endpoint failing us too (a rate
 * limit, a method it lacks), except a revert: that is the contract's answer, for the caller to judge.
 */
function deadlineTransport(timeoutMs: number): FetchGetUrlFunc {
  return async (request) => {
    const { response, bytes, answer } = await rpcExchange(request.url, request.headers, request.body ?? "", timeoutMs);
    if (answer.error && !isRevert(answer.error)) throw unavailable(answer.error.message ?? "an error without a message");
    return { statusCode: response.status, statusMessage: response.statusText, headers: Object.fromEntries(response.headers), body: bytes };
  };
}
