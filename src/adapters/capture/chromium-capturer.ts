/**
 * Captures a page in Debian's headless Chromium, driven by playwright-core: a new browser with a new
 * empty profile for every capture, a fixed viewport, no extensions, and all of its traffic through the
 * egress proxy (egress-proxy.ts), which refuses non-public addresses. Every other way out is closed
 * twice: by Chromium's own switches, and in every frame by egress-guard.browser.js, which also makes the
 * attempts visible (refused-requests.ts). The main frame's navigations are recorded (navigation-log.ts).
 * Before the artifacts are taken the page is scrolled to its end (scroll-page.ts), so what loads only when
 * seen is in them; it is captured as a desktop or a phone (device-profiles.ts).
 * Artifacts: full-page PNG, MHTML (CDP Page.captureSnapshot), the rendered HTML, the HAR of the load, and
 * a WACZ archive of the visit made from the HAR (wacz.ts), a video of the visit (screencast-recorder.ts);
 * the manifest's environment record (host-environment.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import type { BrowserContext, CDPSession } from "playwright-core";
import type { CaptureDevice, CapturedArtifact, PageCapture, PageCapturer } from "../../ports/page-capturer.ts";
import { bareHost, endpointOf } from "../../domain/endpoint.ts";
import { describeEgressRule, RESOLVER, startEgressProxy, type EgressPolicy, type EgressRecord } from "./egress-proxy.ts";
import { clockState, hostEnvironment, serviceCommit } from "./host-environment.ts";
import { startScreencast, videoNotRecorded, type ScreencastRecorder } from "./screencast-recorder.ts";
import { EXTRACT_LISTING_SCRIPT, type ExtractedListing } from "./listing-extraction.ts";
import { recordNavigations, type NavigationLog, type NavigationOutcome } from "./navigation-log.ts";
import { BROWSER_SERVICES_SINK, watchRefusedRequests, type RefusedRequests } from "./refused-requests.ts";
import { deviceSeen, emulationOf } from "./device-profiles.ts";
import { screenshotArea, scrollThrough } from "./scroll-page.ts";
import { waczArtifact } from "./wacz.ts";

/**
 * What this machine's Chromium needs headless, what keeps it from calling home, and what closes its ways
 * around the proxy (each checked in this Chromium by test/integration/hostile-captures.test.ts).
 */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-extensions",
  "--disable-quic",
  // Chromium's own services (component updates, Google accounts) still call out now and then, through
  // the proxy: pointed at a sink the proxy refuses, they reach nothing (refused-requests.ts leaves them out).
  `--component-updater=url-source=${BROWSER_SERVICES_SINK}`,
  `--gaia-url=${BROWSER_SERVICES_SINK}`,
  "--webrtc-ip-handling-policy=disable_non_proxied_udp",
  // Resolve no name: only the proxy (an IP literal) is reached directly; it resolves and checks every host.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
];

/** Longest wait, after a scroll step, for the video to get a frame of the new view. */
const FRAME_WAIT_MS = 1000;

/** Defaults of playwright-core the capture browser goes without: Chromium's popup blocker stays on. */
const WITHOUT_DEFAULT_ARGS = ["--disable-popup-blocking"];

const EGRESS = "every request through the service's egress proxy, which resolves each host itself and refuses non-public addresses";

/** How each way around the proxy is closed, for the manifest. Keep in step with the flags and egress-guard.browser.js. */
export const CLOSED_EXITS = {
  webrtc:
    "RTCPeerConnection is removed from every frame (attempts are listed in refusedRequests), and --webrtc-ip-handling-policy=disable_non_proxied_udp leaves WebRTC no UDP and no local (mDNS) candidates, only TCP through the proxy",
  quic: "--disable-quic; through a proxy Chromium does not use HTTP/3 either, whatever alt-svc offers",
  webtransport:
    "WebTransport is removed from every frame (attempts are listed in refusedRequests); in workers Chromium refuses it, as it does not run it through a proxy",
  dns: "--host-resolver-rules: Chromium resolves no name itself, so DNS prefetches send nothing; the proxy (127.0.0.1) resolves and checks every host",
  popups:
    "window.open is refused (attempts are listed in refusedRequests), Chromium's popup blocker is on, and any page that opens anyway is closed",
  serviceWorkers: "registration is refused in every frame (attempts are listed in refusedRequests), and blocked by the driver",
};

