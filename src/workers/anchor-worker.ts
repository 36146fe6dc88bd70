/**
 * The anchoring loop: every interval, anchor what is pending. Errors (a chain that is down, say) are
 * logged and retried at the next tick; nothing is lost, items simply stay pending. Stops when its
 * signal aborts, leaving any batch in flight recorded for the next start to finish.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { anchorPending, type AnchorDeps } from "../use-cases/anchor-batch.ts";

export interface AnchorWorkerStatus {
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
}

export function startAnchorWorker(
  deps: AnchorDeps,
  options: {
    intervalMs: number;
    signal: AbortSignal;
    log: Logger;
    /** Told of each run's outcome (for metrics). */
    onRun?: (outcome: { anchoredItems: number } | { error: unknown }) => void;
  },
): { status: AnchorWorkerStatus; done: Promise<void> } {
  const status: AnchorWorkerStatus = { lastRunAt: null, lastSuccessAt: null, lastError: null };
  const done = (async () => {
    while (!options.signal.aborted) {
      status.lastRunAt = new Date().toISOString();
      try {
        const result = await anchorPending(deps, { signal: options.signal });
        options.onRun?.({ anchoredItems: result.anchoredItems });
        status.lastSuccessAt = new Date().toISOString();
        if (status.lastError) options.log.info("anchoring recovered");
        status.lastError = null;
      } catch (error) {
        options.onRun?.({ error });
        const message = error instanceof Error ? error.message : String(error);
        if (message !== status.lastError) options.log.warn({ err: error }, "anchoring failed; will retry");
        status.lastError = message;
      }
      await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  })();
  return { status, done };
}
