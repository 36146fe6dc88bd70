/**
 * The whole service, in-process, on its embedded defaults (real anvil, real Helia block store, real
 * SQLite file) under a temp DATA_DIR, on free ports. It logs as in production (info, JSON lines), into
 * test-results/logs/<data folder>.log: a silent logger once hid a crash in the error handler.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/logging.ts";
import { type RunningService, type ServiceOptions, startService } from "../../src/main.ts";

const LOG_DIR = join(import.meta.dirname, "..", "..", "test-results", "logs");

export const ADMIN_KEY = "test-admin-key-0123456789abcdef";

export type TestService = RunningService & { logFile: string; logLines(): Record<string, any>[] };

/** `options.clock`: the clock case deadlines go by, for a test that moves time instead of waiting. */
export async function startTestService(
  dataDir: string,
  env: Record<string, string> = {},
  options: ServiceOptions = {},
): Promise<TestService> {
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: "0",
    CHAIN_PORT: "0",
    ANCHOR_INTERVAL_MS: "100",
    BOOTSTRAP_API_KEY: ADMIN_KEY,
    ...env,
  });
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `${basename(dirname(dataDir))}-${basename(dataDir)}.log`);
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? "info", pino.destination({ dest: logFile, sync: true, append: true }));
  const service = await startService(config, log, options);
  const logLines = () =>
    readFileSync(logFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, any>);
  return Object.assign(service, { logFile, logLines });
}

/** A small client for the API, as a user's script would be. */
/** `apiKey` null: send no Authorization header. */
export function client(baseUrl: string, apiKey: string | null = ADMIN_KEY) {
  const headers = (extra: Record<string, string> = {}) => ({
    ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    ...extra,
  });
  return {
    get: (path: string, extra?: Record<string, string>) => fetch(baseUrl + path, { headers: headers(extra) }),
    postJson: (path: string, body: unknown) =>
      fetch(baseUrl + path, { method: "POST", headers: headers({ "content-type": "application/json" }), body: JSON.stringify(body) }),
    postRaw: (path: string, body: string | Uint8Array, contentType: string) =>
      fetch(baseUrl + path, { method: "POST", headers: headers({ "content-type": contentType }), body }),
    postForm: (path: string, form: FormData) => fetch(baseUrl + path, { method: "POST", headers: headers(), body: form }),
    delete: (path: string) => fetch(baseUrl + path, { method: "DELETE", headers: headers() }),
  };
}

export function fileForm(fields: Record<string, string>, files: Record<string, { bytes: Uint8Array; name: string; type?: string }>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const [k, f] of Object.entries(files)) form.append(k, new Blob([f.bytes], { type: f.type ?? "application/octet-stream" }), f.name);
  return form;
}

/** Polls until the evidence is anchored (or failed), as a client would. */
export async function waitForAnchored(api: ReturnType<typeof client>, id: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await api.get(`/v1/evidence/${id}`)).json()) as { status: string; [k: string]: any };
    if (body.status !== "pending") return body;
    if (Date.now() > deadline) throw new Error(`evidence ${id} still pending after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Polls the receipt until it carries `count` time-stamps (the TSA is asked after the batch forms). */
export async function waitForTimestamps(api: ReturnType<typeof client>, id: string, count: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = (await (await api.get(`/v1/evidence/${id}/receipt`)).json()) as { timestamps?: unknown[]; [k: string]: any };
    if ((receipt.timestamps?.length ?? 0) >= count) return receipt;
    if (Date.now() > deadline) throw new Error(`evidence ${id} has ${receipt.timestamps?.length} time-stamps after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls until the capture is anchored (its proof exists) or failed, as a client would; with `until:
 * "captured"`, until the browser's work is done (captured, anchored or failed).
 */
export async function waitForCapture(
  api: ReturnType<typeof client>,
  id: string,
  { until = "anchored", timeoutMs = 45_000 }: { until?: "captured" | "anchored"; timeoutMs?: number } = {},
) {
  const ended = until === "captured" ? ["captured", "anchored", "failed"] : ["anchored", "failed"];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await api.get(`/v1/captures/${id}`)).json()) as { status: string; [k: string]: any };
    if (ended.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`capture ${id} still ${body.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
