/**
 * The index over SQL, one set of repositories for both dialects (Kysely):
 *
 * - SQLite (`node:sqlite`, the embedded default): WAL with synchronous=FULL, so a committed record
 *   survives a power cut. Writes go through one queue: transactions that arrive together share one
 *   commit (group commit: one fsync for many uploads), each in its own savepoint, so one that fails is
 *   rolled back alone. Reads outside a transaction use a second, read-only connection, and never see a
 *   transaction that is still open. node:sqlite is synchronous, so a file another program holds locked
 *   is waited for here, in short asynchronous retries (the service keeps answering meanwhile), not in
 *   SQLite's busy handler, which would stop the whole process.
 * - PostgreSQL (DATABASE_URL, several instances): a connection pool; each transaction on one
 *   connection, read committed; rows other instances contend for are locked (FOR UPDATE SKIP LOCKED).
 *
 * Failures to reach the database (a server down, a pool exhausted, a file locked past the lock wait, a
 * full disk) become INDEX_UNAVAILABLE (503); anything else is a bug and passes as it is.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DatabaseSync } from "node:sqlite";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { AppError, Errors, isAppError } from "../../errors.ts";
import type { IndexStore, Repositories } from "../../ports/index-store.ts";
import { SqlAccountRepository } from "./account-repository.ts";
import { SqlBatchRepository } from "./batch-repository.ts";
import { SqlCaptureRepository } from "./capture-repository.ts";
import { SqlCustodyLog } from "./custody-log.ts";
import { SqlCertificateRepository } from "./certificate-repository.ts";
import type { Dialect } from "./dialect.ts";
import { SqlEvidenceRepository } from "./evidence-repository.ts";
import { migrate } from "./migrate.ts";
import { POSTGRES_MIGRATIONS } from "./postgres/migrations.ts";
import type { Database } from "./schema.ts";
import { SqlContentReleases, SqlIdempotencyKeys, SqlLeases, SqlOutbox, SqlRateLimits } from "./small-repositories.ts";
import { SqlTimestampRepository } from "./timestamp-repository.ts";
import { SqlNoticeRepository } from "./notice-repository.ts";
import { SqlWebhookRepository } from "./webhook-repository.ts";
import { kyselyDatabase } from "./sqlite/node-sqlite-database.ts";
import { SQLITE_MIGRATIONS } from "./sqlite/migrations.ts";

function repositories(db: Kysely<Database>, dialect: Dialect): Repositories {
  return {
    evidence: new SqlEvidenceRepository(db),
    batches: new SqlBatchRepository(db),
    captures: new SqlCaptureRepository(db, dialect),
    accounts: new SqlAccountRepository(db),
    outbox: new SqlOutbox(db),
    releases: new SqlContentReleases(db),
    leases: new SqlLeases(db, dialect),
    rateLimits: new SqlRateLimits(db),
    timestamps: new SqlTimestampRepository(db, dialect),
    custody: new SqlCustodyLog(db, dialect),
    certificates: new SqlCertificateRepository(db),
    webhooks: new SqlWebhookRepository(db, dialect),
    idempotencyKeys: new SqlIdempotencyKeys(db),
    notices: new SqlNoticeRepository(db, dialect),
  };
}

/** Methods that only read: outside a transaction, SQLite serves them from its read-only connection. */
const READS: Record<keyof Repositories, readonly string[]> = {
  evidence: ["get", "getMany", "list", "countByStatus", "oldestPendingReceivedAt", "isContentReferenced", "nextPending", "itemsOf"],
  batches: ["open", "recentAnchors", "countByState"],
  captures: ["get", "list", "countByStatus", "claimable", "countWaiting"],
  accounts: ["count", "get", "byKeyHash", "listKeys"],
  outbox: ["after"],
  releases: ["due"],
  leases: [],
  rateLimits: [],
  timestamps: ["forRoot", "anyDue", "countByStatus"],
  custody: ["head", "range", "seqsOf", "anchoredHeadFrom", "anchoredHeadBefore", "anchoredHeadsIn"],
  certificates: ["get"],
  webhooks: ["list", "get", "ofAccounts", "deliveries"],
  idempotencyKeys: [],
  notices: ["get", "isParty", "list", "filedBetween", "events", "eventsOf", "captures", "parties", "pendingTimers"],
};

// PostgreSQL: connection exceptions (08), insufficient resources (53), operator intervention (57:
// shutdown, statement timeout); node's socket errors; the pool's own timeout.
const PG_UNAVAILABLE = /^(08|53|57)/;
const SOCKET_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EPIPE"]);
// SQLite: busy or locked past busy_timeout, disk full, I/O errors, cannot open.
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY)/;

