/**
 * RFC 3161 time-stamps of batch roots, one row per (root, TSA). Requested when a batch is formed, in the
 * same transaction, then fetched by the time-stamp worker on its own schedule: a TSA that is down or
 * answers badly is retried with backoff and never holds up the chain anchor.
 */
export type TimestampStatus = "pending" | "stamped" | "abandoned";

export interface StampedToken {
  /** The TimeStampToken (a CMS ContentInfo), DER. */
  token: Uint8Array;
  /** The token's genTime, ISO 8601 with the token's own precision. */
  genTime: string;
  /** The token's serial number, lowercase hex. */
  serialNumber: string;
}

export interface TimestampRecord {
  /** The Merkle root, 0x and 64 hex characters: the token's data is its 32 bytes. */
  root: string;
  /** The TSA's URL, as configured (TSA_URLS). */
  tsa: string;
  status: TimestampStatus;
  requestedAt: string;
  attempts: number;
  lastError?: string;
  stamped?: StampedToken & { stampedAt: string };
}

export interface TimestampRepository {
  /** Records that `root` is to be stamped by each TSA; a (root, TSA) already recorded is left as it is. */
  request(root: string, tsas: readonly string[], at: string): Promise<void>;
  /**
   * Takes up to `max` pending stamps of these TSAs that are due and not claimed by a live instance, and
   * claims them for `leaseMs` (by the database's clock): instances claiming at once never take the same.
   */
  claimDue(tsas: readonly string[], owner: string, leaseMs: number, max: number): Promise<TimestampRecord[]>;
  /** Stores a checked token; false when the claim was lost (another instance took the row meanwhile). */
  recordToken(root: string, tsa: string, owner: string, token: StampedToken, at: string): Promise<boolean>;
  /** Counts a failed attempt and makes the stamp due again in `retryInMs`; the claim is released. */
  recordFailure(root: string, tsa: string, owner: string, error: string, retryInMs: number): Promise<void>;
  /** Gives back a claim a shutdown cut short: due again at once, the attempt not counted. */
  release(root: string, tsa: string, owner: string): Promise<void>;
  /** Every stamp of a root, in TSA order of request. */
  forRoot(root: string): Promise<TimestampRecord[]>;
  /** Gives up pending stamps of TSAs no longer configured; how many. */
  abandonOthers(tsas: readonly string[], reason: string): Promise<number>;
  /** True when some pending stamp of these TSAs is due now. */
  anyDue(tsas: readonly string[]): Promise<boolean>;
  countByStatus(): Promise<Record<TimestampStatus, number>>;
}
