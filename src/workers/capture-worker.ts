/**
 * Runs captures from the persisted queue, at most `concurrency` browsers at once, each claimed under a
 * lease that is renewed while it runs. Several instances share the queue: a capture is run again only
 * when its lease expired (its instance died), after at most `maxAttempts` runs (a page that kills the
 * instance every time ends failed). A clean stop hands the captures in flight back to the queue at once,
 * and that run is not counted.
 * A capture that throws ends failed: run again, it would fail again.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { LeaseLostError } from "../ports/leases.ts";
import { runCapture, type CaptureDeps } from "../use-cases/capture-listing.ts";

export interface CaptureWorkerOptions {
  concurrency: number;
  /** This instance: the holder of the leases it claims. */
  owner: string;
  /** How long a claim lasts unless renewed (renewed every third of it). */
  leaseMs: number;
  maxAttempts: number;
  /**
   * `owner` is this process's alone across restarts (the embedded SQLite index: one process at a time):
   * captures it held when it last died are run again at once, not after their lease (each such run counts).
   */
  ownerSurvivesRestarts?: boolean;
  pollMs?: number;
  signal: AbortSignal;
  log: Logger;
}

export function startCaptureWorker(deps: CaptureDeps, options: CaptureWorkerOptions): { done: Promise<void> } {
  const captures = deps.index.captures;
  const inFlight = new Map<string, Promise<void>>();
  const heartbeat = setInterval(
    () => {
      captures
        .renewLeases([...inFlight.keys()], options.owner, options.leaseMs)
        .catch((error) => options.log.warn({ err: error }, "capture leases could not be renewed"));
    },
    Math.max(100, Math.floor(options.leaseMs / 3)),
  );

  const done = (async () => {
    if (options.ownerSurvivesRestarts) {
      const resumed = await captures.endLeases(options.owner).catch(() => 0);
      if (resumed) options.log.info({ resumed }, "captures the last process died running are run again (or end failed after the last run)");
    }
    while (!options.signal.aborted) {
      const free = options.concurrency - inFlight.size;
      try {
        if (free > 0 && (await captures.claimable())) {
          const exhausted = await captures.failExhausted(
            options.maxAttempts,
            `the capture was cut short ${options.maxAttempts} times (its instance died each time)`,
            new Date().toISOString(),
          );
          if (exhausted) options.log.warn({ captures: exhausted }, "captures cut short too often end failed");
          for (const capture of await captures.claim(free, options.owner, options.leaseMs)) start(capture);
        }
      } catch (error) {
        options.log.warn({ err: error }, "captures could not be claimed; will retry");
      }
      await sleep(options.pollMs ?? 250, undefined, { signal: options.signal }).catch(() => undefined);
    }
    await Promise.allSettled(inFlight.values());
    clearInterval(heartbeat);
  })();

  function start(capture: Parameters<typeof runCapture>[1]) {
    const log = options.log.child({ capture: capture.id });
    log.info({ url: capture.url, attempt: capture.attempts }, "capture started");
    const job = runCapture(deps, capture, { owner: options.owner, signal: options.signal })
      .then(async () => {
        if (!options.signal.aborted) return log.info("capture ended");
        await captures.release([capture.id], options.owner); // unfinished (a no-op if it did finish)
        log.warn("capture cut short by the stop; it is queued again");
      })
      .catch(async (error: unknown) => {
        if (error instanceof LeaseLostError)
          return log.warn({ err: error }, "capture taken over by another instance; its result is theirs");
        if (options.signal.aborted) {
          await captures.release([capture.id], options.owner).catch(() => undefined);
          return log.warn("capture cut short by the stop; it is queued again");
        }
        log.error({ err: error }, "capture could not be run; it ends failed");
        await captures
          .fail(
            capture.id,
            `the capture could not be run: ${error instanceof Error ? error.message : String(error)}`,
            new Date().toISOString(),
          )
          .catch((failure) => log.error({ err: failure }, "capture could not be marked failed; it runs again once its lease expires"));
      })
      .finally(() => inFlight.delete(capture.id));
    inFlight.set(capture.id, job);
  }
  return { done };
}
