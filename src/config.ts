/**
 * Configuration: read from the environment once at start, validated, frozen. A bad value stops the
 * start with a message naming the variable. docs/configuration.md lists every variable.
 */
import type { PlatformSettings } from "./ports/account-repository.ts";
import { resolve } from "node:path";
import { z } from "zod";
import { AppError, Errors } from "./errors.ts";

const MiB = 1024 * 1024;

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const optionalUrl = z
  .string()
  .url()
  .refine((u) => /^https?:/.test(u), "must be an http(s) URL")
  .optional();
const privateKey = z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be 32 bytes of hex");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address");
const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
/** A comma-separated list, each item trimmed, empty items dropped. */
const list = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((h) => h.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item));

const schema = z
  .object({
    PORT: port.default(8080),
    HOST: z.string().min(1).default("127.0.0.1"),
    DATA_DIR: z.string().min(1).default("./data"),
    CHAIN_RPC_URL: optionalUrl,
    CHAIN_PORT: port.default(8545),
    ANCHOR_PRIVATE_KEY: privateKey.optional(),
    REGISTRY_ADDRESS: address.optional(),
    CONFIRMATIONS: positiveInt.max(1000).default(1),
    CHAIN_TIMEOUT_MS: positiveInt.min(100).default(15_000),
    ANCHOR_INTERVAL_MS: positiveInt.min(50).default(2000),
    ANCHOR_MAX_BATCH: positiveInt.max(100_000).default(1000),
    ANCHOR_RECHECK_INTERVAL_MS: positiveInt.min(100).default(60_000),
    IPFS_API_URL: optionalUrl,
    IPFS_BLOCKSTORE_SHARED: bool.default(false),
    DATABASE_URL: z
      .string()
      .refine((u) => /^postgres(ql)?:\/\//.test(u), "must be a postgres:// URL")
      .optional(),
    DATABASE_MAX_CONNECTIONS: positiveInt.max(1000).default(10),
    DATABASE_TIMEOUT_MS: positiveInt.min(100).default(15_000),
    ANCHOR_LEASE_MS: positiveInt.min(500).default(30_000),
    CAPTURE_LEASE_MS: positiveInt.min(500).default(60_000),
    MAX_UPLOAD_BYTES: positiveInt.default(50 * MiB),
    SNAPSHOT_BATCH_MAX_LINES: positiveInt.max(100_000).default(1000),
    SNAPSHOT_BATCH_MAX_BYTES: positiveInt.default(10 * MiB),
    IDEMPOTENCY_KEY_TTL_HOURS: positiveInt.max(24 * 365).default(24),
    STORE_TIMEOUT_MS: positiveInt.min(100).default(30_000),
    CONTENT_RELEASE_DELAY_MS: z.coerce.number().int().min(0).default(600_000),
    BOOTSTRAP_API_KEY: z.string().min(24, "must be at least 24 characters").optional(),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    TRUST_PROXY: bool.default(false),
    SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),
    VERIFY_RATE_LIMIT: positiveInt.default(30),
    CHROMIUM_PATH: z.string().min(1).default("/usr/bin/chromium"),
    CAPTURE_TIMEOUT_MS: positiveInt.min(1000).default(30_000),
    CAPTURE_MAX_BYTES: positiveInt.default(50 * MiB),
    CAPTURE_MAX_SCROLL_HEIGHT: positiveInt.min(1000).max(100_000).default(20_000),
    CAPTURE_CONCURRENCY: positiveInt.max(16).default(2),
    CAPTURE_QUEUE_MAX_PER_ACCOUNT: positiveInt.max(100_000).default(200),
    CAPTURE_ALLOW_PRIVATE: bool.default(false),
    CAPTURE_WACZ: bool.default(true),
    CAPTURE_VIDEO: bool.default(true),
    FFMPEG_PATH: z.string().min(1).default("/usr/bin/ffmpeg"),
    CAPTURE_TRUSTED_SPKI: list(z.string().regex(/^[A-Za-z0-9+/]{43}=$/, "must be base64 SHA-256 hashes of public keys (SPKI)")).default([]),
    CAPTURE_ALLOW_HOSTS: list(z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d+$/, "must be a comma-separated list of host:port")).default(
      [],
    ),
    TSA_URLS: list(z.url({ protocol: /^https?$/, message: "must be http(s) URLs" })).default([]),
    TSA_CA_FILES: list(z.string().min(1)).default([]),
    TSA_TIMEOUT_MS: positiveInt.min(100).default(10_000),
    TSA_RETRY_MS: positiveInt.min(100).default(5000),
    NOTICE_DECISION_HOURS: positiveInt.max(24 * 90).default(24),
    NOTICE_COUNTER_NOTICE_DAYS: positiveInt.min(184).max(3650).default(184),
    NOTICE_RESTORE_BUSINESS_DAYS: positiveInt.min(10).max(14).default(10),
    CASE_TIMER_INTERVAL_MS: positiveInt.min(10).default(1000),
    WEBHOOK_TIMEOUT_MS: positiveInt.min(100).max(60_000).default(10_000),
    WEBHOOK_INTERVAL_MS: positiveInt.min(10).default(1000),
    WEBHOOK_RETRY_BASE_MS: positiveInt.min(10).default(30_000),
    WEBHOOK_RETRY_MAX_MS: positiveInt.min(10).default(3_600_000),
    WEBHOOK_RETRY_WINDOW_MS: positiveInt.min(100).default(72 * 3_600_000),
    WEBHOOK_ALLOW_HOSTS: list(z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d+$/, "must be a comma-separated list of host:port")).default(
      [],
    ),
    DEVELOPMENT_CHAIN_IDS: list(
      z
        .string()
        .regex(/^[1-9][0-9]{0,15}$/, "must be chain ids")
        .transform(Number),
    ).default([]),
    PUBLIC_URL: optionalUrl,
    CERTIFICATE_TIMESTAMP_WAIT_MS: z.coerce.number().int().min(0).default(600_000),
    CERTIFICATE_SIGNING_P12: z.string().min(1).optional(),
    CERTIFICATE_SIGNING_P12_PASSWORD: z.string().optional(),
    OPERATOR_NAME: z.string().trim().min(1).max(200).optional(),
    OPERATOR_CONTACT: z.string().trim().min(1).max(300).optional(),
    OPERATOR_STATEMENT: z.string().trim().min(1).max(2000).optional(),
  })
  .superRefine((env, ctx) => {
    // Each TSA is trusted through its own CA: a token is worth what the certificate chain behind it is.
    if (env.TSA_CA_FILES.length !== env.TSA_URLS.length) {
      ctx.addIssue({
        code: "custom",
        path: ["TSA_CA_FILES"],
        message: `must name one CA file (PEM) per TSA in TSA_URLS, in the same order (${env.TSA_URLS.length} TSA, ${env.TSA_CA_FILES.length} files)`,
      });
    }
    if (new Set(env.TSA_URLS).size !== env.TSA_URLS.length) {
      ctx.addIssue({ code: "custom", path: ["TSA_URLS"], message: "names a TSA twice" });
    }
    if (env.CERTIFICATE_SIGNING_P12_PASSWORD !== undefined && !env.CERTIFICATE_SIGNING_P12) {
      ctx.addIssue({ code: "custom", path: ["CERTIFICATE_SIGNING_P12"], message: "is required with CERTIFICATE_SIGNING_P12_PASSWORD" });
    }
    if (env.CHAIN_RPC_URL && !env.ANCHOR_PRIVATE_KEY) {
      ctx.addIssue({ code: "custom", path: ["ANCHOR_PRIVATE_KEY"], message: "is required with CHAIN_RPC_URL" });
    }
    // Several instances share one database: each must reach the same chain and the same content.
    if (env.DATABASE_URL && !env.CHAIN_RPC_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["CHAIN_RPC_URL"],
        message: "is required with DATABASE_URL: instances sharing a database must anchor on one chain, not each its own embedded one",
      });
    }
    if (env.DATABASE_URL && !env.IPFS_API_URL && !env.IPFS_BLOCKSTORE_SHARED) {
      ctx.addIssue({
        code: "custom",
        path: ["IPFS_API_URL"],
        message:
          "is required with DATABASE_URL: instances sharing a database must share their content (a Kubo node), or set IPFS_BLOCKSTORE_SHARED=true if DATA_DIR/ipfs is one shared folder",
      });
    }
  });

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** undefined: start the embedded chain (anvil) on `chainPort`. */
  readonly chainRpcUrl: string | undefined;
  readonly chainPort: number;
  readonly anchorPrivateKey: string | undefined;
  readonly registryAddress: string | undefined;
  readonly confirmations: number;
  /** Deadline of each call to the chain's JSON-RPC endpoint. */
  readonly chainTimeoutMs: number;
  readonly anchorIntervalMs: number;
  readonly anchorMaxBatch: number;
  /** How often the newest anchors are re-checked against the chain (lost ones are queued again). */
  readonly anchorRecheckIntervalMs: number;
  /** undefined: the embedded IPFS block store under dataDir. */
  readonly ipfsApiUrl: string | undefined;
  /** The embedded block store's folder is shared by every instance (a network file system). */
  readonly ipfsBlockstoreShared: boolean;
  /** undefined: the embedded SQLite index under dataDir; else PostgreSQL, shared by several instances. */
  readonly databaseUrl: string | undefined;
  readonly databaseMaxConnections: number;
  /** Deadline of each statement, and of getting a connection. */
  readonly databaseTimeoutMs: number;
  /** How long the anchoring lease lasts unless renewed: another instance takes over after it. */
  readonly anchorLeaseMs: number;
  /** How long a capture's claim lasts unless renewed: it is run again after it. */
  readonly captureLeaseMs: number;
  readonly maxUploadBytes: number;
  /** POST /v1/evidence/listing-snapshots:batch: most lines, and most bytes, in one request. */
  readonly snapshotBatch: { readonly maxLines: number; readonly maxBytes: number };
  /** How long an Idempotency-Key's first answer is kept (and the key cannot be reused for another request). */
  readonly idempotencyKeyTtlMs: number;
  /** Longest the content store may take over one step (a chunk, a call) before it counts as down. */
  readonly storeTimeoutMs: number;
  /** How long the content of a refused upload waits before it is unpinned (if no record uses it). */
  readonly contentReleaseDelayMs: number;
  readonly bootstrapApiKey: string | undefined;
  readonly logLevel: string;
  readonly trustProxy: boolean;
  readonly shutdownTimeoutMs: number;
  /** POST /v1/verify requests per minute per client address. */
  readonly verifyRateLimit: number;
  readonly chromiumPath: string;
  readonly captureTimeoutMs: number;
  readonly captureMaxBytes: number;
  /** How far down a captured page is scrolled, and shown in its screenshot (CSS pixels). */
  readonly captureMaxScrollHeight: number;
  readonly captureConcurrency: number;
  /** Most captures one account may have waiting (queued or running). */
  readonly captureQueueMaxPerAccount: number;
  /** Let captures reach private and loopback addresses (tests, and closed networks only). */
  readonly captureAllowPrivate: boolean;
  /** host:port pairs captures may reach whatever their address. */
  readonly captureAllowHosts: readonly string[];
  /** Extra certificates (SPKI SHA-256, base64) the capture browser trusts: closed networks and tests. */
  readonly captureTrustedSpki: readonly string[];
  /** Package each capture's visit as a WACZ archive (an artifact of its own). */
  readonly captureWacz: boolean;
  /** Record a video of every capture's visit (with ffmpeg at ffmpegPath). */
  readonly captureVideo: boolean;
  readonly ffmpegPath: string;
  /** The address users reach this service at (certificates link to its /verify page); default: the listening URL. */
  readonly publicUrl: string | undefined;
  /** RFC 3161 time-stamp authorities asked to stamp every batch root, each with the CA file it is trusted by. */
  readonly timestampAuthorities: readonly { readonly url: string; readonly caFile: string }[];
  /** Deadline of each request to a TSA. */
  readonly tsaTimeoutMs: number;
  /** First wait before a failed time-stamp is asked again; it doubles each time, to an hour at most. */
  readonly tsaRetryMs: number;
  /** Chain ids the operator marks as development chains, beyond 31337 and 1337. */
  readonly developmentChainIds: readonly number[];
  /** Longest a certificate waits for a TSA that has not answered, counted from when it was asked. */
  readonly certificateTimestampWaitMs: number;
  /** A platform account's clocks when it sets none (NOTICE_DECISION_HOURS, NOTICE_COUNTER_NOTICE_DAYS, NOTICE_RESTORE_BUSINESS_DAYS). */
  readonly platformDefaults: PlatformSettings;
  /** How often the case-timer worker looks for timers that fell due. */
  readonly caseTimerIntervalMs: number;
  /** Deadline of each webhook POST, from connecting to the answer's last byte. */
  readonly webhookTimeoutMs: number;
  /** How often the webhook worker looks for new events and due deliveries. */
  readonly webhookIntervalMs: number;
  /** A failed delivery's retries: exponential backoff with jitter from baseMs to maxMs, for windowMs, then dead-lettered. */
  readonly webhookRetry: { readonly baseMs: number; readonly maxMs: number; readonly windowMs: number };
  /** host:port pairs webhooks may be sent to whatever their address (tests, closed networks). */
  readonly webhookAllowHosts: readonly string[];
  /** The PKCS#12 file certificates are signed with, and its password (never logged); undefined: unsigned. */
  readonly certificateSigning: { readonly p12File: string; readonly password: string } | undefined;
  /** Who issues the certificates, as printed on them. */
  readonly operator: { readonly name: string | undefined; readonly contact: string | undefined; readonly statement: string | undefined };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as a shell user would expect from `FOO= npm start`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ");
    throw new AppError(Errors.CONFIG_INVALID, { reason });
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: resolve(e.DATA_DIR),
    chainRpcUrl: e.CHAIN_RPC_URL,
    chainPort: e.CHAIN_PORT,
    anchorPrivateKey: e.ANCHOR_PRIVATE_KEY,
    registryAddress: e.REGISTRY_ADDRESS,
    confirmations: e.CONFIRMATIONS,
    chainTimeoutMs: e.CHAIN_TIMEOUT_MS,
    anchorIntervalMs: e.ANCHOR_INTERVAL_MS,
    anchorMaxBatch: e.ANCHOR_MAX_BATCH,
    anchorRecheckIntervalMs: e.ANCHOR_RECHECK_INTERVAL_MS,
    ipfsApiUrl: e.IPFS_API_URL,
    ipfsBlockstoreShared: e.IPFS_BLOCKSTORE_SHARED,
    databaseUrl: e.DATABASE_URL,
    databaseMaxConnections: e.DATABASE_MAX_CONNECTIONS,
    databaseTimeoutMs: e.DATABASE_TIMEOUT_MS,
    anchorLeaseMs: e.ANCHOR_LEASE_MS,
    captureLeaseMs: e.CAPTURE_LEASE_MS,
    maxUploadBytes: e.MAX_UPLOAD_BYTES,
    snapshotBatch: Object.freeze({ maxLines: e.SNAPSHOT_BATCH_MAX_LINES, maxBytes: e.SNAPSHOT_BATCH_MAX_BYTES }),
    idempotencyKeyTtlMs: e.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000,
    storeTimeoutMs: e.STORE_TIMEOUT_MS,
    contentReleaseDelayMs: e.CONTENT_RELEASE_DELAY_MS,
    bootstrapApiKey: e.BOOTSTRAP_API_KEY,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    verifyRateLimit: e.VERIFY_RATE_LIMIT,
    chromiumPath: e.CHROMIUM_PATH,
    captureTimeoutMs: e.CAPTURE_TIMEOUT_MS,
    captureMaxBytes: e.CAPTURE_MAX_BYTES,
    captureMaxScrollHeight: e.CAPTURE_MAX_SCROLL_HEIGHT,
    captureConcurrency: e.CAPTURE_CONCURRENCY,
    captureQueueMaxPerAccount: e.CAPTURE_QUEUE_MAX_PER_ACCOUNT,
    captureAllowPrivate: e.CAPTURE_ALLOW_PRIVATE,
    captureTrustedSpki: Object.freeze(e.CAPTURE_TRUSTED_SPKI),
    captureWacz: e.CAPTURE_WACZ,
    captureVideo: e.CAPTURE_VIDEO,
    ffmpegPath: e.FFMPEG_PATH,
    captureAllowHosts: Object.freeze(e.CAPTURE_ALLOW_HOSTS.map((h) => h.replace(/^\[(.*)\]:/, "$1:"))),
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ""),
    timestampAuthorities: Object.freeze(e.TSA_URLS.map((url, i) => Object.freeze({ url, caFile: resolve(e.TSA_CA_FILES[i]!) }))),
    tsaTimeoutMs: e.TSA_TIMEOUT_MS,
    tsaRetryMs: e.TSA_RETRY_MS,
    developmentChainIds: Object.freeze(e.DEVELOPMENT_CHAIN_IDS),
    certificateTimestampWaitMs: e.CERTIFICATE_TIMESTAMP_WAIT_MS,
    platformDefaults: Object.freeze({
      decisionDueHours: e.NOTICE_DECISION_HOURS,
      counterNoticeWindowDays: e.NOTICE_COUNTER_NOTICE_DAYS,
      restoreAfterBusinessDays: e.NOTICE_RESTORE_BUSINESS_DAYS,
    }),
    caseTimerIntervalMs: e.CASE_TIMER_INTERVAL_MS,
    webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
    webhookIntervalMs: e.WEBHOOK_INTERVAL_MS,
    webhookRetry: Object.freeze({ baseMs: e.WEBHOOK_RETRY_BASE_MS, maxMs: e.WEBHOOK_RETRY_MAX_MS, windowMs: e.WEBHOOK_RETRY_WINDOW_MS }),
    webhookAllowHosts: Object.freeze(e.WEBHOOK_ALLOW_HOSTS.map((h) => h.replace(/^\[(.*)\]:/, "$1:"))),
    certificateSigning: e.CERTIFICATE_SIGNING_P12
      ? Object.freeze({ p12File: resolve(e.CERTIFICATE_SIGNING_P12), password: e.CERTIFICATE_SIGNING_P12_PASSWORD ?? "" })
      : undefined,
    operator: Object.freeze({ name: e.OPERATOR_NAME, contact: e.OPERATOR_CONTACT, statement: e.OPERATOR_STATEMENT }),
  });
}
