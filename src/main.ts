/**
 * The composition root: configuration → adapters (chain, content store, index, browser) → use-cases →
 * HTTP app, anchoring worker and capture worker. `npm start` runs this. SIGINT/SIGTERM shut down in
 * order: stop accepting requests and let in-flight ones finish, stop the workers (a batch or a capture
 * in flight stays recorded and is finished at the next start), close the store and the index, and stop
 * the embedded chain, which saves its state.
 */
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Server } from "node:http";
import { join } from "node:path";
import type { Logger } from "pino";
import { chromiumCapturer } from "./adapters/capture/chromium-capturer.ts";
import { jsonRpcChainReader } from "./adapters/chain/chain-reader.ts";
import { connectChain, type ConnectedChain } from "./adapters/chain/connect.ts";
import { HeliaContentStore } from "./adapters/helia/helia-store.ts";
import { KuboContentStore } from "./adapters/kubo/kubo-store.ts";
import { egressGuard } from "./adapters/capture/egress-proxy.ts";
import { openPostgresIndex, openSqliteIndex } from "./adapters/index/sql-index-store.ts";
import { loadConfig, type Config } from "./config.ts";
import { AppError, Errors, isAppError } from "./errors.ts";
import { createLogger } from "./logging.ts";
import { createMetrics } from "./metrics.ts";
import { createApp } from "./http/create-app.ts";
import { answerClientError } from "./http/errors.ts";
import { newId } from "./ids.ts";
import type { ContentStore } from "./ports/content-store.ts";
import type { IndexStore } from "./ports/index-store.ts";
import { bootstrapAdmin } from "./use-cases/accounts.ts";
import { startAnchorWorker } from "./workers/anchor-worker.ts";
import { startCaptureWorker } from "./workers/capture-worker.ts";
import { startReleaseWorker } from "./workers/release-worker.ts";
import { startAnchorRecheckWorker } from "./workers/anchor-recheck-worker.ts";
import type { AnchorCheckDeps } from "./use-cases/confirm-anchors.ts";
import { withDeadlines } from "./adapters/store-deadlines.ts";
import { tsaClient } from "./adapters/tsa/tsa-client.ts";
import { p12PdfSigner, SigningKeyError } from "./adapters/signing/p12-pdf-signer.ts";
import type { PdfSigner } from "./ports/pdf-signer.ts";
import { startTimestampWorker } from "./workers/timestamp-worker.ts";
import { startWebhookWorker } from "./workers/webhook-worker.ts";
import { startCaseTimerWorker } from "./workers/case-timer-worker.ts";
import type { CaseDeps } from "./use-cases/case-steps.ts";
import { httpWebhookSender } from "./adapters/webhooks/http-sender.ts";
import { PACKAGE } from "./package-info.ts";
import type { TrustedAuthority } from "./use-cases/time-stamp-roots.ts";
import type { TimeTrust } from "./use-cases/verify-receipt.ts";

export interface RunningService {
  url: string;
  config: Config;
  chain: ConnectedChain;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** The clock case deadlines are set and fall due by (tests move it); the system's by default. */
  clock?: () => Date;
}

