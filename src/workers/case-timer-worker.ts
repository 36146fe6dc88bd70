/**
 * Fires case timers (use-cases/case-timers.ts) every interval, and at once while more are due. The
 * timers live in the index: a restart, or another instance, fires what this one did not.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { CaseDeps } from "../use-cases/case-steps.ts";
import { fireDueTimers } from "../use-cases/case-timers.ts";

export function startCaseTimerWorker(
  deps: CaseDeps,
  options: { owner: string; intervalMs: number; signal: AbortSignal; log: Logger },
): { done: Promise<void> } {
  const done = (async () => {
    while (!options.signal.aborted) {
      let fired = 0;
      try {
        fired = await fireDueTimers(deps, options.owner);
      } catch (error) {
        if (!options.signal.aborted) options.log.warn({ err: error }, "case timers could not be fired now; will retry");
      }
      if (fired === 0) await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  })();
  return { done };
}
