/** GET /metrics (Prometheus text format) and the middleware that counts and times every request. */
import type { Request, RequestHandler, Response } from "express";
import { z } from "zod";
import type { Metrics } from "../metrics.ts";
import { DocumentedRouter } from "./documented-router.ts";

/** Counts each answered request under its route template (`/v1/evidence/:id`), never its concrete path. */
export function measureRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.httpDuration.startTimer();
    res.once("close", () => {
      const route = typeof res.locals.route === "string" ? res.locals.route : "unmatched";
      stop({ method: req.method, route });
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

export function metricsRoutes(metrics: Metrics): DocumentedRouter {
  const routes = new DocumentedRouter("/");
  routes.add(
    {
      tags: ["Health"],
      security: [],
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics: requests, the anchoring and capture queues, store and chain errors",
      responses: { 200: { description: "Prometheus text format 0.0.4", content: { "text/plain": { schema: z.string() } } } },
    },
    async (_req: Request, res: Response) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    },
  );
  return routes;
}
