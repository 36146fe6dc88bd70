/**
 * The anchoring loop: every interval, anchor what is pending, under the `anchoring` lease, so that of
 * several instances exactly one anchors at a time (the others stand by, and one takes over within the
 * lease time if it dies). Errors (a chain that is down, say) are logged and retried at the next tick;
 * nothing is lost, items simply stay pending. Stops when its signal aborts, leaving any batch in flight
 * recorded for whoever anchors next, and hands the lease on at once.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { anchorPending, type AnchorDeps } from "../use-cases/anchor-batch.ts";

export const ANCHORING_LEASE = "anchoring";

export interface AnchorWorkerStatus {
  /** active: this instance anchors; standby: another instance holds the lease. */
  role: "starting" | "active" | "standby";
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
}

export function startAnchorWorker(
  deps: Omit<AnchorDeps, "lease">,
  options: {
    intervalMs: number;
    /** This instance, as the lease's holder. */
    owner: string;
    /** How long the lease lasts unless renewed; another instance takes over after it. */
    leaseMs: number;
    signal: AbortSignal;
    log: Logger;
    /** Told of each run's outcome (for metrics). */
    onRun?: (outcome: { anchoredItems: number } | { error: unknown }) => void;
  },
): { status: AnchorWorkerStatus; done: Promise<void> } {
  const status: AnchorWorkerStatus = { role: "starting", lastRunAt: null, lastSuccessAt: null, lastError: null };
  const acquire = () => deps.index.leases.acquire(ANCHORING_LEASE, options.owner, options.leaseMs);
  const done = (async () => {
    while (!options.signal.aborted) {
      status.lastRunAt = new Date().toISOString();
      try {
        const token = await acquire();
        if (token === null) {
          if (status.role !== "standby") options.log.info("another instance anchors; standing by");
          status.role = "standby";
          status.lastError = null;
        } else {
          if (status.role !== "active") options.log.info({ token }, "this instance anchors now");
          status.role = "active";
          const lease = { name: ANCHORING_LEASE, token, renew: async () => (await acquire()) === token };
          const result = await anchorPending({ ...deps, lease }, { signal: options.signal });
          options.onRun?.({ anchoredItems: result.anchoredItems });
          status.lastSuccessAt = new Date().toISOString();
          if (status.lastError) options.log.info("anchoring recovered");
          status.lastError = null;
        }
      } catch (error) {
        options.onRun?.({ error });
        const message = error instanceof Error ? error.message : String(error);
        if (message !== status.lastError) options.log.warn({ err: error }, "anchoring failed; will retry");
        status.lastError = message;
      }
      await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
    if (status.role === "active") await deps.index.leases.release(ANCHORING_LEASE, options.owner).catch(() => undefined);
  })();
  return { status, done };
}
