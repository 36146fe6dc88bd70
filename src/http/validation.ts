/** Request handling at the edge: zod validation (a 400 that names the field), and middleware run inside a route. */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { z } from "zod";
import { illFormedStringPath, MAX_JSON_DEPTH, nestedDeeperThan } from "../domain/canonical-json.ts";
import { AppError, Errors } from "../errors.ts";

export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  if (nestedDeeperThan(value))
    throw new AppError(Errors.INVALID_REQUEST, { reason: `the body nests deeper than ${MAX_JSON_DEPTH} levels` });
  const illFormed = illFormedStringPath(value);
  if (illFormed) {
    throw new AppError(Errors.INVALID_REQUEST, { reason: `${illFormed}: holds invalid Unicode (a lone surrogate); send well-formed text` });
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new AppError(Errors.UNEXPECTED_FIELD, { field: [...issue.path, ...issue.keys].join(".") });
  }
  const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
  throw new AppError(Errors.INVALID_REQUEST, { reason: `${where}${issue.message}` });
}

/** Runs a middleware (a body parser, multer) inside a route, when the route picks it by content type. */
export function runMiddleware(
  handler: RequestHandler | ((req: Request, res: Response, next: NextFunction) => void),
  req: Request,
  res: Response,
): Promise<void> {
  return new Promise((resolve, reject) => handler(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
}
