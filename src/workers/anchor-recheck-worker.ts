/**
 * Re-checks the newest anchors against the chain at start and every interval (use-cases/
 * confirm-anchors.ts): anchors the chain lost are queued again. A chain that cannot be asked is tried
 * again at the next tick; nothing is changed on a guess.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { recheckRecentAnchors, type AnchorCheckDeps } from "../use-cases/confirm-anchors.ts";

export function startAnchorRecheckWorker(
  deps: AnchorCheckDeps,
  options: {
    intervalMs: number;
    signal: AbortSignal;
    log: Logger;
    /** Whether this instance anchors now: only the anchoring instance re-checks (the others would repeat it). */
    active: () => boolean;
    onError?: (error: unknown) => void;
  },
): { done: Promise<void> } {
  const done = (async () => {
    while (!options.signal.aborted) {
      try {
        if (!options.active()) {
          await sleep(500, undefined, { signal: options.signal }).catch(() => undefined);
          continue;
        }
        const reopened = await recheckRecentAnchors(deps, { signal: options.signal });
        if (reopened) options.log.warn({ batches: reopened }, "batches whose anchors the chain lost are queued again");
      } catch (error) {
        if (!options.signal.aborted) {
          options.onError?.(error);
          options.log.debug({ err: error }, "anchors could not be re-checked now; will retry");
        }
      }
      await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  })();
  return { done };
}