export interface ChromiumCapturerOptions {
  chromiumPath: string;
  policy: EgressPolicy;
  /** Certificates to trust beyond the system's, by SPKI SHA-256 (base64). */
  trustedSpki?: readonly string[];
  /** How far down a page is scrolled and shown in the screenshot (CSS pixels). @default 20000 */
  maxScrollHeight?: number;
  /** Package the visit as a WACZ archive (CAPTURE_WACZ). */
  wacz?: boolean;
  /** Record a video of each visit with this ffmpeg; no video without it. */
  video?: { ffmpegPath: string };
}

export function chromiumCapturer(options: ChromiumCapturerOptions): PageCapturer {
  void serviceCommit(); // read once, at startup
  return { capture: (url, limits) => captureWithChromium(url, limits, options) };
}

async function captureWithChromium(
  requestedUrl: string,
  limits: { timeoutMs: number; maxBytes: number; device: CaptureDevice; signal?: AbortSignal },
  options: ChromiumCapturerOptions,
): Promise<PageCapture> {
  // Loaded on first use: playwright-core is large, and a service that never captures should not carry it.
  const { chromium, errors, devices } = await import("playwright-core");
  const emulation = emulationOf(limits.device, devices);
  const started = Date.now();
  const deadline = started + limits.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const overtime = () => new CaptureTimeout(`the capture took longer than CAPTURE_TIMEOUT_MS (${limits.timeoutMs} ms)`);
  const profile = await mkdtemp(join(tmpdir(), "capture-profile-"));
  const harPath = join(profile, "..", `${profile.split("/").pop()}.har`);
  const proxy = await startEgressProxy(options.policy);
  const clock = clockState();
  const result: PageCapture = {
    requestedUrl,
    finalUrl: null,
    redirects: [],
    navigations: [],
    http: null,
    server: null,
    tls: null,
    startedAt: new Date(started).toISOString(),
    endedAt: "",
    browser: {
      name: "Chromium",
      version: "",
      userAgent: "",
      viewport: emulation.options.viewport,
      flags: CHROMIUM_FLAGS,
      profile: "new empty profile",
      egress: EGRESS,
      closedExits: CLOSED_EXITS,
    },
    listing: null,
    device: emulation.asked,
    scroll: null,
    refused: [],
    refusedNotListed: 0,
    artifacts: [],
    error: null,
  };
  const add = (artifact: CapturedArtifact) => result.artifacts.push(artifact);
  let context: BrowserContext | undefined;
  let cdp: CDPSession | undefined;
  let navigations: NavigationLog | undefined;
  let refusals: RefusedRequests | undefined;
  let recorder: ScreencastRecorder | undefined;
  let ended = false;
  let described = false;
  let title: string | undefined;
  const describe = async (outcome: NavigationOutcome) => {
    described = true;
    await describeFinal(result, outcome, cdp!, proxy.records);
  };
  let received = 0;
  const sizes: Promise<unknown>[] = [];
  // The whole visit within CAPTURE_TIMEOUT_MS, whatever the browser does: a browser that stops
  // answering (hung, stopped) cannot hold the capture, and is killed below if it will not close.
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(overtime()), remaining());
  });
  const visit = async () => {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: options.chromiumPath,
      headless: true,
      args: [
        ...CHROMIUM_FLAGS,
        `--proxy-server=${proxy.url}`,
        "--proxy-bypass-list=<-loopback>",
        ...(options.trustedSpki?.length ? [`--ignore-certificate-errors-spki-list=${options.trustedSpki.join(",")}`] : []),
      ],
      ignoreDefaultArgs: WITHOUT_DEFAULT_ARGS,
      ...emulation.options,
      serviceWorkers: "block",
      acceptDownloads: false,
      recordHar: { path: harPath, content: "embed" },
      timeout: remaining(),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    cdp = await context.newCDPSession(page);
    if (options.video) recorder = await startScreencast(cdp, { ...options.video, viewport: result.browser.viewport });
    if (ended) void recorder?.stop(); // started after the deadline: its ffmpeg must not wait forever
    await cdp.send("Network.enable"); // Network.getCertificate answers only with the domain on
    const version = (await cdp.send("Browser.getVersion")) as { product: string };
    result.browser.version = version.product.replace(/^[^/]*\//, "");
    const seen = await deviceSeen(page, emulation.asked); // the device as the page sees it, for the manifest
    [result.browser.userAgent, result.device] = [seen.userAgent, seen.device];
    refusals = await watchRefusedRequests(context, page);
    navigations = await recordNavigations(page, cdp);
    page.on("requestfinished", (request) => {
      sizes.push(
        request.sizes().then(
          (s) => (received += s.responseBodySize + s.responseHeadersSize),
          () => undefined,
        ),
      );
    });
    const crashed = new Promise<never>((_, reject) => page.once("crash", () => reject(new Error("the browser page crashed"))));
    const aborted = new Promise<never>((_, reject) =>
      limits.signal?.addEventListener("abort", () => reject(new Error("capture cancelled")), { once: true }),
    );

    await Promise.race([page.goto(requestedUrl, { waitUntil: "load", timeout: remaining() }), crashed, aborted]);
    await Promise.race([page.waitForLoadState("networkidle", { timeout: Math.min(3000, remaining()) }).catch(() => undefined), crashed]);
    const withinBytes = async () => {
      await Promise.all(sizes);
      if (received > limits.maxBytes)
        throw new Error(`the page is larger than the limit of ${limits.maxBytes} bytes (${received} received)`);
    };
    await withinBytes();
    const loaded = navigations.outcome(proxy.records);
    await describe(loaded);
    // The browser shows the proxy's refusal, not a page a site sent: no screenshot of it (the HAR is kept).
    if (loaded.refused) throw new Error(loaded.refused.reason);

    // Each view scrolled to is in the video, however slowly the frames come (a busy machine).
    const shown = (since: number) =>
      recorder?.frameShown(since, Math.min(FRAME_WAIT_MS, Math.max(0, deadline - Date.now()))) ?? Promise.resolve();
    const scroll = await Promise.race([
      scrollThrough(page, { maxHeight: options.maxScrollHeight ?? 20_000, deadline }, shown),
      crashed,
      aborted,
    ]);
    result.scroll = scroll;
    await withinBytes(); // what scrolling loaded counts too
    await recorder?.stop(); // the video ends here: the full-page screenshot resizes the page
    add({
      role: "screenshot",
      fileName: "screenshot.png",
      mediaType: "image/png",
      bytes: await page.screenshot({ fullPage: true, ...(await screenshotArea(page, scroll)), type: "png", timeout: remaining() }),
    });
    const mhtml = (await cdp.send("Page.captureSnapshot", { format: "mhtml" })) as { data: string };
    add({ role: "mhtml", fileName: "page.mhtml", mediaType: "multipart/related", bytes: Buffer.from(mhtml.data) });
    add({ role: "html", fileName: "page.html", mediaType: "text/html", bytes: Buffer.from(await page.content()) });
    title = await page.title();
    result.listing = (await page.evaluate(EXTRACT_LISTING_SCRIPT)) as ExtractedListing | null;
    // A page that answered 404 or 500 was captured all the same (a removed listing is evidence): its
    // status is in the manifest and on the capture, not a failure of the capture.
  };
  const visiting = visit();
  visiting.catch(() => undefined); // once the deadline passed, its late failure has no one to tell
  try {
    await Promise.race([visiting, expired]);
  } catch (error) {
    const outcome = navigations?.outcome(proxy.records);
    if (outcome && !described) await describe(outcome).catch(() => undefined);
    // A step's own timeout (page.goto's, given what was left) that ends at the deadline is the deadline:
    // which of the two timers fires first is chance, and the reason must not depend on it.
    const atDeadline = error instanceof errors.TimeoutError && Date.now() >= deadline - DEADLINE_SLACK_MS;
    const cause = atDeadline ? overtime() : error;
    result.error = outcome?.refused?.reason ?? describeError(cause, errors.TimeoutError);
  } finally {
    // A navigation refused while the artifacts were taken fails the capture too.
    const outcome = navigations?.outcome(proxy.records);
    if (outcome) result.navigations = outcome.navigations;
    if (outcome?.refused) result.error = outcome.refused.reason;
    clearTimeout(timer);
    ended = true;
    const video = await recorder?.stop();
    // Like the screenshot: no picture kept of the proxy's refusal, which no site sent.
    if (video?.bytes && outcome?.refused) [video.bytes, video.record.error] = [undefined, REFUSED_VIDEO];
    // Closing writes the HAR. A browser that will not close in time is killed (its pages go with it).
    if (context && !(await settlesWithin(context.close(), BROWSER_CLOSE_MS))) killProcessesUsing(profile);
    await proxy.close();
    const har = await readFile(harPath).catch(() => undefined);
    if (har) add({ role: "har", fileName: "load.har", mediaType: "application/json", bytes: har });
    if (har && options.wacz) {
      const wacz = await waczArtifact(har, result, { title, signal: limits.signal });
      if ("missing" in wacz) result.missingArtifacts = [...(result.missingArtifacts ?? []), { role: "wacz", reason: wacz.missing }];
      else add(wacz);
    }
    if (video?.bytes) add({ role: "video", fileName: "visit.mp4", mediaType: "video/mp4", bytes: video.bytes });
    if (options.video) result.video = video?.record ?? videoNotRecorded("the browser did not start");
    result.environment = await hostEnvironment(clock, proxy.records, describeEgressRule(options.policy), RESOLVER);
    await rm(profile, { recursive: true, force: true });
    await rm(harPath, { force: true });
    const refused = refusals?.list(proxy.records);
    if (refused) [result.refused, result.refusedNotListed] = [refused.listed, refused.notListed];
    result.endedAt = new Date().toISOString();
  }
  return result;
}