export async function startService(config: Config, log: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  // The holder of leases (anchoring, captures). With the embedded index only one process runs at a time,
  // so it keeps its name across restarts and resumes at once; instances sharing PostgreSQL each have
  // their own, and take over from one another when a lease runs out.
  const instance = config.databaseUrl ? `${hostname()}:${process.pid}:${newId.instance()}` : "embedded";
  const authorities = timestampAuthorities(config);
  const signer = await certificateSigner(config);
  const timeTrust: TimeTrust = {
    tsaTrustAnchors: authorities.flatMap((a) => a.trustAnchors),
    developmentChainIds: config.developmentChainIds,
  };
  const chain = await connectChain(config, log);
  let store: ContentStore | undefined;
  let opened: IndexStore | undefined;
  const metrics = createMetrics({
    evidenceByStatus: () => opened!.evidence.countByStatus(),
    oldestPendingReceivedAt: () => opened!.evidence.oldestPendingReceivedAt(),
    batchesByState: () => opened!.batches.countByState(),
    capturesByStatus: () => opened!.captures.countByStatus(),
  });
  try {
    const inner = config.ipfsApiUrl
      ? await KuboContentStore.connect(config.ipfsApiUrl)
      : await HeliaContentStore.open(join(config.dataDir, "ipfs"));
    store = withDeadlines(inner, {
      stepTimeoutMs: config.storeTimeoutMs,
      checkTimeoutMs: 3000,
      onFailure: (operation) => metrics.storeErrors.inc({ operation }),
    });
    opened = config.databaseUrl
      ? await openPostgresIndex(config.databaseUrl, { maxConnections: config.databaseMaxConnections, timeoutMs: config.databaseTimeoutMs })
      : await openSqliteIndex(join(config.dataDir, "index.sqlite"));
  } catch (error) {
    await store?.close();
    await chain.client.close();
    await chain.embedded?.stop();
    throw error;
  }
  const [contentStore, index] = [store, opened];
  // With the embedded index this is the only process: a key still held was held by one that died (a
  // kill -9 mid-request). Freed, its retry runs now rather than answering 409 until the hold expires.
  if (!config.databaseUrl) {
    const freed = await index.idempotencyKeys.releaseRunning();
    if (freed) log.warn({ keys: freed }, "idempotency keys held by requests that never answered were freed");
  }

  const keyFile = join(config.dataDir, "bootstrap-api-key");
  const bootstrap = await bootstrapAdmin(index, { bootstrapKey: config.bootstrapApiKey, keyFile });

  const workers = new AbortController();
  const worker = startAnchorWorker(
    {
      index,
      chain: chain.client,
      confirmations: config.confirmations,
      maxBatch: config.anchorMaxBatch,
      timestampAuthorities: authorities.map((a) => a.authority.url),
      persistedBlock: chain.embedded ? () => chain.embedded!.persistedBlock() : undefined,
      log: log.child({ component: "anchor" }),
    },
    {
      intervalMs: config.anchorIntervalMs,
      owner: instance,
      leaseMs: config.anchorLeaseMs,
      signal: workers.signal,
      log: log.child({ component: "anchor" }),
      onRun: (outcome) =>
        "error" in outcome ? metrics.chainErrors.inc({ operation: "anchor" }) : metrics.anchoredItems.inc(outcome.anchoredItems),
    },
  );

  const anchorChecks: AnchorCheckDeps = { chain: chain.client, index, confirmed: new Map(), log: log.child({ component: "anchors" }) };
  const recheckWorker = startAnchorRecheckWorker(anchorChecks, {
    intervalMs: config.anchorRecheckIntervalMs,
    signal: workers.signal,
    log: log.child({ component: "anchors" }),
    active: () => worker.status.role === "active",
    onError: () => metrics.chainErrors.inc({ operation: "recheck" }),
  });

  const timestampWorker = startTimestampWorker(
    {
      timestamps: index.timestamps,
      authorities,
      owner: instance,
      // One stamp is claimed at a time: its claim outlives the TSA's deadline.
      leaseMs: config.tsaTimeoutMs * 3,
      retryBaseMs: config.tsaRetryMs,
      log: log.child({ component: "timestamps" }),
    },
    { intervalMs: config.anchorIntervalMs, signal: workers.signal, log: log.child({ component: "timestamps" }) },
  );

  const releaseWorker = startReleaseWorker(
    { releases: index.releases, evidence: index.evidence, store: contentStore },
    {
      intervalMs: Math.min(60_000, Math.max(1000, config.contentReleaseDelayMs)),
      delayMs: config.contentReleaseDelayMs,
      signal: workers.signal,
      log: log.child({ component: "release" }),
    },
  );

  let url = "";
  const policy = { allowPrivate: config.captureAllowPrivate, allowHosts: [...config.captureAllowHosts] };
  const egress = egressGuard(policy);
  const browserMissing = () =>
    existsSync(config.chromiumPath) ? null : `no browser at ${config.chromiumPath} (set CHROMIUM_PATH, or install Debian's chromium)`;
  const captureWorker = startCaptureWorker(
    {
      index,
      store: contentStore,
      capturer: chromiumCapturer({
        chromiumPath: config.chromiumPath,
        policy,
        trustedSpki: config.captureTrustedSpki,
        maxScrollHeight: config.captureMaxScrollHeight,
        wacz: config.captureWacz,
        video: config.captureVideo ? { ffmpegPath: config.ffmpegPath } : undefined,
      }),
      egress,
      timeoutMs: config.captureTimeoutMs,
      maxBytes: config.captureMaxBytes,
    },
    {
      concurrency: config.captureConcurrency,
      owner: instance,
      leaseMs: config.captureLeaseMs,
      maxAttempts: 3,
      ownerSurvivesRestarts: !config.databaseUrl,
      signal: workers.signal,
      log: log.child({ component: "capture" }),
    },
  );

  // Webhooks pass the captures' egress rule, with their own opening (WEBHOOK_ALLOW_HOSTS), never CAPTURE_ALLOW_PRIVATE.
  const webhookEgress = egressGuard({ allowPrivate: false, allowHosts: [...config.webhookAllowHosts] });
  const webhookWorker = startWebhookWorker(
    {
      index,
      egress: webhookEgress,
      sender: httpWebhookSender({ timeoutMs: config.webhookTimeoutMs, userAgent: `${PACKAGE.name}/${PACKAGE.version}` }),
      retry: config.webhookRetry,
      owner: instance,
      // A claim outlives its attempt: the DNS check's deadline and the POST's.
      leaseMs: config.webhookTimeoutMs * 2 + 15_000,
      log: log.child({ component: "webhooks" }),
    },
    { intervalMs: config.webhookIntervalMs, signal: workers.signal, log: log.child({ component: "webhooks" }) },
  );

  const cases: CaseDeps = {
    index,
    store: contentStore,
    egress,
    maxWaitingCaptures: config.captureQueueMaxPerAccount,
    now: options.clock ?? (() => new Date()),
    platformDefaults: config.platformDefaults,
  };
  const caseTimerWorker = startCaseTimerWorker(cases, {
    owner: instance,
    intervalMs: config.caseTimerIntervalMs,
    signal: workers.signal,
    log: log.child({ component: "cases" }),
  });

  const app = createApp({
    captures: { index, egress, unavailable: browserMissing, maxWaiting: config.captureQueueMaxPerAccount },
    cases,
    webhookEgress,
    store: contentStore,
    index,
    anchors: anchorChecks,
    metrics,
    maxUploadBytes: config.maxUploadBytes,
    snapshotBatch: config.snapshotBatch,
    idempotencyKeyTtlMs: config.idempotencyKeyTtlMs,
    log,
    trustProxy: config.trustProxy,
    chainReader: () => jsonRpcChainReader(chain.rpcUrl, { timeoutMs: config.chainTimeoutMs }),
    timeTrust,
    tsaCaByUrl: new Map(authorities.map((a) => [a.authority.url, a.trustAnchors[0]!])),
    certificate: {
      issuer: config.operator,
      publicUrl: config.publicUrl,
      signer,
      timestampWaitMs: config.certificateTimestampWaitMs,
    },
    verifyRateLimitPerMinute: config.verifyRateLimit,
    readiness: {
      chain: async () => {
        await chain.client.blockNumber();
      },
      ipfs: () => contentStore.check(),
      index: () => index.check(),
      anchoring: () => {
        if (worker.status.lastError) throw new Error(worker.status.lastError);
      },
    },
    status: async () => ({
      instance,
      index: index.kind,
      capture: { browser: config.chromiumPath, available: browserMissing() === null },
      chain: { chainId: chain.deployment.chainId, registry: chain.deployment.address },
      queue: await index.evidence.countByStatus().catch(() => null),
      anchoring: worker.status,
    }),
  });

  const stopWorkers = () => {
    workers.abort();
    return Promise.all([
      worker.done,
      captureWorker.done,
      releaseWorker.done,
      recheckWorker.done,
      timestampWorker.done,
      webhookWorker.done,
      caseTimerWorker.done,
    ]);
  };
  const closeResources = async () => {
    await index.close();
    await contentStore.close();
    await chain.client.close();
    await chain.embedded?.stop();
  };

  let server: Server;
  try {
    server = await new Promise((resolve, reject) => {
      // Express 5 hands a listen error to this callback (and emits it too).
      const s = app.listen(config.port, config.host, (error?: Error) => (error ? reject(error) : resolve(s)));
      s.once("error", reject);
    });
  } catch (error) {
    // The port is taken, say: undo what was started.
    await stopWorkers();
    await closeResources();
    throw error;
  }
  server.on("clientError", answerClientError);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;

  log.info(
    {
      url,
      chain: { rpcUrl: chain.rpcUrl, chainId: chain.deployment.chainId, registry: chain.deployment.address, embedded: !!chain.embedded },
      index: index.kind,
      instance,
      dataDir: config.dataDir,
    },
    "evidence service listening",
  );
  if (bootstrap.created && bootstrap.generatedKey) {
    // Printed once, on stderr, not through the logger: secrets never go to logs.
    process.stderr.write(
      `\nAdmin API key (shown once; also saved to ${keyFile}, mode 0600):\n  ${bootstrap.generatedKey}\n` +
        `Use it as:  curl -H "Authorization: Bearer $(cat ${keyFile})" ${url}/v1/account\n\n`,
    );
  } else {
    log.info({ keyFile: config.bootstrapApiKey ? "(BOOTSTRAP_API_KEY)" : keyFile }, "authenticate with 'Authorization: Bearer <API key>'");
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info("shutting down");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all([closed, stopWorkers()]); // in-flight requests and work finish first
      await closeResources();
      log.info("stopped");
    })();
    return stopping;
  };
  return { url, config, chain, stop };
}

