/**
 * The SQLite schema, as migrations applied in order (migrate.ts); `schema_migrations` records which ran.
 * Never edit a released migration: add the next one. A data folder of any earlier release is brought
 * up to date at start.
 */
import type { Migration } from "../migrate.ts";

export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "accounts, evidence, anchoring queue",
    sql: `
      CREATE TABLE accounts (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('admin', 'member')),
        created_at  TEXT NOT NULL
      );
      CREATE TABLE api_keys (
        id          TEXT PRIMARY KEY,
        account_id  TEXT NOT NULL REFERENCES accounts(id),
        key_hash    TEXT NOT NULL UNIQUE,
        prefix      TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        revoked_at  TEXT
      );
      CREATE INDEX api_keys_account ON api_keys(account_id);

      CREATE TABLE batches (
        id          TEXT PRIMARY KEY,
        root        TEXT NOT NULL,
        state       TEXT NOT NULL CHECK (state IN ('prepared', 'sent', 'anchored', 'abandoned')),
        created_at  TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        tx_hash     TEXT,
        raw_tx      TEXT,
        nonce       INTEGER,
        from_block  INTEGER,
        last_error  TEXT
      );
      CREATE INDEX batches_open ON batches(state) WHERE state IN ('prepared', 'sent');
      -- At most one live batch per root: a root is anchored once.
      CREATE UNIQUE INDEX batches_live_root ON batches(root) WHERE state <> 'abandoned';

      CREATE TABLE anchors (
        batch_id     TEXT PRIMARY KEY REFERENCES batches(id),
        chain_id     INTEGER NOT NULL,
        registry     TEXT NOT NULL,
        tx_hash      TEXT NOT NULL,
        block_number INTEGER NOT NULL,
        block_hash   TEXT NOT NULL,
        timestamp    INTEGER NOT NULL,
        anchored_at  TEXT NOT NULL
      );

      CREATE TABLE evidence (
        seq              INTEGER PRIMARY KEY AUTOINCREMENT, -- queue order and list cursor
        id               TEXT NOT NULL UNIQUE,
        account_id       TEXT NOT NULL REFERENCES accounts(id),
        kind             TEXT NOT NULL,
        sha256           TEXT NOT NULL,
        size             INTEGER NOT NULL,
        media_type       TEXT NOT NULL,
        cid              TEXT NOT NULL,
        metadata_json    TEXT NOT NULL,
        metadata_sha256  TEXT NOT NULL,
        received_at      TEXT NOT NULL,
        status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'anchored', 'failed')),
        batch_id         TEXT REFERENCES batches(id),
        leaf_json        TEXT,
        proof_json       TEXT,
        attempts         INTEGER NOT NULL DEFAULT 0,
        failure_reason   TEXT
      );
      CREATE INDEX evidence_account ON evidence(account_id, seq);
      CREATE INDEX evidence_account_sha256 ON evidence(account_id, sha256);
      CREATE INDEX evidence_batch ON evidence(batch_id);
      CREATE INDEX evidence_queue ON evidence(seq) WHERE status = 'pending' AND batch_id IS NULL;
    `,
  },
  {
    version: 2,
    name: "listing captures",
    sql: `
      CREATE TABLE captures (
        seq            INTEGER PRIMARY KEY AUTOINCREMENT, -- queue order
        id             TEXT NOT NULL UNIQUE,
        account_id     TEXT NOT NULL REFERENCES accounts(id),
        url            TEXT NOT NULL,
        case_ref       TEXT,
        listing_id     TEXT,
        note           TEXT,
        status         TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        requested_at   TEXT NOT NULL,
        started_at     TEXT,
        finished_at    TEXT,
        failure_reason TEXT,
        manifest_id    TEXT,
        summary_json   TEXT
      );
      CREATE INDEX captures_queue ON captures(seq) WHERE status IN ('queued', 'running');
      CREATE INDEX captures_account ON captures(account_id, seq);
    `,
  },
  {
    version: 3,
    name: "content held by refused uploads, to release",
    sql: `
      CREATE TABLE content_releases (
        cid           TEXT PRIMARY KEY,
        requested_at  TEXT NOT NULL
      );
      CREATE INDEX evidence_cid ON evidence(cid);
    `,
  },
  {
    version: 4,
    name: "outbox, leases, rate limits; captures claimed under a lease",
    sql: `
      ALTER TABLE captures ADD COLUMN lease_owner TEXT;
      ALTER TABLE captures ADD COLUMN lease_expires_at INTEGER;
      ALTER TABLE captures ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

      CREATE TABLE outbox (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        type         TEXT NOT NULL,
        account_id   TEXT NOT NULL,
        subject      TEXT NOT NULL,
        data_json    TEXT NOT NULL,
        occurred_at  TEXT NOT NULL
      );

      CREATE TABLE leases (
        name        TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        token       INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL
      );

      CREATE TABLE rate_limits (
        key           TEXT NOT NULL,
        window_start  INTEGER NOT NULL,
        hits          INTEGER NOT NULL,
        PRIMARY KEY (key, window_start)
      );
    `,
  },
  {
    version: 5,
    name: "RFC 3161 time-stamps of batch roots; the registry version of each anchor",
    sql: `
      CREATE TABLE timestamps (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        root              TEXT NOT NULL,
        tsa               TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('pending', 'stamped', 'abandoned')),
        requested_at      TEXT NOT NULL,
        attempts          INTEGER NOT NULL DEFAULT 0,
        due_at            INTEGER NOT NULL DEFAULT 0,
        lease_owner       TEXT,
        lease_expires_at  INTEGER,
        last_error        TEXT,
        token             TEXT,
        gen_time          TEXT,
        serial_number     TEXT,
        stamped_at        TEXT,
        UNIQUE (root, tsa)
      );
      CREATE INDEX timestamps_due ON timestamps(due_at) WHERE status = 'pending';

      ALTER TABLE anchors ADD COLUMN registry_version TEXT;
    `,
  },
  {
    version: 6,
    name: "the chain of custody: an append-only, hash-chained access log, its head anchored with each batch",
    sql: `
      CREATE TABLE custody_log (
        seq          INTEGER PRIMARY KEY, -- 1, 2, 3…: the head's seq + 1, taken under the head's lock
        evidence_id  TEXT,
        entry_json   TEXT NOT NULL,       -- the entry's RFC 8785 canonical JSON, as hashed
        prev         TEXT NOT NULL,
        hash         TEXT NOT NULL
      );
      CREATE INDEX custody_log_evidence ON custody_log(evidence_id, seq) WHERE evidence_id IS NOT NULL;
      CREATE TRIGGER custody_log_no_update BEFORE UPDATE ON custody_log BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;
      CREATE TRIGGER custody_log_no_delete BEFORE DELETE ON custody_log BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;

      CREATE TABLE custody_head (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        seq   INTEGER NOT NULL,
        hash  TEXT NOT NULL
      );
      INSERT INTO custody_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

      CREATE TABLE batch_custody_heads (
        batch_id    TEXT PRIMARY KEY REFERENCES batches(id),
        seq         INTEGER NOT NULL,
        hash        TEXT NOT NULL,
        leaf_json   TEXT NOT NULL,
        proof_json  TEXT NOT NULL
      );
      CREATE INDEX batch_custody_heads_seq ON batch_custody_heads(seq);
    `,
  },
  {
    version: 7,
    name: "fixed certificates",
    sql: `
      CREATE TABLE certificates (
        evidence_id     TEXT NOT NULL,
        anchor_tx_hash  TEXT NOT NULL,
        sha256          TEXT NOT NULL,
        cid             TEXT NOT NULL,
        size            INTEGER NOT NULL,
        created_at      TEXT NOT NULL,
        signed          INTEGER NOT NULL CHECK (signed IN (0, 1)),
        PRIMARY KEY (evidence_id, anchor_tx_hash)
      );
      CREATE INDEX certificates_cid ON certificates(cid);
    `,
  },
  {
    version: 8,
    name: "the device a capture is made as",
    sql: `
      ALTER TABLE captures ADD COLUMN device TEXT NOT NULL DEFAULT 'desktop' CHECK (device IN ('desktop', 'mobile'));
    `,
  },
  {
    version: 9,
    name: "webhooks, their deliveries and attempts, and how far the outbox was fanned out to them",
    sql: `
      CREATE TABLE webhooks (
        id          TEXT PRIMARY KEY,
        account_id  TEXT NOT NULL REFERENCES accounts(id),
        url         TEXT NOT NULL,
        events_json TEXT NOT NULL,      -- a JSON array of event types, or ["*"]
        secret      TEXT NOT NULL,      -- whsec_…: the signing key (docs/api.md, Webhooks)
        created_at  TEXT NOT NULL
      );
      CREATE INDEX webhooks_account ON webhooks(account_id);

      CREATE TABLE webhook_deliveries (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        id                TEXT NOT NULL UNIQUE,
        webhook_id        TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        event_id          TEXT NOT NULL,
        event_type        TEXT NOT NULL,
        payload_json      TEXT NOT NULL,
        state             TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        created_at        TEXT NOT NULL,
        attempts          INTEGER NOT NULL DEFAULT 0,
        window_start      INTEGER NOT NULL, -- Unix ms, the database's clock: retries stop a window after it
        due_at            INTEGER NOT NULL, -- Unix ms, the database's clock: the next attempt
        lease_owner       TEXT,
        lease_expires_at  INTEGER,
        UNIQUE (webhook_id, event_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries(due_at) WHERE state = 'pending';

      CREATE TABLE webhook_attempts (
        delivery_id      TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt          INTEGER NOT NULL,
        at               TEXT NOT NULL,
        status           INTEGER,        -- the HTTP status answered, or null
        error            TEXT,           -- why no 2xx came back (timeout, refused address, connection)
        next_attempt_at  TEXT,           -- when it is tried again; null when delivered or dead-lettered
        PRIMARY KEY (delivery_id, attempt)
      );

      CREATE TABLE webhook_cursor (
        id   INTEGER PRIMARY KEY CHECK (id = 1),
        seq  INTEGER NOT NULL            -- the last outbox event fanned out to webhooks
      );
      INSERT INTO webhook_cursor (id, seq) SELECT 1, coalesce(max(seq), 0) FROM outbox;
    `,
  },
  {
    version: 10,
    name: "idempotency keys: per account, the request that first used a key and its answer",
    sql: `
      CREATE TABLE idempotency_keys (
        account_id   TEXT NOT NULL REFERENCES accounts(id),
        key          TEXT NOT NULL,
        fingerprint  TEXT NOT NULL,          -- SHA-256 of the request (method, path, body)
        state        TEXT NOT NULL CHECK (state IN ('running', 'done')),
        status       INTEGER,                -- the first answer, once done
        body         TEXT,
        location     TEXT,
        created_at   TEXT NOT NULL,
        expires_at   TEXT NOT NULL,          -- a running claim's hold, then the answer's expiry
        PRIMARY KEY (account_id, key)
      );
      CREATE INDEX idempotency_keys_expires ON idempotency_keys(expires_at);
    `,
  },
  {
    version: 11,
    name: "notice and takedown: account parties, notices, their events, captures and durable timers",
    sql: `
      ALTER TABLE accounts ADD COLUMN party TEXT CHECK (party IN ('rights-holder', 'platform', 'respondent'));
      ALTER TABLE accounts ADD COLUMN platform_id TEXT REFERENCES accounts(id);
      -- JSON: a respondent's seller ids on its platform; a platform's clocks for its cases
      ALTER TABLE accounts ADD COLUMN seller_ids TEXT;
      ALTER TABLE accounts ADD COLUMN settings TEXT;

      CREATE TABLE notices (
        id                  TEXT PRIMARY KEY,
        notifier_id         TEXT NOT NULL REFERENCES accounts(id),
        platform_id         TEXT NOT NULL REFERENCES accounts(id),
        status              TEXT NOT NULL,
        filed_at            TEXT NOT NULL,
        decision_due_at     TEXT NOT NULL,
        decided_at          TEXT,
        overdue_at          TEXT,
        restoration_due_at  TEXT,
        closed_at           TEXT,
        listings_json       TEXT NOT NULL,  -- each listing and what was decided about it
        summary_json        TEXT NOT NULL   -- the right and the notifier, for lists and reports
      );
      CREATE INDEX notices_notifier ON notices(notifier_id, filed_at);
      CREATE INDEX notices_platform ON notices(platform_id, filed_at);

      CREATE TABLE notice_sellers (
        notice_id  TEXT NOT NULL REFERENCES notices(id),
        seller_id  TEXT NOT NULL,
        PRIMARY KEY (notice_id, seller_id)
      );
      CREATE INDEX notice_sellers_seller ON notice_sellers(seller_id);

      CREATE TABLE notice_events (
        notice_id    TEXT NOT NULL REFERENCES notices(id),
        seq          INTEGER NOT NULL,
        id           TEXT NOT NULL UNIQUE,
        type         TEXT NOT NULL,
        actor_id     TEXT REFERENCES accounts(id),  -- null: the service itself (a deadline passed)
        at           TEXT NOT NULL,
        evidence_id  TEXT REFERENCES evidence(id),  -- the event's document, stored and anchored
        data_json    TEXT NOT NULL,
        PRIMARY KEY (notice_id, seq)
      );

      CREATE TABLE notice_captures (
        notice_id   TEXT NOT NULL REFERENCES notices(id),
        capture_id  TEXT NOT NULL REFERENCES captures(id),
        listing_id  TEXT NOT NULL,
        purpose     TEXT NOT NULL CHECK (purpose IN ('reported', 'takedown')),
        event_seq   INTEGER NOT NULL,
        PRIMARY KEY (notice_id, capture_id)
      );

      CREATE TABLE case_timers (
        id                TEXT PRIMARY KEY,
        notice_id         TEXT NOT NULL REFERENCES notices(id),
        kind              TEXT NOT NULL,
        run_at            TEXT NOT NULL,    -- ISO 8601, the service's clock: when it falls due
        state             TEXT NOT NULL CHECK (state IN ('pending', 'done', 'cancelled')),
        lease_owner       TEXT,
        lease_expires_at  INTEGER,          -- Unix ms, the database's clock
        UNIQUE (notice_id, kind)
      );
      CREATE INDEX case_timers_due ON case_timers(run_at) WHERE state = 'pending';
    `,
  },
  {
    version: 12,
    name: "capture priority: a case's captures are claimed before routine ones",
    sql: `
      -- Read by the claim's ORDER BY (with the waiting time) over the rows captures_queue finds.
      ALTER TABLE captures ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
