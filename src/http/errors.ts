/**
 * Errors as HTTP answers: RFC 9457 problem details (`application/problem+json`) with our stable `code`,
 * plus the `error: { code, message }` object that clients read before problem details (deprecated, kept
 * until v2). The HTTP status of each code lives here, not in the errors themselves. Every error leaves as
 * JSON, whatever throws, and every 5xx is logged with its real cause and the request id.
 */
import type { Duplex } from "node:stream";
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { AppError, Errors, findAppError, type ErrorCode } from "../errors.ts";

export const PROBLEM_JSON = "application/problem+json";

/** The HTTP status of every error code, and how long a client should wait before retrying a 503. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, { status: number; retryAfterSeconds?: number }>> = Object.freeze({
  INVALID_REQUEST: { status: 400 },
  MALFORMED_MULTIPART: { status: 400 },
  MALFORMED_JSON: { status: 400 },
  FILE_REQUIRED: { status: 400 },
  EMPTY_FILE: { status: 400 },
  TOO_MANY_FILES: { status: 400 },
  UNEXPECTED_FIELD: { status: 400 },
  FILE_TOO_LARGE: { status: 413 },
  BODY_TOO_LARGE: { status: 413 },
  BATCH_TOO_LARGE: { status: 413 },
  IDEMPOTENCY_KEY_INVALID: { status: 400 },
  IDEMPOTENCY_KEY_REUSED: { status: 422 },
  IDEMPOTENCY_KEY_IN_USE: { status: 409, retryAfterSeconds: 1 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415 },
  NOT_FOUND: { status: 404 },
  HEADERS_TOO_LARGE: { status: 431 },
  BAD_REQUEST: { status: 400 },
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: { status: 403 },
  ACCOUNT_NOT_FOUND: { status: 404 },
  API_KEY_NOT_FOUND: { status: 404 },
  EVIDENCE_NOT_FOUND: { status: 404 },
  EVIDENCE_NOT_ANCHORED: { status: 409 },
  CONTENT_INTEGRITY: { status: 500 },
  RECORD_INTEGRITY: { status: 500 },
  CUSTODY_INTEGRITY: { status: 500 },
  CERTIFICATE_NOT_READY: { status: 409, retryAfterSeconds: 10 },
  CERTIFICATE_INTEGRITY: { status: 500 },
  RECEIPT_INVALID: { status: 400 },
  RATE_LIMITED: { status: 429, retryAfterSeconds: 60 },
  CAPTURE_QUEUE_FULL: { status: 429, retryAfterSeconds: 60 },
  CAPTURE_URL_INVALID: { status: 400 },
  CAPTURE_URL_FORBIDDEN: { status: 422 },
  WEBHOOK_URL_INVALID: { status: 400 },
  WEBHOOK_URL_FORBIDDEN: { status: 422 },
  WEBHOOK_EVENT_UNKNOWN: { status: 422 },
  WEBHOOK_NOT_FOUND: { status: 404 },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404 },
  CAPTURE_NOT_FOUND: { status: 404 },
  CAPTURE_WITHOUT_EVIDENCE: { status: 409 },
  CAPTURE_UNAVAILABLE: { status: 503 },
  CHAIN_UNAVAILABLE: { status: 503, retryAfterSeconds: 30 },
  STORE_UNAVAILABLE: { status: 503, retryAfterSeconds: 30 },
  INDEX_UNAVAILABLE: { status: 503, retryAfterSeconds: 30 },
  TSA_UNAVAILABLE: { status: 503, retryAfterSeconds: 30 },
  CONFIG_INVALID: { status: 500 },
  INTERNAL: { status: 500 },
  NOTICE_INCOMPLETE: { status: 422 },
  NOTICE_NOT_FOUND: { status: 404 },
  NOTICE_STATE_CONFLICT: { status: 409 },
  NOTICE_REFERENCE_UNKNOWN: { status: 422 },
});

export function statusOf(error: AppError): number {
  return HTTP_STATUS[error.code].status;
}

/** The problem type URI of a code; GET on it describes the problem (problemTypeRoute). */
export function problemType(code: ErrorCode): string {
  return `/problems/${code}`;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  requestId?: string;
  /** Deprecated: the answer's shape before RFC 9457, kept for existing clients until v2. */
  error: { code: ErrorCode; message: string };
}

export function problemDetails(error: AppError, extra: { instance?: string; requestId?: string } = {}): ProblemDetails {
  // A 5xx says what failed, never how: internal details go to the log.
  const detail = error.code === "INTERNAL" ? Errors.INTERNAL.message : error.message;
  return {
    type: problemType(error.code),
    title: error.descriptor.title,
    status: statusOf(error),
    detail,
    code: error.code,
    ...(error.params.extensions && typeof error.params.extensions === "object" ? (error.params.extensions as object) : {}),
    ...extra,
    error: { code: error.code, message: detail },
  };
}

