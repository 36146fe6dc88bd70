/**
 * Every capture ends, captured or failed, whatever the page held and whatever fails after the browser
 * returned. The index is the real SQLite one, in memory; the browser and the content store are stand-ins
 * (one that fails on demand).
 */
import { expect } from "chai";
import { pino } from "pino";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import type { ContentStore } from "../../src/ports/content-store.ts";
import type { PageCapture, PageCapturer } from "../../src/ports/page-capturer.ts";
import { runCapture, type CaptureDeps } from "../../src/use-cases/capture-listing.ts";
import { startCaptureWorker } from "../../src/workers/capture-worker.ts";
import { memoryStore } from "../helpers/memory-store.ts";

function page(overrides: Partial<PageCapture> = {}): PageCapture {
  const url = "https://shop.example/item/1";
  return {
    requestedUrl: url,
    finalUrl: url,
    redirects: [],
    navigations: [{ url, reachedBy: "initial", httpStatus: 200, refused: false }],
    http: { status: 200, statusText: "OK", headers: {} },
    server: { address: "93.184.215.14", port: 443 },
    tls: null,
    startedAt: "2026-11-20T08:30:00.000Z",
    endedAt: "2026-11-20T08:30:02.000Z",
    browser: {
      name: "Chromium",
      version: "156",
      userAgent: "ua",
      viewport: { width: 1366, height: 900 },
      flags: [],
      profile: "new empty profile",
      egress: "proxy",
      closedExits: {},
    },
    listing: { source: "json-ld", title: "Watch", images: [] },
    device: {
      name: "desktop",
      emulates: null,
      screen: { width: 1366, height: 900 },
      deviceScaleFactor: 1,
      isMobile: false,
      hasTouch: false,
    },
    scroll: null,
    refused: [],
    refusedNotListed: 0,
    artifacts: [
      { role: "screenshot", fileName: "screenshot.png", mediaType: "image/png", bytes: Buffer.from("png bytes") },
      { role: "html", fileName: "page.html", mediaType: "text/html", bytes: Buffer.from("<h1>Watch</h1>") },
    ],
    error: null,
    ...overrides,
  };
}

const store = memoryStore;

const OWNER = "inst_test";

async function setup(capturer: PageCapturer, content: ContentStore, options: { claim?: boolean } = {}) {
  const index = await openSqliteIndex(":memory:");
  await index.accounts.create({ id: "acc_1", name: "a", role: "rights-holder", createdAt: "2026-01-01T00:00:00Z" });
  const deps: CaptureDeps = {
    index,
    store: content,
    capturer,
    egress: { check: async () => ({ refused: "unit tests send nothing", addresses: [] }) },
    timeoutMs: 1000,
    maxBytes: 1e6,
  };
  // Queued as requestCapture would, without its DNS lookup: unit tests send nothing.
  await index.captures.create({
    id: "cap_1",
    accountId: "acc_1",
    url: "https://shop.example/item/1",
    requestedAt: "2026-11-20T08:29:00.000Z",
  });
  const [claimed] = options.claim === false ? [] : await index.captures.claim(1, OWNER, 60_000);
  return { index, deps, capture: claimed! };
}

