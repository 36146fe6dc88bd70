/**
 * Routes declared together with their OpenAPI description, so that no route can be added without one:
 * a DocumentedRouter registers the Express handler and records the operation (path, parameters, bodies
 * and answers as zod schemas) for openapi.ts to turn into /openapi.json.
 */
import type { RouteConfig, ResponseConfig } from "@asteasolutions/zod-to-openapi";
import { Router, type RequestHandler } from "express";
import type { z } from "zod";
import { PROBLEM_JSON } from "./errors.ts";
import { ProblemSchema } from "./schemas.ts";

export interface Operation extends Omit<RouteConfig, "path" | "method"> {
  method: "get" | "post" | "delete";
  /** Express syntax, relative to the mount point: `/:id/receipt`. */
  path: string;
}

export class DocumentedRouter {
  readonly router = Router();
  readonly operations: RouteConfig[] = [];
  /** Where the router is mounted: `/v1/evidence`, or `/` for top-level paths. */
  readonly mount: string;

  constructor(mount: string) {
    this.mount = mount;
  }

  add(operation: Operation, ...handlers: RequestHandler[]): void {
    // `\:` is a literal colon in an Express path (`/listing-snapshots\:batch`), not a parameter.
    const escaped = `${this.mount === "/" ? "" : this.mount}${operation.path === "/" && this.mount !== "/" ? "" : operation.path}`;
    const full = escaped.replace(/\\:/g, "\u0000");
    // The route's template, for the request log and metrics (never the concrete path, which holds ids).
    const tag: RequestHandler = (_req, res, next) => {
      res.locals.route = full.replace(/\u0000/g, ":");
      next();
    };
    this.router[operation.method](operation.path, tag, ...handlers);
    this.operations.push({ ...operation, path: full.replace(/:(\w+)/g, "{$1}").replace(/\u0000/g, ":") });
  }
}

/** Merges several mounted routers into one list of operations. */
export function operationsOf(...routers: DocumentedRouter[]): RouteConfig[] {
  return routers.flatMap((r) => r.operations);
}

export function jsonResponse(description: string, schema: z.ZodType, headers?: ResponseConfig["headers"]): ResponseConfig {
  return { description, content: { "application/json": { schema } }, ...(headers ? { headers } : {}) };
}

/** The problem answers an operation may give, by status, each described. */
export function problems(answers: Record<number, string>): Record<number, ResponseConfig> {
  return Object.fromEntries(
    Object.entries(answers).map(([status, description]) => [
      status,
      { description, content: { [PROBLEM_JSON]: { schema: ProblemSchema } } },
    ]),
  );
}

export const BEARER = [{ apiKey: [] }];
