import { FetchRequest, JsonRpcProvider, Network, type FetchGetUrlFunc } from "ethers";
import { AppError, Errors } from "../../errors.ts";

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

/** One JSON-RPC call without a provider: for probing an endpoint that may be down. */
export async function rpcCall(url: string, method: string, params: unknown[] = [], timeoutMs = 5000): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
  const { answer } = await rpcExchange(url, { "content-type": "application/json" }, body, timeoutMs);
  if (answer.error) throw unavailable(`${method}: ${answer.error.message ?? "an error without a message"}`);
  return answer.result;
}

interface JsonRpcAnswer {
  result?: unknown;
  error?: { code?: number; message?: string } | null;
}

/**
 * One HTTP exchange with a JSON-RPC endpoint, within a deadline. Rejects with CHAIN_UNAVAILABLE when
 * the endpoint fails us instead of answering: refused, unreachable, silent past the deadline, an HTTP
 * error, or a body that is not a JSON-RPC answer. fetch's AbortSignal also closes the socket, so a
 * silent endpoint cannot keep the process alive (ethers' Node transport leaves it open on a timeout).
 */
async function rpcExchange(url: string, headers: Record<string, string>, body: string | Uint8Array, timeoutMs: number) {
  let response: Response;
  let bytes: Uint8Array;
  try {
    response = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(timeoutMs) });
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if ((error as Error).name === "TimeoutError") throw unavailable(`no answer within ${timeoutMs / 1000} s`, error);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw unavailable(`connection failed (${cause?.code ?? cause?.message ?? (error as Error).message})`, error);
  }
  if (!response.ok) throw unavailable(`HTTP ${response.status} ${response.statusText}`.trim());
  let answer: unknown;
  try {
    answer = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    answer = undefined;
  }
  if (!isJsonRpcAnswer(answer)) {
    throw unavailable(`the answer is not JSON-RPC (${response.headers.get("content-type") ?? "no content type"}, ${bytes.length} bytes)`);
  }
  return { response, bytes, answer };
}

function isJsonRpcAnswer(value: unknown): value is JsonRpcAnswer {
  return typeof value === "object" && value !== null && !Array.isArray(value) && ("result" in value || !!(value as JsonRpcAnswer).error);
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

/** Execution reverted: code 3 (geth and anvil, with the revert data) or a message that says so (-32000). */
function isRevert(error: { code?: number; message?: string }): boolean {
  return error.code === 3 || /revert/i.test(error.message ?? "");
}

function unavailable(reason: string, cause?: unknown): AppError {
  return new AppError(Errors.CHAIN_UNAVAILABLE, { reason }, cause);
}
