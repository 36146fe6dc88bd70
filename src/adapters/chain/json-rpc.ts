/**
 * JSON-RPC over fetch, with a deadline on every exchange and nothing else: no ethers, so that it also
 * runs in the evidence bundle's verifiers (Node 20 and a browser). An endpoint that fails us, rather
 * than answers, rejects with CHAIN_UNAVAILABLE.
 */
import { AppError, Errors } from "../../errors.ts";

/** How long each call of a chain reader waits for the endpoint's answer, unless told otherwise. */
export const DEFAULT_RPC_TIMEOUT_MS = 15_000;

export interface JsonRpcAnswer {
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown } | null;
}

/** One JSON-RPC call without a provider: for probing an endpoint that may be down. */
export async function rpcCall(url: string, method: string, params: unknown[] = [], timeoutMs = 5000): Promise<unknown> {
  const answer = await rpcAnswer(url, method, params, timeoutMs);
  if (answer.error) throw unavailable(`${method}: ${answer.error.message ?? "an error without a message"}`);
  return answer.result;
}

/** One JSON-RPC call, its error answer included (a revert is the contract's answer, not an outage). */
export async function rpcAnswer(url: string, method: string, params: unknown[], timeoutMs: number): Promise<JsonRpcAnswer> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
  return (await rpcExchange(url, { "content-type": "application/json" }, body, timeoutMs)).answer;
}

/** eth_chainId, checked to be one. */
export async function readChainId(url: string, timeoutMs: number): Promise<number> {
  const answer = await rpcCall(url, "eth_chainId", [], timeoutMs);
  if (typeof answer !== "string" || !/^0x[0-9a-f]{1,16}$/i.test(answer)) {
    throw unavailable(`eth_chainId answered ${JSON.stringify(answer)?.slice(0, 80)}, not a chain id`);
  }
  return Number(answer);
}

/**
 * One HTTP exchange with a JSON-RPC endpoint, within a deadline. Rejects with CHAIN_UNAVAILABLE when
 * the endpoint fails us instead of answering: refused, unreachable, silent past the deadline, an HTTP
 * error, or a body that is not a JSON-RPC answer. fetch's AbortSignal also closes the socket, so a
 * silent endpoint cannot keep the process alive (ethers' Node transport leaves it open on a timeout).
 */
export async function rpcExchange(url: string, headers: Record<string, string>, body: string | Uint8Array, timeoutMs: number) {
  let response: Response;
  let bytes: Uint8Array;
  try {
    // A copy of the bytes: fetch takes no view of a SharedArrayBuffer.
    const payload = typeof body === "string" ? body : new Uint8Array(body);
    response = await fetch(url, { method: "POST", headers, body: payload, signal: AbortSignal.timeout(timeoutMs) });
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

/** Execution reverted: code 3 (geth and anvil, with the revert data) or a message that says so (-32000). */
export function isRevert(error: { code?: number; message?: string }): boolean {
  return error.code === 3 || /revert/i.test(error.message ?? "");
}

export function unavailable(reason: string, cause?: unknown): AppError {
  return new AppError(Errors.CHAIN_UNAVAILABLE, { reason }, cause);
}
