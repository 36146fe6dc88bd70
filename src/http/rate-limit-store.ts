/**
 * express-rate-limit's counters in the index, so that every instance behind a load balancer counts
 * the same client against one limit (fixed windows, aligned to the window length).
 */
import type { ClientRateLimitInfo, Options, Store } from "express-rate-limit";
import type { RateLimitRepository } from "../ports/rate-limits.ts";

export class IndexRateLimitStore implements Store {
  readonly #counters: RateLimitRepository;
  #windowMs = 60_000;
  #lastPrune = 0;
  readonly localKeys = false;

  constructor(counters: RateLimitRepository) {
    this.#counters = counters;
  }

  init(options: Options): void {
    this.#windowMs = options.windowMs;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const now = Date.now();
    const windowStart = now - (now % this.#windowMs);
    const totalHits = await this.#counters.hit(key, windowStart);
    if (now - this.#lastPrune > this.#windowMs) {
      this.#lastPrune = now;
      void this.#counters.prune(windowStart - this.#windowMs).catch(() => undefined);
    }
    return { totalHits, resetTime: new Date(windowStart + this.#windowMs) };
  }

  // A hit is never given back (a request that failed still cost its work); and a key is never reset early.
  decrement(): void {}
  resetKey(): void {}
}
