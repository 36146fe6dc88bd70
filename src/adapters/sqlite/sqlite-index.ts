/**
 * The index on SQLite through Node's built-in `node:sqlite` (no native addon to build). WAL with
 * synchronous=FULL: a committed record survives a crash or a power cut, which is what lets the API
 * answer 201 only once a record is committed.
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { EvidenceStatus } from "../../domain/evidence.ts";
import type { AnchorFacts } from "../../domain/receipt.ts";
import type {
  Account,
  AccountRepository,
  AnchorQueue,
  ApiKeyRecord,
  CaptureRecord,
  CaptureRepository,
  Batch,
  BatchProofs,
  ContentReleaseQueue,
  EvidencePage,
  EvidenceRecord,
  EvidenceRepository,
} from "../../ports/repositories.ts";
import { MIGRATIONS } from "./migrations.ts";

type Row = Record<string, SQLInputValue>;

export class SqliteIndex implements EvidenceRepository, AnchorQueue, AccountRepository, CaptureRepository, ContentReleaseQueue {
  readonly #db: DatabaseSync;
  readonly path: string;

  constructor(path: string) {
    this.path = path;
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.#db = new DatabaseSync(path);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
    this.#db.exec("PRAGMA busy_timeout = 5000;");
    this.#migrate();
  }

  close(): void {
    if (this.#pendingInserts.length) this.#flushInserts();
    if (this.#db.isOpen) this.#db.close();
  }

  /** A cheap read that fails if the file is gone or locked (for /readyz). */
  check(): void {
    this.#db.prepare("SELECT 1").get();
  }

  transaction<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  #migrate(): void {
    this.#db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)");
    const applied = new Set(
      this.#db.prepare("SELECT version FROM schema_migrations").all().map((r) => Number(r.version)),
    );
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.transaction(() => {
        this.#db.exec(m.sql);
        this.#db
          .prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
          .run(m.version, m.name, new Date().toISOString());
      });
    }
  }

  // Evidence ----------------------------------------------------------------------------------------

  /**
   * Group commit: inserts that arrive in the same turn of the event loop share one transaction, so
   * under load one fsync serves many uploads. Each caller's promise settles once its rows are
   * committed; a caller whose rows fail is refused alone (its group is retried without it).
   */
  insert(...records: Omit<EvidenceRecord, "status">[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pendingInserts.push({ records, resolve, reject });
      if (this.#pendingInserts.length === 1) setImmediate(() => this.#flushInserts());
    });
  }

  #insertEvidence(records: Omit<EvidenceRecord, "status">[]): void {
    const statement = this.#db.prepare(
      `INSERT INTO evidence (id, account_id, kind, sha256, size, media_type, cid, metadata_json,
         metadata_sha256, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const r of records) {
      statement.run(r.id, r.accountId, r.kind, r.sha256, r.size, r.mediaType, r.cid,
        JSON.stringify(r.metadata), r.metadataSha256, r.receivedAt);
    }
  }

  #pendingInserts: { records: Omit<EvidenceRecord, "status">[]; resolve: () => void; reject: (e: unknown) => void }[] = [];

  #flushInserts(): void {
    const group = this.#pendingInserts;
    this.#pendingInserts = [];
    const write = (entries: typeof group) =>
      this.transaction(() => {
        for (const { records } of entries) this.#insertEvidence(records);
      });
    try {
      write(group);
      for (const entry of group) entry.resolve();
    } catch {
      // Someone's rows are bad: commit each caller's rows on their own, so only they are refused.
      for (const entry of group) {
        try {
          write([entry]);
          entry.resolve();
        } catch (error) {
          entry.reject(error);
        }
      }
    }
  }

  get(accountId: string, id: string): EvidenceRecord | null {
    const row = this.#db
      .prepare(`${EVIDENCE_SELECT} WHERE e.id = ? AND e.account_id = ?`)
      .get(id, accountId) as Row | undefined;
    return row ? toEvidence(row) : null;
  }

  list(accountId: string, query: { sha256?: string; limit: number; cursor?: string }): EvidencePage {
    const after = query.cursor ? Number(query.cursor) : 0;
    const params: SQLInputValue[] = [accountId, after];
    let where = "e.account_id = ? AND e.seq > ?";
    if (query.sha256) {
      where += " AND e.sha256 = ?";
      params.push(query.sha256);
    }
    const rows = this.#db
      .prepare(`${EVIDENCE_SELECT} WHERE ${where} ORDER BY e.seq LIMIT ?`)
      .all(...params, query.limit + 1) as Row[];
    const items = rows.slice(0, query.limit).map(toEvidence);
    const nextCursor = rows.length > query.limit ? String(rows[query.limit - 1]!.seq) : null;
    return { items, nextCursor };
  }

  countByStatus(): Record<EvidenceStatus, number> {
    const counts: Record<EvidenceStatus, number> = { pending: 0, anchored: 0, failed: 0 };
    for (const row of this.#db.prepare("SELECT status, COUNT(*) AS n FROM evidence GROUP BY status").all()) {
      counts[row.status as EvidenceStatus] = Number(row.n);
    }
    return counts;
  }

  oldestPendingReceivedAt(): string | null {
    const row = this.#db.prepare("SELECT MIN(received_at) AS at FROM evidence WHERE status = 'pending'").get();
    return row?.at == null ? null : String(row.at);
  }

  // Anchoring queue ---------------------------------------------------------------------------------

  countBatchesByState(): Record<Batch["state"] | "abandoned", number> {
    const counts = { prepared: 0, sent: 0, anchored: 0, abandoned: 0 };
    for (const row of this.#db.prepare("SELECT state, COUNT(*) AS n FROM batches GROUP BY state").all()) {
      counts[row.state as keyof typeof counts] = Number(row.n);
    }
    return counts;
  }

  openBatches(): Batch[] {
    const rows = this.#db
      .prepare("SELECT * FROM batches WHERE state IN ('prepared', 'sent') ORDER BY created_at, id")
      .all() as Row[];
    return rows.map((row) => this.#toBatch(row));
  }

  nextPending(max: number): { id: string; sha256: string; metadataSha256: string }[] {
    return this.#db
      .prepare(
        `SELECT id, sha256, metadata_sha256 FROM evidence
         WHERE status = 'pending' AND batch_id IS NULL ORDER BY seq LIMIT ?`,
      )
      .all(max)
      .map((r) => ({ id: String(r.id), sha256: String(r.sha256), metadataSha256: String(r.metadata_sha256) }));
  }

  createBatch(batch: { id: string; root: string; itemIds: string[]; proofs: BatchProofs }): Batch {
    return this.transaction(() => {
      const createdAt = new Date().toISOString();
      this.#db
        .prepare("INSERT INTO batches (id, root, state, created_at) VALUES (?, ?, 'prepared', ?)")
        .run(batch.id, batch.root, createdAt);
      const assign = this.#db.prepare(
        `UPDATE evidence SET batch_id = ?, leaf_json = ?, proof_json = ?
         WHERE id = ? AND status = 'pending' AND batch_id IS NULL`,
      );
      for (const itemId of batch.itemIds) {
        const p = batch.proofs[itemId]!;
        const changed = assign.run(batch.id, JSON.stringify(p.leaf), JSON.stringify(p.proof), itemId).changes;
        if (Number(changed) !== 1) throw new Error(`evidence ${itemId} is no longer waiting for a batch`);
      }
      return { id: batch.id, root: batch.root, state: "prepared", itemIds: batch.itemIds, createdAt, attempts: 0 };
    });
  }

  recordSigned(batchId: string, tx: NonNullable<Batch["tx"]>): void {
    this.#db
      .prepare(
        `UPDATE batches SET state = 'sent', tx_hash = ?, raw_tx = ?, nonce = ?, from_block = ?,
           attempts = attempts + 1 WHERE id = ?`,
      )
      .run(tx.txHash, tx.rawTx, tx.nonce, tx.fromBlock, batchId);
  }

  clearSigned(batchId: string, reason: string): void {
    this.#db
      .prepare(
        `UPDATE batches SET state = 'prepared', tx_hash = NULL, raw_tx = NULL, nonce = NULL, last_error = ?
         WHERE id = ?`,
      )
      .run(reason, batchId);
  }

  completeBatch(batchId: string, anchor: AnchorFacts): void {
    this.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO anchors (batch_id, chain_id, registry, tx_hash, block_number, block_hash, timestamp, anchored_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          batchId,
          anchor.chainId,
          anchor.registry,
          anchor.txHash,
          anchor.blockNumber,
          anchor.blockHash,
          anchor.timestamp,
          new Date().toISOString(),
        );
      this.#db.prepare("UPDATE batches SET state = 'anchored', tx_hash = ?, raw_tx = NULL WHERE id = ?").run(anchor.txHash, batchId);
      this.#db.prepare("UPDATE evidence SET status = 'anchored' WHERE batch_id = ?").run(batchId);
    });
  }

  abandonBatch(batchId: string, reason: string, maxAttempts: number): void {
    this.transaction(() => {
      this.#db.prepare("UPDATE batches SET state = 'abandoned', last_error = ? WHERE id = ?").run(reason, batchId);
      this.#db
        .prepare(
          `UPDATE evidence SET attempts = attempts + 1,
             status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END,
             failure_reason = CASE WHEN attempts + 1 >= ? THEN ? ELSE NULL END,
             batch_id = CASE WHEN attempts + 1 >= ? THEN batch_id ELSE NULL END,
             leaf_json = NULL, proof_json = NULL
           WHERE batch_id = ?`,
        )
        .run(maxAttempts, maxAttempts, reason, maxAttempts, batchId);
    });
  }

  recentAnchors(max: number): { batchId: string; root: string; anchor: AnchorFacts }[] {
    return (
      this.#db
        .prepare(
          `SELECT b.id AS batch_id, b.root, a.chain_id, a.registry, a.tx_hash, a.block_number, a.block_hash, a.timestamp
           FROM anchors a JOIN batches b ON b.id = a.batch_id
           WHERE b.state = 'anchored' ORDER BY a.block_number DESC, a.anchored_at DESC LIMIT ?`,
        )
        .all(max) as Row[]
    ).map((row) => ({ batchId: String(row.batch_id), root: String(row.root), anchor: toAnchor(row) }));
  }

  reopenLostBatch(batchId: string, reason: string): void {
    this.transaction(() => {
      this.#db.prepare("UPDATE batches SET state = 'abandoned', last_error = ? WHERE id = ? AND state = 'anchored'").run(reason, batchId);
      this.#db.prepare("DELETE FROM anchors WHERE batch_id = ?").run(batchId);
      this.#db
        .prepare("UPDATE evidence SET status = 'pending', batch_id = NULL, leaf_json = NULL, proof_json = NULL WHERE batch_id = ?")
        .run(batchId);
    });
  }

  #toBatch(row: Row): Batch {
    const itemIds = this.#db
      .prepare("SELECT id FROM evidence WHERE batch_id = ? ORDER BY seq")
      .all(String(row.id))
      .map((r) => String(r.id));
    return {
      id: String(row.id),
      root: String(row.root),
      state: row.state as Batch["state"],
      itemIds,
      createdAt: String(row.created_at),
      attempts: Number(row.attempts),
      tx:
        row.tx_hash == null
          ? undefined
          : {
              txHash: String(row.tx_hash),
              rawTx: String(row.raw_tx),
              nonce: Number(row.nonce),
              fromBlock: Number(row.from_block),
            },
    };
  }

  // Captures ----------------------------------------------------------------------------------------

  createCapture(c: Omit<CaptureRecord, "status">): void {
    this.#db
      .prepare(
        `INSERT INTO captures (id, account_id, url, case_ref, listing_id, note, status, requested_at)
         VALUES (?, ?, ?, ?, ?, ?, 'queued', ?)`,
      )
      .run(c.id, c.accountId, c.url, c.caseRef ?? null, c.listingId ?? null, c.note ?? null, c.requestedAt);
  }

  getCapture(accountId: string, id: string): CaptureRecord | null {
    const row = this.#db.prepare("SELECT * FROM captures WHERE id = ? AND account_id = ?").get(id, accountId) as Row | undefined;
    return row ? toCapture(row) : null;
  }

  listCaptures(accountId: string, limit: number): CaptureRecord[] {
    return (this.#db.prepare("SELECT * FROM captures WHERE account_id = ? ORDER BY seq DESC LIMIT ?").all(accountId, limit) as Row[]).map(toCapture);
  }

  claimCaptures(max: number): CaptureRecord[] {
    // Polled every quarter second: a plain read first, so an idle queue never takes the write lock.
    if (!this.#db.prepare("SELECT 1 FROM captures WHERE status = 'queued' LIMIT 1").get()) return [];
    return this.transaction(() => {
      const rows = this.#db.prepare("SELECT * FROM captures WHERE status = 'queued' ORDER BY seq LIMIT ?").all(max) as Row[];
      const start = this.#db.prepare("UPDATE captures SET status = 'running', started_at = ? WHERE id = ?");
      const now = new Date().toISOString();
      for (const row of rows) start.run(now, String(row.id));
      return rows.map((row) => ({ ...toCapture(row), status: "running" as const, startedAt: now }));
    });
  }

  countCapturesByStatus(): Record<CaptureRecord["status"], number> {
    const counts = { queued: 0, running: 0, completed: 0, failed: 0 };
    for (const row of this.#db.prepare("SELECT status, COUNT(*) AS n FROM captures GROUP BY status").all()) {
      counts[row.status as keyof typeof counts] = Number(row.n);
    }
    return counts;
  }

  requeueRunningCaptures(): number {
    return Number(this.#db.prepare("UPDATE captures SET status = 'queued', started_at = NULL WHERE status = 'running'").run().changes);
  }

  finishCapture(
    id: string,
    outcome: { status: "completed" | "failed"; failureReason?: string; manifestId: string; summary: Record<string, unknown> },
    evidence: Omit<EvidenceRecord, "status">[],
  ): void {
    this.transaction(() => {
      this.#insertEvidence(evidence);
      this.#db
        .prepare(
          `UPDATE captures SET status = ?, finished_at = ?, failure_reason = ?, manifest_id = ?, summary_json = ?
           WHERE id = ? AND status = 'running'`,
        )
        .run(outcome.status, new Date().toISOString(), outcome.failureReason ?? null, outcome.manifestId, JSON.stringify(outcome.summary), id);
    });
  }

  failCapture(id: string, reason: string): void {
    this.#db
      .prepare("UPDATE captures SET status = 'failed', finished_at = ?, failure_reason = ? WHERE id = ? AND status = 'running'")
      .run(new Date().toISOString(), reason, id);
  }

  // Content to release ------------------------------------------------------------------------------

  requestRelease(cids: string[], at: string): void {
    const upsert = this.#db.prepare(
      "INSERT INTO content_releases (cid, requested_at) VALUES (?, ?) ON CONFLICT (cid) DO UPDATE SET requested_at = excluded.requested_at",
    );
    for (const cid of cids) upsert.run(cid, at);
  }

  dueReleases(before: string, max: number): string[] {
    return this.#db
      .prepare("SELECT cid FROM content_releases WHERE requested_at < ? ORDER BY requested_at LIMIT ?")
      .all(before, max)
      .map((r) => String(r.cid));
  }

  isReferenced(cid: string): boolean {
    return this.#db.prepare("SELECT 1 FROM evidence WHERE cid = ? LIMIT 1").get(cid) !== undefined;
  }

  forgetRelease(cid: string): void {
    this.#db.prepare("DELETE FROM content_releases WHERE cid = ?").run(cid);
  }

  // Accounts ----------------------------------------------------------------------------------------

  countAccounts(): number {
    return Number(this.#db.prepare("SELECT COUNT(*) AS n FROM accounts").get()!.n);
  }

  createAccount(account: Account): void {
    this.#db
      .prepare("INSERT INTO accounts (id, name, role, created_at) VALUES (?, ?, ?, ?)")
      .run(account.id, account.name, account.role, account.createdAt);
  }

  getAccount(id: string): Account | null {
    const row = this.#db.prepare("SELECT * FROM accounts WHERE id = ?").get(id) as Row | undefined;
    return row ? toAccount(row) : null;
  }

  addApiKey(key: ApiKeyRecord & { keyHash: string }): void {
    this.#db
      .prepare("INSERT INTO api_keys (id, account_id, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?)")
      .run(key.id, key.accountId, key.keyHash, key.prefix, key.createdAt);
  }

  accountByKeyHash(keyHash: string): Account | null {
    const row = this.#db
      .prepare(
        `SELECT a.* FROM api_keys k JOIN accounts a ON a.id = k.account_id
         WHERE k.key_hash = ? AND k.revoked_at IS NULL`,
      )
      .get(keyHash) as Row | undefined;
    return row ? toAccount(row) : null;
  }

  listApiKeys(accountId: string): ApiKeyRecord[] {
    return this.#db
      .prepare("SELECT id, account_id, prefix, created_at, revoked_at FROM api_keys WHERE account_id = ? ORDER BY created_at")
      .all(accountId)
      .map((r) => ({
        id: String(r.id),
        accountId: String(r.account_id),
        prefix: String(r.prefix),
        createdAt: String(r.created_at),
        revokedAt: r.revoked_at == null ? null : String(r.revoked_at),
      }));
  }

  revokeApiKey(accountId: string, keyId: string, at: string): boolean {
    const result = this.#db
      .prepare("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND account_id = ?")
      .run(at, keyId, accountId);
    return Number(result.changes) === 1;
  }
}

const EVIDENCE_SELECT = `
  SELECT e.*, b.root AS batch_root, a.chain_id, a.registry, a.tx_hash, a.block_number, a.block_hash, a.timestamp
  FROM evidence e
  LEFT JOIN batches b ON b.id = e.batch_id
  LEFT JOIN anchors a ON a.batch_id = e.batch_id`;

function toEvidence(row: Row): EvidenceRecord {
  const record: EvidenceRecord = {
    id: String(row.id),
    accountId: String(row.account_id),
    kind: row.kind as EvidenceRecord["kind"],
    sha256: String(row.sha256),
    size: Number(row.size),
    mediaType: String(row.media_type),
    cid: String(row.cid),
    metadata: JSON.parse(String(row.metadata_json)),
    metadataSha256: String(row.metadata_sha256),
    status: row.status as EvidenceStatus,
    receivedAt: String(row.received_at),
  };
  if (row.failure_reason != null) record.failureReason = String(row.failure_reason);
  if (row.batch_id != null) record.batchId = String(row.batch_id);
  if (record.status === "anchored") {
    record.merkle = {
      leaf: JSON.parse(String(row.leaf_json)),
      proof: JSON.parse(String(row.proof_json)),
      root: String(row.batch_root),
    };
    record.anchor = toAnchor(row);
  }
  return record;
}

function toAnchor(row: Row): AnchorFacts {
  return {
    chainId: Number(row.chain_id),
    registry: String(row.registry),
    txHash: String(row.tx_hash),
    blockNumber: Number(row.block_number),
    blockHash: String(row.block_hash),
    timestamp: Number(row.timestamp),
  };
}

function toCapture(row: Row): CaptureRecord {
  const optional = (v: SQLInputValue | undefined) => (v == null ? undefined : String(v));
  return {
    id: String(row.id),
    accountId: String(row.account_id),
    url: String(row.url),
    caseRef: optional(row.case_ref),
    listingId: optional(row.listing_id),
    note: optional(row.note),
    status: row.status as CaptureRecord["status"],
    requestedAt: String(row.requested_at),
    startedAt: optional(row.started_at),
    finishedAt: optional(row.finished_at),
    failureReason: optional(row.failure_reason),
    manifestId: optional(row.manifest_id),
    summary: row.summary_json == null ? undefined : JSON.parse(String(row.summary_json)),
  };
}

function toAccount(row: Row): Account {
  return {
    id: String(row.id),
    name: String(row.name),
    role: row.role as Account["role"],
    createdAt: String(row.created_at),
  };
}
