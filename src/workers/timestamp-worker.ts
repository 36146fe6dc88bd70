/**
 * Fetches the time-stamps batches asked for (use-cases/time-stamp-roots.ts), every interval and as soon
 * as there is more to do, each TSA on its own. Pending stamps of TSAs no longer configured are given up at start: a receipt
 * lists as pending only what is still being asked for.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { TimestampRepository } from "../ports/timestamp-repository.ts";
import { stampDueRoots, type StampDeps } from "../use-cases/time-stamp-roots.ts";

export function startTimestampWorker(
  deps: StampDeps & { timestamps: TimestampRepository },
  options: { intervalMs: number; signal: AbortSignal; log: Logger },
): { done: Promise<void> } {
  const urls = deps.authorities.map((a) => a.authority.url);
  const done = (async () => {
    try {
      const dropped = await deps.timestamps.abandonOthers(urls, "the TSA is no longer in TSA_URLS");
      if (dropped) options.log.warn({ dropped }, "pending time-stamps of TSAs no longer configured given up");
    } catch (error) {
      options.log.warn({ err: error }, "could not give up the time-stamps of TSAs no longer configured");
    }
    // One loop per TSA, one stamp at a time: a TSA that hangs until its deadline holds up only itself.
    await Promise.all(deps.authorities.map((authority) => stampLoop({ ...deps, authorities: [authority] }, options)));
  })();
  return { done };
}

async function stampLoop(
  deps: StampDeps & { timestamps: TimestampRepository },
  options: { intervalMs: number; signal: AbortSignal; log: Logger },
) {
  const url = deps.authorities[0]!.authority.url;
  while (!options.signal.aborted) {
    let more = false;
    try {
      const result = await stampDueRoots(deps, { max: 1, signal: options.signal });
      more = result.stamped > 0 && (await deps.timestamps.anyDue([url]));
    } catch (error) {
      if (!options.signal.aborted) options.log.warn({ err: error, tsa: url }, "time-stamping failed; will retry");
    }
    if (!more) await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
  }
}
