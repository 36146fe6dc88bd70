/** Every error leaves as `{ "error": { "code", "message" } }`; only unexpected ones are logged as errors. */
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