const REFUSED_VIDEO =
  "not kept: a navigation of the page was refused, and the browser showed the egress proxy's refusal, not a page a site sent";

/** How long a browser gets to close (and write its HAR) before it is killed. */
const BROWSER_CLOSE_MS = 10_000;

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}

/** SIGKILLs every process whose command line names `profile` (the capture's own, new browser). */
function killProcessesUsing(profile: string): void {
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(profile)) process.kill(Number(pid), "SIGKILL");
    } catch {
      // gone already, or not ours to read
    }
  }
}

/** The last document a site answered: its URL, the way there, its HTTP answer, server and certificate. */
async function describeFinal(result: PageCapture, outcome: NavigationOutcome, cdp: CDPSession, egress: readonly EgressRecord[]) {
  if (!outcome.final) return;
  const { index, response } = outcome.final;
  result.finalUrl = outcome.navigations[index]!.url;
  result.redirects = outcome.navigations.slice(0, index).map((n) => n.url);
  result.http = { status: response.status(), statusText: response.statusText(), headers: await response.allHeaders() };
  const final = new URL(result.finalUrl);
  const { host, port } = endpointOf(final);
  const hop = [...egress].reverse().find((e) => bareHost(e.host) === host && e.port === port && e.address);
  if (hop) result.server = { address: hop.address!, port };
  const security = final.protocol === "https:" ? await response.securityDetails() : null;
  if (security) {
    let fingerprint: string | null = null;
    try {
      const { tableNames } = (await cdp.send("Network.getCertificate", { origin: final.origin })) as { tableNames: string[] };
      // The leaf certificate (DER): its SHA-256 fingerprint, as browsers and openssl show it.
      if (tableNames[0])
        fingerprint = new X509Certificate(Buffer.from(tableNames[0], "base64")).fingerprint256.replace(/:/g, "").toLowerCase();
    } catch {
      fingerprint = null;
    }
    result.tls = {
      protocol: security.protocol ?? "",
      subject: security.subjectName ?? "",
      issuer: security.issuer ?? "",
      validFrom: security.validFrom ? new Date(security.validFrom * 1000).toISOString() : "",
      validTo: security.validTo ? new Date(security.validTo * 1000).toISOString() : "",
      sha256Fingerprint: fingerprint,
    };
  }
}

/** How early a step's timeout may fire and still be the capture's deadline (timers round to milliseconds). */
const DEADLINE_SLACK_MS = 100;

/** The whole visit ran out of time (CAPTURE_TIMEOUT_MS). */
class CaptureTimeout extends Error {
  override readonly name = "CaptureTimeout";
}

function describeError(error: unknown, playwrightTimeout: new (...args: never[]) => Error): string {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]!;
  return error instanceof CaptureTimeout || error instanceof playwrightTimeout ? `timed out: ${message}` : message;
}
