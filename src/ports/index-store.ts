/**
 * The index: every repository, and a unit of work over them. A use-case that changes several entities
 * (an item anchored: its batch, its items, the events) does it in one `transaction`; a single read or
 * write outside one commits on its own. SQLite (one process) and PostgreSQL (several instances) both
 * implement it, and pass the same contract tests (test/contract/).
 */
import type { AccountRepository } from "./account-repository.ts";
import type { BatchRepository } from "./batch-repository.ts";
import type { CaptureRepository } from "./capture-repository.ts";
import type { CertificateRepository } from "./certificate-repository.ts";
import type { ContentReleaseQueue } from "./content-releases.ts";
import type { CustodyLog } from "./custody-log.ts";
import type { EvidenceRepository } from "./evidence-repository.ts";
import type { IdempotencyKeyRepository } from "./idempotency-keys.ts";
import type { LeaseRepository } from "./leases.ts";
import type { NoticeRepository } from "./notice-repository.ts";
import type { Outbox } from "./outbox.ts";
import type { RateLimitRepository } from "./rate-limits.ts";
import type { TimestampRepository } from "./timestamp-repository.ts";
import type { WebhookRepository } from "./webhook-repository.ts";

export interface Repositories {
  readonly evidence: EvidenceRepository;
  readonly batches: BatchRepository;
  readonly captures: CaptureRepository;
  readonly accounts: AccountRepository;
  readonly outbox: Outbox;
  readonly releases: ContentReleaseQueue;
  readonly leases: LeaseRepository;
  readonly rateLimits: RateLimitRepository;
  readonly timestamps: TimestampRepository;
  readonly custody: CustodyLog;
  readonly certificates: CertificateRepository;
  readonly webhooks: WebhookRepository;
  readonly idempotencyKeys: IdempotencyKeyRepository;
  readonly notices: NoticeRepository;
}

export interface IndexStore extends Repositories {
  readonly kind: "sqlite" | "postgres";
  /**
   * Runs `work` in one transaction: all of its writes are committed together, or none is. `work` must
   * do nothing slow but index calls (no chain, no store): the transaction is open while it runs.
   */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Throws when the index cannot be reached (for /readyz). */
  check(): Promise<void>;
  close(): Promise<void>;
}
