/**
 * One log line per request, with a request id that is also returned in `X-Request-Id` (a client's own
 * id is kept when it is sane), so a user's report and the log meet. Aborted requests are logged too.
 * Never the Authorization header, never query strings (they may hold hashes of cases).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { safeErrorSerializer } from "../logging.ts";

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestLog(log: Logger): RequestHandler {
  return pinoHttp({
    logger: log,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers["x-request-id"];
      const id = typeof given === "string" && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader("X-Request-Id", id);
      return id;
    },
    wrapSerializers: false,
    serializers: {
      err: safeErrorSerializer,
      req: (req: IncomingMessage & { id?: unknown; originalUrl?: string }) => ({
        id: req.id,
        method: req.method,
        path: (req.originalUrl ?? req.url ?? "").split("?")[0],
        remoteAddress: req.socket?.remoteAddress,
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(req, res, error) {
      if (error || res.statusCode >= 500) return "error";
      if (req.readableAborted || !res.writableEnded) return "warn"; // the client hung up
      return "info";
    },
    customSuccessMessage: (req, res) => (!req.readableAborted && res.writableEnded ? "request completed" : "request aborted"),
    customErrorMessage: (_req, res) => `request failed with ${res.statusCode}`,
  }) as unknown as RequestHandler;
}
