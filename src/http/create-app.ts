/** The Express app, built without listen() so tests can start it on port 0 in-process. */
import express, { type Express, type RequestHandler } from "express";
import type { Logger } from "pino";
import type { ContentStore } from "../ports/content-store.ts";
import type { AccountRepository, ContentReleaseQueue, EvidenceRepository } from "../ports/repositories.ts";
import { accountRoutes } from "./account-routes.ts";
import { errorHandler, notFound, problemTypes } from "./errors.ts";
import { requestLog } from "./request-log.ts";
import type { AnchorCheckDeps } from "../use-cases/confirm-anchors.ts";
import { evidenceRoutes } from "./evidence-routes.ts";
import { healthRoutes, type ReadinessCheck } from "./health-routes.ts";
import { verifyRoutes } from "./verify-routes.ts";
import { captureRoutes, type CaptureRouteDeps } from "./capture-routes.ts";
import type { ChainReader } from "../ports/chain-reader.ts";

export interface AppDeps {
  store: ContentStore;
  evidence: EvidenceRepository;
  accounts: AccountRepository;
  releases: ContentReleaseQueue;
  anchors: AnchorCheckDeps;
  maxUploadBytes: number;
  log: Logger;
  readiness: Record<string, ReadinessCheck>;
  /** Reads this service's chain for POST /v1/verify. */
  chainReader: () => ChainReader;
  verifyRateLimitPerMinute: number;
  /** Listing captures; absent, /v1/captures is not served. */
  captures?: CaptureRouteDeps;
  /** Where users reach this service (certificates link to its /verify page). */
  publicUrl: () => string;
  /** Extra facts for /readyz (queue depth, last anchoring error). */
  status?: () => Record<string, unknown>;
  trustProxy?: boolean;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy ?? false);
  app.set("query parser", "simple"); // no nested objects from query strings
  app.use(requestLog(deps.log));
  app.use((_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    next();
  });

  app.use(healthRoutes(deps.readiness, deps.status ?? (() => ({}))));
  app.use(verifyRoutes({ chainReader: deps.chainReader, maxUploadBytes: deps.maxUploadBytes, rateLimitPerMinute: deps.verifyRateLimitPerMinute }));
  app.use("/v1/evidence", evidenceRoutes(deps));
  if (deps.captures) app.use("/v1/captures", captureRoutes(deps.captures));
  app.use("/v1", accountRoutes(deps.accounts));
  app.use(problemTypes());
  app.use(notFound);
  app.use(errorHandler());
  return app;
}

