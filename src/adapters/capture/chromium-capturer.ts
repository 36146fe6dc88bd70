/**
 * Captures a page in Debian's headless Chromium, driven by playwright-core: a new browser with a new
 * empty profile for every capture, a fixed viewport, no extensions, service workers blocked, and all of
 * its traffic through the egress proxy (egress-proxy.ts), which refuses non-public addresses.
 * Artifacts: full-page PNG, MHTML (CDP Page.captureSnapshot), the rendered HTML, and the HAR of the load.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import type { BrowserContext, Page, Response } from "playwright-core";
import type { CapturedArtifact, PageCapture, PageCapturer } from "../../ports/page-capturer.ts";
import { bareHost, endpointOf, startEgressProxy, type EgressPolicy } from "./egress-proxy.ts";
import { EXTRACT_LISTING_SCRIPT, type ExtractedListing } from "./listing-extraction.ts";

export const CAPTURE_VIEWPORT = { width: 1366, height: 900 };

/** What this machine's Chromium needs headless, and what keeps it from calling home. */
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-extensions",
];

const EGRESS = "every request through the service's egress proxy, which resolves each host itself and refuses non-public addresses";

export interface ChromiumCapturerOptions {
  chromiumPath: string;
  policy: EgressPolicy;
  /** Certificates to trust beyond the system's, by SPKI SHA-256 (base64). */
  trustedSpki?: readonly string[];
}

export function chromiumCapturer(options: ChromiumCapturerOptions): PageCapturer {
  return { capture: (url, limits) => captureWithChromium(url, limits, options) };
}

