/** The Express app, built without listen() so tests can start it on port 0 in-process. */
import { noticeRoutes } from "./notice-routes.ts";
import { reportRoutes } from "./report-routes.ts";
import type { CaseDeps } from "../use-cases/case-steps.ts";
import express, { type Express } from "express";
import type { Logger } from "pino";
import type { ContentStore } from "../ports/content-store.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { accountRoutes } from "./account-routes.ts";
import { errorHandler, notFound } from "./errors.ts";
import type { DocumentedRouter } from "./documented-router.ts";
import { apiDocsRoutes } from "./openapi.ts";
import { measureRequests, metricsRoutes } from "./metrics-routes.ts";
import type { Metrics } from "../metrics.ts";
import { requestLog } from "./request-log.ts";
import type { AnchorCheckDeps } from "../use-cases/confirm-anchors.ts";
import { evidenceRoutes } from "./evidence-routes.ts";
import { healthRoutes, type ReadinessCheck } from "./health-routes.ts";
import { verifyRoutes } from "./verify-routes.ts";
import { noticesPageRoutes } from "./notices-page-routes.ts";
import { captureRoutes, type CaptureRouteDeps } from "./capture-routes.ts";
import { webhookRoutes } from "./webhook-routes.ts";
import type { EgressGuard } from "../ports/egress-guard.ts";
import { custodyLogRoutes } from "./custody-routes.ts";
import type { ChainReader } from "../ports/chain-reader.ts";
import type { TimeTrust } from "../use-cases/verify-receipt.ts";
import type { CertificateSettings } from "../use-cases/fixed-certificate.ts";

export interface AppDeps {
  store: ContentStore;
  index: IndexStore;
  anchors: AnchorCheckDeps;
  metrics: Metrics;
  maxUploadBytes: number;
  /** POST /v1/evidence/listing-snapshots:batch: most lines and bytes in one request. */
  snapshotBatch: { maxLines: number; maxBytes: number };
  /** How long the first answer to an Idempotency-Key is kept. */
  idempotencyKeyTtlMs: number;
  log: Logger;
  readiness: Record<string, ReadinessCheck>;
  /** Reads this service's chain for POST /v1/verify. */
  chainReader: () => ChainReader;
  /** The TSAs' CAs and development chains verification and documents go by. */
  timeTrust: TimeTrust;
  /** The PEM CA certificate configured for each TSA, by its URL (evidence bundles carry it). */
  tsaCaByUrl: ReadonlyMap<string, string>;
  verifyRateLimitPerMinute: number;
  /** Listing captures; absent, /v1/captures is not served. */
  captures?: Omit<CaptureRouteDeps, "idempotency">;
  /** Notice and takedown (/v1/notices): the cases' dependencies. */
  cases: CaseDeps;
  /** The egress rule webhook URLs are checked by (WEBHOOK_ALLOW_HOSTS); without it there are no /v1/webhooks routes. */
  webhookEgress?: EgressGuard;
  /** How fixed certificates are made: issuer, public address, signer, time-stamp wait. */
  certificate: CertificateSettings;
  /** Extra facts for /readyz (queue depth, last anchoring error). */
  status?: () => Promise<Record<string, unknown>>;
  trustProxy?: boolean;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", deps.trustProxy ?? false);
  app.set("query parser", "simple"); // no nested objects from query strings
  app.use(requestLog(deps.log), measureRequests(deps.metrics));
  app.use((_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    next();
  });

  // The POSTs that create something take an Idempotency-Key, kept in the index.
  const idempotency = { keys: deps.index.idempotencyKeys, ttlMs: deps.idempotencyKeyTtlMs };
  // Evidence and capture routes read the same records and make the same documents.
  const documents = {
    ...deps,
    idempotency,
    evidence: deps.index.evidence,
    timestamps: deps.index.timestamps,
    accounts: deps.index.accounts,
    releases: deps.index.releases,
    certificates: deps.index.certificates,
    custody: deps.index.custody,
  };
  // Every route is declared with its OpenAPI description (documented-router.ts).
  const routers: DocumentedRouter[] = [
    healthRoutes(deps.readiness, deps.status ?? (async () => ({}))),
    metricsRoutes(deps.metrics),
    verifyRoutes({
      chainReader: deps.chainReader,
      timeTrust: deps.timeTrust,
      maxUploadBytes: deps.maxUploadBytes,
      rateLimitPerMinute: deps.verifyRateLimitPerMinute,
      rateLimits: deps.index.rateLimits,
    }),
    evidenceRoutes(documents),
    ...(deps.captures ? [captureRoutes({ ...deps.captures, idempotency }, documents)] : []),
    custodyLogRoutes(deps),
    accountRoutes(deps.index, idempotency, deps.cases.platformDefaults),
    noticeRoutes({
      cases: deps.cases,
      index: deps.index,
      receipts: { anchors: deps.anchors, timestamps: deps.index.timestamps },
      idempotency,
      bundles: documents,
    }),
    reportRoutes({ cases: deps.cases, index: deps.index, idempotency }),
    noticesPageRoutes(),
    ...(deps.webhookEgress ? [webhookRoutes({ index: deps.index, egress: deps.webhookEgress, idempotency })] : []),
  ];
  routers.push(apiDocsRoutes(() => routers.flatMap((r) => r.operations)));
  for (const routes of routers) app.use(routes.mount, routes.router);
  app.locals.operations = routers.flatMap((r) => r.operations);
  app.use(notFound);
  app.use(errorHandler());
  return app;
}
