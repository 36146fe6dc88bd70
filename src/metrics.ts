/**
 * Prometheus metrics (prom-client), served at GET /metrics: request rates and latencies by route, the
 * anchoring queue (pending items and the oldest one's age, batches by state), the capture queue, and
 * failures of the store and the chain. Queue figures are read from the index when scraped.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricSources {
  evidenceByStatus(): Promise<Record<string, number>>;
  oldestPendingReceivedAt(): Promise<string | null>;
  batchesByState(): Promise<Record<string, number>>;
  capturesByStatus(): Promise<Record<string, number>>;
}

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<"method" | "route" | "status">;
  readonly httpDuration: Histogram<"method" | "route">;
  /** Calls to the content store that failed (down, past their deadline), by operation. */
  readonly storeErrors: Counter<"operation">;
  /** Anchoring runs that failed on the chain. */
  readonly chainErrors: Counter<"operation">;
  readonly anchoredItems: Counter;
}

export function createMetrics(sources: MetricSources, now: () => number = Date.now): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => Promise<void>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        await collect(this);
      },
    });

  gauge("evidence_items", "Evidence items by anchoring status", ["status"], async (g) => {
    for (const [status, n] of Object.entries(await sources.evidenceByStatus())) g.set({ status }, n);
  });
  gauge("evidence_oldest_pending_age_seconds", "Age of the oldest item waiting for its anchor (0 when none waits)", [], async (g) => {
    const oldest = await sources.oldestPendingReceivedAt();
    g.set(oldest ? Math.max(0, (now() - Date.parse(oldest)) / 1000) : 0);
  });
  gauge("anchor_batches", "Merkle batches by state", ["state"], async (g) => {
    for (const [state, n] of Object.entries(await sources.batchesByState())) g.set({ state }, n);
  });
  gauge("captures", "Captures by status (queued and running: the capture queue)", ["status"], async (g) => {
    for (const [status, n] of Object.entries(await sources.capturesByStatus())) g.set({ status }, n);
  });

  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by route template and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time to answer an HTTP request, by route template",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    storeErrors: new Counter({
      name: "store_errors_total",
      help: "Content store calls that failed or missed their deadline",
      labelNames: ["operation"],
      registers: [registry],
    }),
    chainErrors: new Counter({
      name: "chain_errors_total",
      help: "Chain calls that failed (anchoring runs, anchor re-checks)",
      labelNames: ["operation"],
      registers: [registry],
    }),
    anchoredItems: new Counter({ name: "anchored_items_total", help: "Items anchored by this process", registers: [registry] }),
  };
}