/** Each configured TSA with its CA, read now: a CA file that cannot be read stops the start. */
function timestampAuthorities(config: Config): TrustedAuthority[] {
  return config.timestampAuthorities.map(({ url, caFile }) => {
    let pem: string;
    try {
      pem = readFileSync(caFile, "utf8");
    } catch (error) {
      throw new AppError(Errors.CONFIG_INVALID, {
        reason: `TSA_CA_FILES: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code})`,
      });
    }
    if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
      throw new AppError(Errors.CONFIG_INVALID, { reason: `TSA_CA_FILES: ${caFile} holds no PEM certificate` });
    }
    return { authority: tsaClient(url, { timeoutMs: config.tsaTimeoutMs }), trustAnchors: [pem] };
  });
}

/** The signer of certificates, opened and tried now: a bad file or password stops the start, naming the variable. */
async function certificateSigner(config: Config): Promise<PdfSigner | undefined> {
  if (!config.certificateSigning) return undefined;
  const { p12File, password } = config.certificateSigning;
  let p12: Buffer;
  try {
    p12 = readFileSync(p12File);
  } catch (error) {
    throw new AppError(Errors.CONFIG_INVALID, {
      reason: `CERTIFICATE_SIGNING_P12: cannot read ${p12File} (${(error as NodeJS.ErrnoException).code})`,
    });
  }
  try {
    return await p12PdfSigner(p12, password);
  } catch (error) {
    if (!(error instanceof SigningKeyError)) throw error;
    // Never the password itself: only which variable is wrong.
    const reason =
      error.field === "password"
        ? `CERTIFICATE_SIGNING_P12_PASSWORD ${error.message} ${p12File}`
        : `CERTIFICATE_SIGNING_P12: ${p12File} ${error.message}`;
    throw new AppError(Errors.CONFIG_INVALID, { reason });
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  // Handlers first: a signal that arrives while the service is starting still stops it cleanly.
  let service: Promise<RunningService | undefined> = Promise.resolve(undefined);
  const shutdown = (signal: string) => {
    log.info({ signal }, "signal received");
    setTimeout(() => {
      log.error("shutdown took too long; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    service
      .then((running) => running?.stop())
      .then(
        () => process.exit(0),
        (error) => {
          log.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  service = startService(config, log).catch((error) => {
    log.fatal({ err: isAppError(error) ? undefined : error }, error instanceof Error ? error.message : String(error));
    // A configuration found wrong only on connecting (no registry, a key without the role) is still bad
    // configuration: the documented exit code 2, so a supervisor does not restart in a loop.
    process.exit(isAppError(error, Errors.CONFIG_INVALID) ? 2 : 1);
  });
  await service;
}

if (import.meta.main ?? process.argv[1] === new URL(import.meta.url).pathname) {
  await main();
}