async function captureWithChromium(
  requestedUrl: string,
  limits: { timeoutMs: number; maxBytes: number; signal?: AbortSignal },
  options: ChromiumCapturerOptions,
): Promise<PageCapture> {
  // Loaded on first use: playwright-core is large, and a service that never captures should not carry it.
  const { chromium } = await import("playwright-core");
  const started = Date.now();
  const deadline = started + limits.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  const profile = await mkdtemp(join(tmpdir(), "capture-profile-"));
  const harPath = join(profile, "..", `${profile.split("/").pop()}.har`);
  const proxy = await startEgressProxy(options.policy);
  const result: PageCapture = {
    requestedUrl,
    finalUrl: null,
    redirects: [],
    http: null,
    server: null,
    tls: null,
    startedAt: new Date(started).toISOString(),
    endedAt: "",
    browser: { name: "Chromium", version: "", userAgent: "", viewport: CAPTURE_VIEWPORT, flags: CHROMIUM_FLAGS, profile: "new empty profile", egress: EGRESS },
    listing: null,
    refused: [],
    artifacts: [],
    error: null,
  };
  const add = (artifact: CapturedArtifact) => result.artifacts.push(artifact);
  let context: BrowserContext | undefined;
  let received = 0;
  const sizes: Promise<unknown>[] = [];
  // The hosts the page itself asked for: Chromium's own background calls (refused too) are not evidence.
  const pageHosts = new Set<string>();
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: options.chromiumPath,
      headless: true,
      args: [
        ...CHROMIUM_FLAGS,
        `--proxy-server=${proxy.url}`,
        "--proxy-bypass-list=<-loopback>",
        ...(options.trustedSpki?.length ? [`--ignore-certificate-errors-spki-list=${options.trustedSpki.join(",")}`] : []),
      ],
      viewport: CAPTURE_VIEWPORT,
      serviceWorkers: "block",
      acceptDownloads: false,
      recordHar: { path: harPath, content: "embed" },
      timeout: remaining(),
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable"); // Network.getCertificate answers only with the domain on
    const version = (await cdp.send("Browser.getVersion")) as { product: string; userAgent: string };
    result.browser.version = version.product.replace(/^[^/]*\//, "");
    result.browser.userAgent = version.userAgent;
    page.on("request", (request) => {
      try {
        pageHosts.add(endpointOf(new URL(request.url())).key);
      } catch {
        // data: and blob: URLs go nowhere
      }
    });
    page.on("requestfinished", (request) => {
      sizes.push(request.sizes().then((s) => (received += s.responseBodySize + s.responseHeadersSize), () => undefined));
    });
    const crashed = new Promise<never>((_, reject) => page.once("crash", () => reject(new Error("the browser page crashed"))));
    const aborted = new Promise<never>((_, reject) => limits.signal?.addEventListener("abort", () => reject(new Error("capture cancelled")), { once: true }));

    const response = await Promise.race([page.goto(requestedUrl, { waitUntil: "load", timeout: remaining() }), crashed, aborted]);
    await Promise.race([page.waitForLoadState("networkidle", { timeout: Math.min(3000, remaining()) }).catch(() => undefined), crashed]);
    await Promise.all(sizes);
    if (received > limits.maxBytes) throw new Error(`the page is larger than the limit of ${limits.maxBytes} bytes (${received} received)`);
    await describeResponse(result, response, page, cdp, proxy.records);

    add({ role: "screenshot", fileName: "screenshot.png", mediaType: "image/png", bytes: await page.screenshot({ fullPage: true, type: "png", timeout: remaining() }) });
    const mhtml = (await cdp.send("Page.captureSnapshot", { format: "mhtml" })) as { data: string };
    add({ role: "mhtml", fileName: "page.mhtml", mediaType: "multipart/related", bytes: Buffer.from(mhtml.data) });
    add({ role: "html", fileName: "page.html", mediaType: "text/html", bytes: Buffer.from(await page.content()) });
    result.listing = (await page.evaluate(EXTRACT_LISTING_SCRIPT)) as ExtractedListing | null;
    if (result.http && result.http.status >= 400) result.error = `the page answered HTTP ${result.http.status} ${result.http.statusText}`.trim();
  } catch (error) {
    result.error = describeError(error, proxy.records, result.finalUrl ?? requestedUrl);
  } finally {
    await context?.close().catch(() => undefined); // writes the HAR
    await proxy.close();
    const har = await readFile(harPath).catch(() => undefined);
    if (har) add({ role: "har", fileName: "load.har", mediaType: "application/json", bytes: har });
    await rm(profile, { recursive: true, force: true });
    await rm(harPath, { force: true });
    const refused = new Map<string, PageCapture["refused"][number]>();
    for (const r of proxy.records) {
      const key = `${bareHost(r.host)}:${r.port}`;
      if (r.refused && pageHosts.has(key)) refused.set(key, { host: r.host, port: r.port, reason: r.refused });
    }
    result.refused = [...refused.values()];
    result.endedAt = new Date().toISOString();
  }
  return result;
}

async function describeResponse(
  result: PageCapture,
  response: Response | null,
  page: Page,
  cdp: { send(method: string, params?: object): Promise<unknown> },
  egress: { host: string; port: number; address?: string }[],
) {
  result.finalUrl = page.url();
  if (!response) return;
  for (let r = response.request().redirectedFrom(); r; r = r.redirectedFrom()) result.redirects.unshift(r.url());
  const headers = await response.allHeaders();
  if (headers["x-evidence-refused"]) throw new Error(await response.text()); // "refused: …", from the egress proxy
  result.http = { status: response.status(), statusText: response.statusText(), headers };
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
      if (tableNames[0]) fingerprint = new X509Certificate(Buffer.from(tableNames[0], "base64")).fingerprint256.replace(/:/g, "").toLowerCase();
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

function describeError(error: unknown, egress: { host: string; refused?: string }[], url: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const { host } = endpointOf(new URL(url));
  const refused = egress.find((e) => e.refused && bareHost(e.host) === host) ?? egress.find((e) => e.refused);
  if (refused && /ERR_TUNNEL_CONNECTION_FAILED|ERR_PROXY|refused:/.test(message)) return `refused: ${refused.refused}`;
  if (/Timeout \d+ms exceeded/i.test(message)) return `timed out: ${message.split("\n")[0]}`;
  return message.split("\n")[0]!;
}
