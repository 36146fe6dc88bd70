/**
 * The index's tables, as Kysely sees them: one definition for both dialects. Times are ISO 8601 text
 * (UTC, millisecond precision, so they sort as text); lease deadlines are Unix milliseconds from the
 * database's own clock; JSON is stored as text.
 */
import type { Generated } from "kysely";

export interface Database {
  accounts: {
    id: string;
    name: string;
    role: string;
    created_at: string;
    party: string | null;
    platform_id: string | null;
    seller_ids: string | null;
    settings: string | null;
  };
  notices: {
    id: string;
    notifier_id: string;
    platform_id: string;
    status: string;
    filed_at: string;
    decision_due_at: string;
    decided_at: string | null;
    overdue_at: string | null;
    restoration_due_at: string | null;
    closed_at: string | null;
    listings_json: string;
    summary_json: string;
  };
  notice_sellers: { notice_id: string; seller_id: string };
  notice_events: {
    notice_id: string;
    seq: number;
    id: string;
    type: string;
    actor_id: string | null;
    at: string;
    evidence_id: string | null;
    data_json: string;
  };
  notice_captures: { notice_id: string; capture_id: string; listing_id: string; purpose: string; event_seq: number };
  case_timers: {
    id: string;
    notice_id: string;
    kind: string;
    run_at: string;
    state: string;
    lease_owner: string | null;
    lease_expires_at: number | null;
  };
  api_keys: { id: string; account_id: string; key_hash: string; prefix: string; created_at: string; revoked_at: string | null };
  batches: {
    id: string;
    root: string;
    state: string;
    created_at: string;
    attempts: Generated<number>;
    tx_hash: string | null;
    raw_tx: string | null;
    nonce: number | null;
    from_block: number | null;
    last_error: string | null;
  };
  anchors: {
    batch_id: string;
    chain_id: number;
    registry: string;
    tx_hash: string;
    block_number: number;
    block_hash: string;
    timestamp: number;
    anchored_at: string;
    /** The registry's VERSION(); null for anchors recorded before it was kept (all by version 1). */
    registry_version: string | null;
  };
  evidence: {
    seq: Generated<number>;
    id: string;
    account_id: string;
    kind: string;
    sha256: string;
    size: number;
    media_type: string;
    cid: string;
    metadata_json: string;
    metadata_sha256: string;
    received_at: string;
    status: Generated<string>;
    batch_id: string | null;
    leaf_json: string | null;
    proof_json: string | null;
    attempts: Generated<number>;
    failure_reason: string | null;
  };
  captures: {
    seq: Generated<number>;
    id: string;
    account_id: string;
    url: string;
    case_ref: string | null;
    listing_id: string | null;
    note: string | null;
    device: Generated<string>;
    priority: Generated<number>;
    status: string;
    requested_at: string;
    started_at: string | null;
    finished_at: string | null;
    failure_reason: string | null;
    manifest_id: string | null;
    summary_json: string | null;
    lease_owner: string | null;
    lease_expires_at: number | null;
    attempts: Generated<number>;
  };
  content_releases: { cid: string; requested_at: string };
  outbox: { seq: Generated<number>; id: string; type: string; account_id: string; subject: string; data_json: string; occurred_at: string };
  leases: { name: string; holder: string; token: number; expires_at: number };
  rate_limits: { key: string; window_start: number; hits: number };
  idempotency_keys: {
    account_id: string;
    key: string;
    fingerprint: string;
    state: string;
    status: number | null;
    body: string | null;
    location: string | null;
    created_at: string;
    expires_at: string;
  };
  timestamps: {
    seq: Generated<number>;
    root: string;
    tsa: string;
    status: string;
    requested_at: string;
    attempts: Generated<number>;
    due_at: Generated<number>;
    lease_owner: string | null;
    lease_expires_at: number | null;
    last_error: string | null;
    /** base64 DER */
    token: string | null;
    gen_time: string | null;
    serial_number: string | null;
    stamped_at: string | null;
  };
  /** The chain of custody: append-only (triggers refuse UPDATE and DELETE). */
  custody_log: { seq: number; evidence_id: string | null; entry_json: string; prev: string; hash: string };
  /** One row (id 1): the log's last seq and hash, locked by each append. */
  custody_head: { id: number; seq: number; hash: string };
  /** The custody head each batch anchors, with its leaf and proof in the batch's tree. */
  batch_custody_heads: { batch_id: string; seq: number; hash: string; leaf_json: string; proof_json: string };
  /** One fixed certificate per (evidence item, anchor): the PDF is in the content store. */
  certificates: {
    evidence_id: string;
    anchor_tx_hash: string;
    sha256: string;
    cid: string;
    size: number;
    created_at: string;
    /** 1 when the PDF carries the operator's signature. */
    signed: number;
  };
  /** Webhooks: where an account's outbox events are POSTed, signed with `secret` (whsec_…). */
  webhooks: { id: string; account_id: string; url: string; events_json: string; secret: string; created_at: string };
  /** One delivery per (webhook, outbox event): pending until a 2xx, or dead after the retry window. */
  webhook_deliveries: {
    seq: Generated<number>;
    id: string;
    webhook_id: string;
    event_id: string;
    event_type: string;
    payload_json: string;
    state: string;
    created_at: string;
    attempts: Generated<number>;
    window_start: number;
    due_at: number;
    lease_owner: string | null;
    lease_expires_at: number | null;
  };
  webhook_attempts: {
    delivery_id: string;
    attempt: number;
    at: string;
    status: number | null;
    error: string | null;
    next_attempt_at: string | null;
  };
  /** One row (id 1): the last outbox seq fanned out into deliveries. */
  webhook_cursor: { id: number; seq: number };
}