export function sendProblem(req: Request, res: Response, error: AppError): void {
  const { status } = HTTP_STATUS[error.code];
  // An error that knows when to try again says so (a certificate waiting for a time-stamp); else the code's default.
  const retryAfterSeconds =
    typeof error.params.retryAfterSeconds === "number" ? error.params.retryAfterSeconds : HTTP_STATUS[error.code].retryAfterSeconds;
  if (retryAfterSeconds && !res.getHeader("retry-after")) res.setHeader("Retry-After", String(retryAfterSeconds));
  const body = problemDetails(error, { instance: req.originalUrl.split("?")[0], requestId: String(req.id ?? "") || undefined });
  res.status(status).type(PROBLEM_JSON).send(JSON.stringify(body));
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError(Errors.NOT_FOUND, { method: req.method, path: req.path }));
};

export function errorHandler(): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    try {
      // The request log (request-log.ts) writes this error, with its cause, on the request's line.
      if (statusOf(appError) >= 500) (res as { err?: unknown }).err = error;
      if (res.headersSent) {
        res.destroy(); // mid-stream: cut the connection rather than append an error to the bytes
        return;
      }
      sendProblem(req, res, appError);
    } catch (failure) {
      // The last resort must not throw either: a bare JSON 500, never Express's HTML page.
      if (!res.headersSent) {
        res.statusCode = 500;
        res.setHeader("content-type", PROBLEM_JSON);
        res.end(JSON.stringify(problemDetails(new AppError(Errors.INTERNAL))));
      } else {
        res.destroy();
      }
      process.stderr.write(`error handler failed: ${String(failure)}\n`);
    }
  };
}

/** What a problem `type` URI stands for (served at GET /problems/:code). */
export function problemTypeOf(
  code: string,
): { type: string; code: string; title: string; status: number; documentation: string } | undefined {
  if (!Object.hasOwn(HTTP_STATUS, code)) return undefined;
  const known = code as ErrorCode;
  return {
    type: problemType(known),
    code,
    title: Errors[known].title,
    status: HTTP_STATUS[known].status,
    documentation: "docs/api.md#error-codes",
  };
}

/**
 * For the HTTP server's `clientError` event: Node's parser rejects some requests (oversized headers,
 * malformed request lines) before Express sees them; answer those in the same problem+json shape.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const appError = new AppError(error.code === "HPE_HEADER_OVERFLOW" ? Errors.HEADERS_TOO_LARGE : Errors.BAD_REQUEST);
  const body = JSON.stringify(problemDetails(appError));
  const status = statusOf(appError);
  const reason = status === 431 ? "Request Header Fields Too Large" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${PROBLEM_JSON}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Our errors as they are; the HTTP stack's own client errors as 4xx; anything else is a bug (500). */
export function toAppError(error: unknown): AppError {
  const found = findAppError(error);
  if (found) return found;
  const e = error as {
    type?: string;
    code?: string;
    status?: number;
    statusCode?: number;
    expose?: boolean;
    message?: string;
    limit?: number;
  } | null;
  // body-parser's errors carry a `type` and a status
  if (e?.type === "entity.parse.failed") return new AppError(Errors.MALFORMED_JSON, {}, error);
  if (e?.type === "entity.too.large") return new AppError(Errors.BODY_TOO_LARGE, { limit: e.limit }, error);
  if (e?.type === "encoding.unsupported") {
    return new AppError(
      Errors.UNSUPPORTED_MEDIA_TYPE,
      { expected: "the body uncompressed, or with Content-Encoding gzip, deflate or br" },
      error,
    );
  }
  if (typeof e?.code === "string" && e.code.startsWith("Z_")) {
    return new AppError(
      Errors.INVALID_REQUEST,
      { reason: `the body could not be decoded as its Content-Encoding says (${e.message})` },
      error,
    );
  }
  // A decoding failure (a gzip body that is not gzip, a bad %-escape in the path), a bad charset: the
  // client's fault, said as such. Only errors the HTTP stack marked as safe to show (expose) qualify.
  const status = e?.status ?? e?.statusCode;
  if (status && status >= 400 && status < 500 && e?.expose !== false) {
    if (status === 413) return new AppError(Errors.BODY_TOO_LARGE, { limit: e?.limit ?? "the" }, error);
    if (status === 415) return new AppError(Errors.UNSUPPORTED_MEDIA_TYPE, { expected: "a supported content encoding and charset" }, error);
    return new AppError(Errors.INVALID_REQUEST, { reason: e?.message ?? "the request could not be read" }, error);
  }
  if (error instanceof URIError) return new AppError(Errors.INVALID_REQUEST, { reason: "the URL holds a malformed %-escape" }, error);
  return new AppError(Errors.INTERNAL, {}, error);
}
