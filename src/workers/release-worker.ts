/**
 * Releases, every interval, the content of refused uploads that has waited long enough and that no
 * record uses (see use-cases/release-content.ts). A store that is down is retried at the next tick.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { releaseDueContent, type ReleaseDeps } from "../use-cases/release-content.ts";

export function startReleaseWorker(
  deps: ReleaseDeps,
  options: { intervalMs: number; delayMs?: number; signal: AbortSignal; log: Logger },
): { done: Promise<void> } {
  const done = (async () => {
    while (!options.signal.aborted) {
      try {
        const released = await releaseDueContent(deps, { delayMs: options.delayMs, signal: options.signal });
        if (released.length) options.log.info({ released }, "content of refused uploads released");
      } catch (error) {
        if (!options.signal.aborted) options.log.warn({ err: error }, "releasing content failed; will retry");
      }
      await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  })();
  return { done };
}
