/**
 * Idempotency keys (the Idempotency-Key request header): per account, a key, the fingerprint of the
 * request that first used it and, once that request has answered, its answer, kept until the key
 * expires. In the index, so that a retry finds it after a restart and on another instance.
 */
export interface StoredAnswer {
  status: number;
  /** The body as it was sent (JSON text). */
  body: string;
  location: string | undefined;
}

export type IdempotencyClaim =
  /** The key is this request's now: run it, then `complete` (or `release`) it. */
  | { state: "claimed" }
  /** Another request holds the key and has not answered yet. */
  | { state: "running"; fingerprint: string }
  /** A request with this key answered: its fingerprint and answer. */
  | { state: "done"; fingerprint: string; answer: StoredAnswer };

export interface IdempotencyKeyRepository {
  /**
   * Takes `key` for a request with `fingerprint` until `holdUntil` (ISO 8601), unless an unexpired
   * claim or answer already has it (then says whose). An expired row is taken over.
   */
  claim(accountId: string, key: string, fingerprint: string, now: string, holdUntil: string): Promise<IdempotencyClaim>;
  /** Records the answer of the request that holds the key, kept until `expiresAt`. */
  complete(accountId: string, key: string, answer: StoredAnswer, expiresAt: string): Promise<void>;
  /** Frees a key whose request answered nothing worth repeating (an error, a client gone). */
  release(accountId: string, key: string): Promise<void>;
  /** Frees every key still held by a request that never answered; returns how many. */
  releaseRunning(): Promise<number>;
  /** Forgets keys that expired before `before`. */
  prune(before: string): Promise<void>;
}