function unavailable(error: unknown): AppError | undefined {
  if (isAppError(error)) return undefined;
  const e = error as { code?: unknown; errstr?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  const errstr = typeof e?.errstr === "string" ? e.errstr : "";
  const sqliteCode = /^SQLITE_/.test(code) ? code : (/SQLITE_[A-Z_]+/.exec(String(e?.message ?? ""))?.[0] ?? "");
  if (
    PG_UNAVAILABLE.test(code) ||
    SOCKET_ERRORS.has(code) ||
    SQLITE_UNAVAILABLE.test(sqliteCode) ||
    /database is locked|disk is full/.test(errstr)
  ) {
    return new AppError(Errors.INDEX_UNAVAILABLE, { reason: String(e?.message ?? error) }, error);
  }
  if (/timeout exceeded when trying to connect|Connection terminated|is not queryable/i.test(String(e?.message ?? ""))) {
    return new AppError(Errors.INDEX_UNAVAILABLE, { reason: String(e?.message) }, error);
  }
  return undefined;
}

async function classified<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw unavailable(error) ?? error;
  }
}

/** Each repository method routed by `route` (a read, or a write in its own transaction), errors classified. */
function routed(read: Repositories, write: (name: keyof Repositories, method: string, args: unknown[]) => Promise<unknown>): Repositories {
  const result = {} as Record<string, unknown>;
  for (const name of Object.keys(READS) as (keyof Repositories)[]) {
    const target = read[name] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    result[name] = new Proxy(target, {
      get(repo, method: string) {
        const fn = repo[method];
        if (typeof fn !== "function") return fn;
        return READS[name].includes(method)
          ? (...args: unknown[]) => classified(fn.apply(repo, args))
          : (...args: unknown[]) => write(name, method, args);
      },
    });
  }
  return result as unknown as Repositories;
}

class PostgresIndexStore implements IndexStore {
  readonly kind = "postgres";
  readonly #db: Kysely<Database>;
  declare readonly evidence: Repositories["evidence"];
  declare readonly batches: Repositories["batches"];
  declare readonly captures: Repositories["captures"];
  declare readonly accounts: Repositories["accounts"];
  declare readonly outbox: Repositories["outbox"];
  declare readonly releases: Repositories["releases"];
  declare readonly leases: Repositories["leases"];
  declare readonly rateLimits: Repositories["rateLimits"];
  declare readonly timestamps: Repositories["timestamps"];
  declare readonly custody: Repositories["custody"];
  declare readonly certificates: Repositories["certificates"];
  declare readonly webhooks: Repositories["webhooks"];
  declare readonly idempotencyKeys: Repositories["idempotencyKeys"];
  declare readonly notices: Repositories["notices"];

  constructor(db: Kysely<Database>) {
    this.#db = db;
    const repos = repositories(db, "postgres");
    // Outside a transaction, each call is its own statement on any pooled connection.
    Object.assign(
      this,
      routed(repos, (name, method, args) => classified((repos[name] as any)[method](...args))),
    );
  }

  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    return classified(this.#db.transaction().execute((tx) => work(repositories(tx, "postgres"))));
  }

