/**
 * When a webhook delivery that failed is tried again: exponential backoff with jitter, for a retry
 * window (at least 24 hours by default), then dead-lettered. The delay doubles from `baseMs` with each
 * attempt, up to `maxMs`; "equal jitter" keeps it between half and all of that, so receivers that came
 * back at once are not hit by every instance together. The last retry lands at the window's end.
 */
export interface RetryPolicy {
  /** The first retry's delay (WEBHOOK_RETRY_BASE_MS). */
  baseMs: number;
  /** The longest delay between two attempts (WEBHOOK_RETRY_MAX_MS). */
  maxMs: number;
  /** How long after its first attempt a delivery is still retried (WEBHOOK_RETRY_WINDOW_MS). */
  windowMs: number;
}

/** The delay before retry number `attempt` (1 after the first failure), jitter `random` ∈ [0, 1). */
export function retryDelayMs(attempt: number, policy: Pick<RetryPolicy, "baseMs" | "maxMs">, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * After `attempts` failed attempts, `elapsedMs` into the retry window: how long until the next one, or
 * null when the window is over (dead-lettered).
 */
export function nextRetryInMs(attempts: number, elapsedMs: number, policy: RetryPolicy, random: () => number = Math.random): number | null {
  const left = policy.windowMs - elapsedMs;
  if (left <= 0) return null;
  return Math.min(retryDelayMs(attempts, policy, random), left);
}
