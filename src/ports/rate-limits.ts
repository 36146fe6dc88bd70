/** Counters of requests per client and window, shared by every instance (the verify route's limit). */
export interface RateLimitRepository {
  /** Counts one hit for `key` in the window starting at `windowStart`; returns the window's hits so far. */
  hit(key: string, windowStart: number): Promise<number>;
  /** Forgets windows that ended before `before`. */
  prune(before: number): Promise<void>;
}
