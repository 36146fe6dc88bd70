/** /healthz: the process answers. /readyz: the chain, the content store and the index answer too. */
import type { Request, Response } from "express";
import { DocumentedRouter, jsonResponse } from "./documented-router.ts";
import { HealthSchema, ReadinessSchema } from "./schemas.ts";

export type ReadinessCheck = () => Promise<void> | void;

export function healthRoutes(checks: Record<string, ReadinessCheck>, details: () => Promise<Record<string, unknown>>): DocumentedRouter {
  const routes = new DocumentedRouter("/");
  const operation = { tags: ["Health"], security: [] };
  routes.add(
    {
      ...operation,
      method: "get",
      path: "/healthz",
      summary: "The process answers",
      responses: { 200: jsonResponse("Always, while the process runs", HealthSchema) },
    },
    (_req: Request, res: Response) => {
      res.json({ status: "ok" });
    },
  );
  routes.add(
    {
      ...operation,
      method: "get",
      path: "/readyz",
      summary: "Whether every part answers: chain, content store, index, anchoring",
      responses: {
        200: jsonResponse("Every part answers", ReadinessSchema),
        503: jsonResponse("A part is down: `unavailable` names it and `checks` says why", ReadinessSchema),
      },
    },
    async (_req: Request, res: Response) => {
      const results = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          try {
            await withTimeout(Promise.resolve(check()), 3000);
            return [name, { ok: true }] as const;
          } catch (error) {
            return [name, { ok: false, error: error instanceof Error ? error.message : String(error) }] as const;
          }
        }),
      );
      const failing = results.filter(([, r]) => !r.ok).map(([name]) => name);
      res.status(failing.length ? 503 : 200).json({
        status: failing.length ? "unavailable" : "ready",
        ...(failing.length ? { unavailable: failing } : {}),
        checks: Object.fromEntries(results),
        ...(await details()),
      });
    },
  );
  return routes;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
