/** Every error leaves as `{ "error": { "code", "message" } }`; only unexpected ones are logged as errors. */
import type { Duplex } from "node:stream";
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { AppError, Errors, isAppError } from "../errors.ts";

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError(Errors.NOT_FOUND, { method: req.method, path: req.path }));
};

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) log.error({ err: error, method: req.method, path: req.path }, appError.message);
    if (res.headersSent) {
      res.destroy(); // mid-stream: cut the connection rather than append an error to the bytes
      return;
    }
    res.status(appError.status).json({ error: { code: appError.code, message: appError.message } });
  };
}

/**
 * For the HTTP server's `clientError` event: Node's parser rejects some requests (oversized headers,
 * malformed request lines) before Express sees them; answer those in the same JSON shape.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const descriptor = error.code === "HPE_HEADER_OVERFLOW" ? Errors.HEADERS_TOO_LARGE : Errors.BAD_REQUEST;
  const body = JSON.stringify({ error: { code: descriptor.code, message: descriptor.message } });
  const reason = descriptor.status === 431 ? "Request Header Fields Too Large" : "Bad Request";
  socket.end(
    `HTTP/1.1 ${descriptor.status} ${reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  // body-parser's errors carry a `type` and a status
  const type = (error as { type?: string } | null)?.type;
  if (type === "entity.parse.failed") return new AppError(Errors.MALFORMED_JSON, {}, error);
  if (type === "entity.too.large") {
    return new AppError(Errors.BODY_TOO_LARGE, { limit: (error as { limit?: number }).limit }, error);
  }
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new AppError(Errors.INVALID_REQUEST, { reason: (error as Error).message }, error);
  }
  return new AppError(Errors.INTERNAL, {}, error);
}
