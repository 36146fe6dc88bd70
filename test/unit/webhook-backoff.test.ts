import { expect } from "chai";
import { nextRetryInMs, retryDelayMs } from "../../src/domain/webhook-backoff.ts";

describe("webhook retries: exponential backoff with jitter, for a window, then dead-lettered", () => {
  const policy = { baseMs: 30_000, maxMs: 3_600_000, windowMs: 72 * 3_600_000 };

  it("doubles from the base, between half and all of each step (equal jitter)", () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 0))).to.deep.equal([15_000, 30_000, 60_000, 120_000, 240_000]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 0.5))).to.deep.equal([22_500, 45_000, 90_000, 180_000, 360_000]);
    expect(retryDelayMs(3, policy, () => 0.999_999)).to.equal(120_000);
  });

  it("never waits longer than the maximum", () => {
    expect(retryDelayMs(8, policy, () => 1)).to.equal(3_600_000); // 30 s × 2^7 = 64 min, capped at 60
    expect(retryDelayMs(40, policy, () => 0)).to.equal(1_800_000);
  });

  it("retries through the whole window, the last retry at its end, then gives up", () => {
    expect(nextRetryInMs(1, 0, policy, () => 0)).to.equal(15_000);
    expect(nextRetryInMs(20, policy.windowMs - 1000, policy, () => 0.5)).to.equal(1000);
    expect(nextRetryInMs(20, policy.windowMs, policy, () => 0.5)).to.equal(null);
    expect(nextRetryInMs(1, policy.windowMs + 1, policy, () => 0)).to.equal(null);
  });

  it("with the defaults, a receiver down for good is tried 79 times over 72 hours", () => {
    let elapsed = 0;
    let attempts = 1; // the first attempt, at 0
    for (;;) {
      const wait = nextRetryInMs(attempts, elapsed, policy, () => 1);
      if (wait === null) break;
      elapsed += wait;
      attempts += 1;
    }
    expect(elapsed).to.equal(policy.windowMs);
    // 1 + 7 doubling retries (30 s … 32 min: 3810 s) + 70 hourly ones + 1 at the window's end (255 390 s left).
    expect(attempts).to.equal(79);
  });
});