  async check(): Promise<void> {
    await classified(sql`SELECT 1`.execute(this.#db));
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }
}

interface QueuedWork {
  work: (tx: Repositories) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Date.now() when it was queued: its wait for a lock ends lockWaitMs after, whatever was ahead of it. */
  queuedAt: number;
}

class SqliteIndexStore implements IndexStore {
  readonly kind = "sqlite";
  readonly #writer: Kysely<Database>;
  readonly #reader: Kysely<Database>;
  readonly #txRepositories: Repositories;
  readonly #lockWaitMs: number;
  #queue: QueuedWork[] = [];
  #flushing = false;
  #closed = false;
  declare readonly evidence: Repositories["evidence"];
  declare readonly batches: Repositories["batches"];
  declare readonly captures: Repositories["captures"];
  declare readonly accounts: Repositories["accounts"];
  declare readonly outbox: Repositories["outbox"];
  declare readonly releases: Repositories["releases"];
  declare readonly leases: Repositories["leases"];
  declare readonly rateLimits: Repositories["rateLimits"];
  declare readonly timestamps: Repositories["timestamps"];
  declare readonly custody: Repositories["custody"];
  declare readonly certificates: Repositories["certificates"];
  declare readonly webhooks: Repositories["webhooks"];
  declare readonly idempotencyKeys: Repositories["idempotencyKeys"];
  declare readonly notices: Repositories["notices"];

  /** `reader`: a read-only connection to the same file, or null (in memory: reads queue with the writes). */
  constructor(writer: Kysely<Database>, reader: Kysely<Database> | null, lockWaitMs: number) {
    this.#writer = writer;
    this.#lockWaitMs = lockWaitMs;
    this.#reader = reader ?? writer;
    this.#txRepositories = repositories(writer, "sqlite");
    const write = (name: keyof Repositories, method: string, args: unknown[]) =>
      this.transaction((tx) => (tx[name] as any)[method](...args));
    Object.assign(this, reader ? routed(repositories(reader, "sqlite"), write) : routedAllThroughQueue(write));
  }

  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new AppError(Errors.INDEX_UNAVAILABLE, { reason: "the index is closed" }));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject, queuedAt: Date.now() });
      if (!this.#flushing) {
        this.#flushing = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  /** Runs what is queued in one transaction, each in a savepoint; repeats while more arrived meanwhile. */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length) {
        const group = this.#queue;
        this.#queue = [];
        const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
        try {
          await this.#begin(Math.min(...group.map((entry) => entry.queuedAt)) + this.#lockWaitMs);
          for (const entry of group) {
            await sql`SAVEPOINT unit`.execute(this.#writer);
            try {
              outcomes.push({ ok: true, value: await entry.work(this.#txRepositories) });
              await sql`RELEASE unit`.execute(this.#writer);
            } catch (error) {
              await sql`ROLLBACK TO unit`.execute(this.#writer);
              await sql`RELEASE unit`.execute(this.#writer);
              outcomes.push({ ok: false, error: unavailable(error) ?? error });
            }
          }
          await sql`COMMIT`.execute(this.#writer);
        } catch (error) {
          await sql`ROLLBACK`.execute(this.#writer).catch(() => undefined);
          const failure = unavailable(error) ?? error;
          for (const entry of group) entry.reject(failure);
          continue;
        }
        group.forEach((entry, i) => {
          const outcome = outcomes[i]!;
          if (outcome.ok) entry.resolve(outcome.value);
          else entry.reject(outcome.error);
        });
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** BEGIN IMMEDIATE, retried while another program holds the write lock, until `deadline` (Date.now()). */
  async #begin(deadline: number): Promise<void> {
    for (;;) {
      try {
        await sql`BEGIN IMMEDIATE`.execute(this.#writer);
        return;
      } catch (error) {
        if (!/SQLITE_BUSY|database is locked/.test(String((error as Error)?.message)) || Date.now() >= deadline) throw error;
        await sleep(LOCK_RETRY_MS);
      }
    }
  }

  async check(): Promise<void> {
    await classified(sql`SELECT 1`.execute(this.#reader));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing || this.#queue.length) await new Promise((r) => setImmediate(r)); // commit what was accepted
    this.#closed = true;
    if (this.#reader !== this.#writer) await this.#reader.destroy();
    await this.#writer.destroy();
  }
}

/** In memory there is one connection: every call, read or write, takes its turn in the queue. */
function routedAllThroughQueue(write: (name: keyof Repositories, method: string, args: unknown[]) => Promise<unknown>): Repositories {
  const result = {} as Record<string, unknown>;
  for (const name of Object.keys(READS) as (keyof Repositories)[]) {
    result[name] = new Proxy(
      {},
      {
        get:
          (_target, method: string) =>
          (...args: unknown[]) =>
            write(name, method, args),
      },
    );
  }
  return result as unknown as Repositories;
}

/** How often a write locked out by another program tries again; SQLite's own wait blocks the process, so it stays short. */
const LOCK_RETRY_MS = 50;
const BUSY_TIMEOUT_MS = 20;

/** `lockWaitMs`: how long a write waits for a lock another program holds before INDEX_UNAVAILABLE. */
export async function openSqliteIndex(path: string, options: { lockWaitMs?: number } = {}): Promise<IndexStore> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const writerDb = new DatabaseSync(path);
  // At start-up nothing else runs yet: the migration may wait in SQLite's busy handler.
  writerDb.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  const writer = new Kysely<Database>({ dialect: new SqliteDialect({ database: kyselyDatabase(writerDb) }) });
  await migrate(writer, "sqlite", SQLITE_MIGRATIONS);
  writerDb.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS};`);
  let reader: Kysely<Database> | null = null;
  if (path !== ":memory:") {
    const readerDb = new DatabaseSync(path, { readOnly: true });
    readerDb.exec("PRAGMA busy_timeout = 5000;");
    reader = new Kysely<Database>({ dialect: new SqliteDialect({ database: kyselyDatabase(readerDb) }) });
  }
  return new SqliteIndexStore(writer, reader, options.lockWaitMs ?? 5000);
}

export interface PostgresOptions {
  /** Most connections this instance opens. */
  maxConnections?: number;
  /** Deadline of each statement, and of getting a connection. */
  timeoutMs?: number;
}

export async function openPostgresIndex(url: string, options: PostgresOptions = {}): Promise<IndexStore> {
  const { default: pg } = await import("pg");
  const timeoutMs = options.timeoutMs ?? 15_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    idle_in_transaction_session_timeout: timeoutMs * 2,
    // bigint (int8) columns as numbers: sequence numbers, block numbers and times fit in 2^53.
    types: {
      getTypeParser: (oid: number, format?: "text" | "binary") => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as "text")),
    } as never,
  });
  pool.on("error", () => undefined); // an idle client's broken connection: the next query reports it
  // A connection that breaks while it is checked out, between two statements of a transaction, emits
  // "error" too, and the pool listens only to idle ones: unheard, it would crash the process. The
  // transaction's next statement reports it.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await classified(migrate(db, "postgres", POSTGRES_MIGRATIONS));
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new PostgresIndexStore(db);
}
