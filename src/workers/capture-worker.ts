/**
 * Runs queued captures, at most `concurrency` browsers at once; the queue is in the index, so captures
 * waiting or cut short by a stop are resumed at the next start. Stops when its signal aborts (a
 * capture in flight is left running and captured again at the next start). A capture that throws
 * otherwise ends failed: run again at every start, it would fail again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { runCapture, type CaptureDeps } from "../use-cases/capture-listing.ts";

export function startCaptureWorker(
  deps: CaptureDeps,
  options: { concurrency: number; pollMs?: number; signal: AbortSignal; log: Logger },
): { done: Promise<void> } {
  const resumed = deps.captures.requeueRunningCaptures();
  if (resumed) options.log.info({ resumed }, "captures cut short by the last stop are queued again");
  const inFlight = new Set<Promise<void>>();
  const done = (async () => {
    while (!options.signal.aborted) {
      const free = options.concurrency - inFlight.size;
      for (const capture of free > 0 ? deps.captures.claimCaptures(free) : []) {
        const log = options.log.child({ capture: capture.id });
        log.info({ url: capture.url }, "capture started");
        const job = runCapture(deps, capture, { signal: options.signal })
          .then(() => log.info("capture ended"))
          .catch((error: unknown) => {
            if (options.signal.aborted) return log.warn({ err: error }, "capture cut short by the stop; it runs again at the next start");
            log.error({ err: error }, "capture could not be run; it ends failed");
            try {
              deps.captures.failCapture(capture.id, `the capture could not be run: ${error instanceof Error ? error.message : String(error)}`);
            } catch (failure) {
              log.error({ err: failure }, "capture could not be marked failed; it runs again at the next start");
            }
          })
          .finally(() => inFlight.delete(job));
        inFlight.add(job);
      }
      await sleep(options.pollMs ?? 250, undefined, { signal: options.signal }).catch(() => undefined);
    }
    await Promise.allSettled(inFlight);
  })();
  return { done };
}
