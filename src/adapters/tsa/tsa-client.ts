/**
 * An RFC 3161 time-stamp authority over HTTP (RFC 3161 §3.4): POST the DER TimeStampReq as
 * `application/timestamp-query`, read the DER TimeStampResp sent back as `application/timestamp-reply`.
 * One deadline covers the whole exchange (connecting, the answer's headers and its body), and the body
 * is capped: a TSA that hangs or floods us fails the call with TSA_UNAVAILABLE instead of holding it.
 * The caller's own abort passes through as it is.
 */
import { AppError, Errors, isAppError } from "../../errors.ts";
import type { TimestampAuthority } from "../../ports/timestamp-authority.ts";

export const TIMESTAMP_QUERY = "application/timestamp-query";
export const TIMESTAMP_REPLY = "application/timestamp-reply";

export interface TsaRequestOptions {
  /**
   * Longest the whole exchange may take, in milliseconds.
   * @default 10000
   */
  timeoutMs?: number;
  /** Aborts the exchange (the service is stopping); its reason is what the call rejects with. */
  signal?: AbortSignal;
  /**
   * Largest answer accepted, in bytes: a token with its certificate chain is a few kilobytes.
   * @default 262144
   */
  maxBytes?: number;
}

export const DEFAULT_TSA_TIMEOUT_MS = 10_000;
export const DEFAULT_TSA_MAX_BYTES = 256 * 1024;

/** The TSA's DER answer, unread: readTimestampReply (src/domain/timestamp-token.ts) says what it grants. */
export async function requestTimestamp(url: string, requestDer: Uint8Array, options: TsaRequestOptions = {}): Promise<Uint8Array> {
  const { timeoutMs = DEFAULT_TSA_TIMEOUT_MS, signal, maxBytes = DEFAULT_TSA_MAX_BYTES } = options;
  const unavailable = (reason: string, cause?: unknown) => new AppError(Errors.TSA_UNAVAILABLE, { tsa: url, reason }, cause);
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": TIMESTAMP_QUERY, accept: TIMESTAMP_REPLY },
      body: requestDer,
      signal: combined,
      redirect: "error",
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw unavailable(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const type = response.headers.get("content-type")?.split(";")[0].trim().toLowerCase();
    if (type !== TIMESTAMP_REPLY) {
      await response.body?.cancel();
      throw unavailable(`the answer is ${type ?? "of no content type"}, not ${TIMESTAMP_REPLY}`);
    }
    return await readCapped(response, maxBytes, unavailable);
  } catch (error) {
    if (signal?.aborted) throw signal.reason ?? error;
    if (isAppError(error)) throw error;
    if (deadline.aborted) throw unavailable(`no answer within ${timeoutMs} ms`, error);
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw unavailable(`connection failed (${cause?.code ?? cause?.message ?? (error as Error).message})`, error);
  }
}

async function readCapped(response: Response, maxBytes: number, unavailable: (reason: string) => AppError): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  const tooLarge = () => unavailable(`the answer is larger than ${maxBytes} bytes`);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** A TimestampAuthority at `url`, each request within `timeoutMs`. */
export function tsaClient(url: string, options: { timeoutMs?: number; maxBytes?: number } = {}): TimestampAuthority {
  return {
    url,
    request: (requestDer, requestOptions) => requestTimestamp(url, requestDer, { ...options, signal: requestOptions?.signal }),
  };
}
