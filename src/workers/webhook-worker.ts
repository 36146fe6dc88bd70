/**
 * Delivers webhooks (use-cases/deliver-webhooks.ts): every interval, and at once while there is more,
 * fans new outbox events out into deliveries and attempts those due. Due times live in the index, so
 * a restart, or another instance, picks up where this one stopped.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { deliverDue, fanOut, type DeliverDeps } from "../use-cases/deliver-webhooks.ts";

export function startWebhookWorker(
  deps: DeliverDeps,
  options: { intervalMs: number; signal: AbortSignal; log: Logger },
): { done: Promise<void> } {
  const done = (async () => {
    while (!options.signal.aborted) {
      let more = false;
      try {
        const events = await fanOut(deps);
        const attempted = await deliverDue(deps, { signal: options.signal });
        more = events > 0 || attempted > 0;
      } catch (error) {
        if (!options.signal.aborted) options.log.warn({ err: error }, "webhook delivery failed; will retry");
      }
      if (!more) await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  })();
  return { done };
}