describe("runCapture", () => {
  it("ends a capture whose listing holds lone surrogates captured, the manifest well-formed and saying so", async () => {
    const content = store();
    const { index, deps, capture } = await setup(
      { capture: async () => page({ listing: { source: "json-ld", title: "Fake \ud800 watch", brand: "\udfff", images: [] } }) },
      content,
    );
    await runCapture(deps, capture, { owner: OWNER });
    const ended = (await index.captures.get("acc_1", capture.id))!;
    expect(ended.status).to.equal("captured");
    expect(ended.summary!.listing).to.deep.include({ title: "Fake \ufffd watch", brand: "\ufffd" });
    const manifest = JSON.parse(
      Buffer.from(content.held.get((await index.evidence.get("acc_1", ended.manifestId!))!.cid)!).toString("utf8"),
    );
    expect(manifest.listing).to.deep.include({ title: "Fake \ufffd watch", brand: "\ufffd" });
    expect(manifest.loneSurrogatesReplaced).to.deep.equal(["listing.title", "listing.brand"]);
  });

  it("ends a capture failed, with the artifacts that could be stored, when one cannot be stored", async () => {
    const { index, deps, capture } = await setup(
      { capture: async () => page() },
      store((bytes) => Buffer.from(bytes).toString() === "png bytes"),
    );
    await runCapture(deps, capture, { owner: OWNER });
    const ended = (await index.captures.get("acc_1", capture.id))!;
    expect(ended.status).to.equal("failed");
    expect(ended.failureReason).to.equal("the screenshot could not be stored: no space left on device");
    expect((ended.summary!.artifacts as { role: string }[]).map((a) => a.role)).to.deep.equal(["html"]);
    expect((await index.evidence.get("acc_1", ended.manifestId!))!.kind).to.equal("capture-manifest");
  });

  it("records each item it stores in the custody log, with the capture and account it stored it for", async () => {
    const { index, deps, capture } = await setup({ capture: async () => page() }, store());
    await runCapture(deps, capture, { owner: OWNER });
    const ended = (await index.captures.get("acc_1", capture.id))!;
    const stored = [...(ended.summary!.artifacts as { evidenceId: string }[]).map((a) => a.evidenceId), ended.manifestId];
    const entries = (await index.custody.range(1, 100)).map((row) => JSON.parse(row.entryJson));
    expect(entries.map(({ at: _at, ...entry }) => entry)).to.deep.equal(
      stored.map((evidenceId, i) => ({ seq: i + 1, evidenceId, accountId: "acc_1", route: "capture", captureId: capture.id, status: 201 })),
    );
  });

  it("ends a capture failed, without a manifest, when nothing can be stored", async () => {
    const { index, deps, capture } = await setup(
      { capture: async () => page() },
      store(() => true),
    );
    await runCapture(deps, capture, { owner: OWNER });
    const ended = (await index.captures.get("acc_1", capture.id))!;
    expect(ended.status).to.equal("failed");
    expect(ended.failureReason).to.equal("the capture could not be recorded: no space left on device");
    expect(ended.manifestId).to.equal(undefined);
    expect(await index.captures.countByStatus()).to.deep.include({ running: 0, queued: 0 }); // nothing left to run again
  });
});

describe("the capture worker", () => {
  const log = pino({ level: "silent" });

  /** Runs the worker on one queued capture until the browser stand-in has settled, then stops it. */
  async function runWorker(capture: (signal: AbortSignal, stopWorker: () => void) => Promise<PageCapture>) {
    const stop = new AbortController();
    let settled: Promise<unknown> | undefined;
    const { index, deps } = await setup({ capture: (_url, { signal }) => (settled = capture(signal!, () => stop.abort())) }, store(), {
      claim: false,
    });
    const worker = startCaptureWorker(deps, {
      concurrency: 1,
      owner: OWNER,
      leaseMs: 60_000,
      maxAttempts: 3,
      pollMs: 5,
      signal: stop.signal,
      log,
    });
    while (!settled) await new Promise((r) => setTimeout(r, 5));
    await settled.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 0)); // the worker's own handling of the outcome runs first
    stop.abort();
    await worker.done;
    return (await index.captures.get("acc_1", "cap_1"))!;
  }

  it("ends failed a capture whose run throws, instead of leaving it running for every start", async () => {
    const ended = await runWorker(async () => Promise.reject(new Error("no room for a browser profile")));
    expect(ended.status).to.equal("failed");
    expect(ended.failureReason).to.equal("the capture could not be run: no room for a browser profile");
  });

  it("hands a capture cut short by a stop back to the queue, to be run at once by whoever claims next", async () => {
    const ended = await runWorker((signal, stopWorker) => {
      const cancelled = new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(new Error("capture cancelled"))));
      stopWorker();
      return cancelled;
    });
    expect(ended.status).to.equal("queued");
    expect(ended.attempts).to.equal(0); // the run the stop cut short is not counted
  });

  it("on the embedded index, runs again at start what the last process died running, and fails it after the third such run", async () => {
    const started: number[] = [];
    const { index, deps } = await setup({ capture: async () => page() }, store(), { claim: false });
    // Three processes each died running it (a page that kills the process, say): claimed, never ended.
    for (let died = 1; died <= 3; died++) {
      await index.captures.endLeases(OWNER); // what a start does
      expect((await index.captures.claim(1, OWNER, 60_000)).map((c) => c.attempts)).to.deep.equal([died]);
    }
    const stop = new AbortController();
    const worker = startCaptureWorker(
      { ...deps, capturer: { capture: async () => (started.push(Date.now()), page()) } },
      { concurrency: 1, owner: OWNER, leaseMs: 60_000, maxAttempts: 3, ownerSurvivesRestarts: true, pollMs: 5, signal: stop.signal, log },
    );
    let ended = (await index.captures.get("acc_1", "cap_1"))!;
    while (ended.status === "running") {
      await new Promise((r) => setTimeout(r, 5));
      ended = (await index.captures.get("acc_1", "cap_1"))!;
    }
    stop.abort();
    await worker.done;
    expect([ended.status, ended.failureReason, started.length]).to.deep.equal([
      "failed",
      "the capture was cut short 3 times (its instance died each time)",
      0,
    ]);
  });
});
