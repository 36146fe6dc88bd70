/**
 * Captures of pages that attack the capture browser, in a real headless Chromium: ways out of the
 * browser around its egress proxy (WebRTC, QUIC, WebTransport, websockets, beacons, preconnects,
 * popups, service workers), client-side redirects to refused addresses, and page text that JSON
 * cannot carry. Every target is a loopback listener of the test that is not on the allow-list: each
 * must receive nothing, in a capture and with each of the browser's two guards (its switches, the
 * in-page guard) alone. Loopback only: tests never send traffic anywhere else.
 */
import { expect } from "chai";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_FLAGS } from "../../src/adapters/capture/chromium-capturer.ts";
import { startEgressProxy } from "../../src/adapters/capture/egress-proxy.ts";
import { watchRefusedRequests } from "../../src/adapters/capture/refused-requests.ts";
import type { RunningService } from "../../src/main.ts";
import { CHROMIUM_PATH } from "../helpers/browser.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { tcpListener, udpListener, type Listener } from "../helpers/listeners.ts";
import { client, startTestService, waitForCapture } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

const NOT_PUBLIC = "127.0.0.1 resolves to 127.0.0.1, which is not a public address";
const WEBRTC_OFF = "WebRTC is disabled in the capture browser";

/** Every way out a page has, each aimed at its own listener; the scheme follows the page's. */
function leakingPage(l: Record<string, Listener>): string {
  const at = (listener: Listener, path: string) => `//127.0.0.1:${listener.port}${path}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hostile listing</title>
<link rel="dns-prefetch" href="${at(l.dnsPrefetch!, "/")}">
<link rel="preconnect" href="https:${at(l.preconnect!, "/")}">
</head><body><h1>Hostile listing</h1><img src="${at(l.image!, "/pixel.png")}" alt="">
<script>
const quietly = (attempt) => { try { Promise.resolve(attempt()).catch(() => {}); } catch {} };
const scheme = location.protocol === "https:" ? "https:" : "http:";
quietly(() => {
  const pc = new RTCPeerConnection({ iceServers: [{ urls: "stun:127.0.0.1:${l.stun!.port}" },
    { urls: "turn:127.0.0.1:${l.turnTcp!.port}?transport=tcp", username: "u", credential: "p" }] });
  pc.createDataChannel("leak");
  return pc.createOffer().then((offer) => pc.setLocalDescription(offer));
});
quietly(() => {
  // A fresh frame's own RTCPeerConnection, in case only the top frame's is replaced.
  const frame = document.body.appendChild(document.createElement("iframe"));
  const pc = new frame.contentWindow.RTCPeerConnection({ iceServers: [{ urls: "stun:127.0.0.1:${l.frameStun!.port}" }] });
  pc.createDataChannel("leak");
  return pc.createOffer().then((offer) => pc.setLocalDescription(offer));
});
quietly(() => new WebSocket((scheme === "https:" ? "wss:" : "ws:") + "${at(l.websocket!, "/socket")}"));
quietly(() => fetch(scheme + "${at(l.fetch!, "/data.json")}"));
quietly(() => new EventSource(scheme + "${at(l.events!, "/events")}"));
quietly(() => navigator.sendBeacon(scheme + "${at(l.beacon!, "/beacon")}", "seen"));
quietly(() => new WebTransport("https://127.0.0.1:${l.webTransport!.port}/session").ready);
quietly(() => window.open(scheme + "${at(l.popup!, "/")}"));
quietly(() => navigator.serviceWorker.register("/sw.js"));
quietly(() => new Worker(URL.createObjectURL(new Blob(["try { new WebTransport('https://127.0.0.1:${l.workerWebTransport!.port}/').ready.catch(() => {}); } catch {}"], { type: "text/javascript" }))));
setTimeout(() => quietly(() => fetch("/img/8842-1.png")), 200); // same origin again: HTTP/3 would be tried now, after alt-svc
</script></body></html>`;
}

/** A listener for each way out of leakingPage: UDP for WebRTC's STUN, WebTransport and QUIC, TCP for the rest. */
async function listenersForEveryExit(): Promise<Record<string, Listener>> {
  const l: Record<string, Listener> = {};
  for (const name of ["stun", "frameStun", "webTransport", "workerWebTransport", "quic"]) l[name] = await udpListener();
  for (const name of ["turnTcp", "websocket", "fetch", "events", "beacon", "image", "dnsPrefetch", "preconnect", "popup"])
    l[name] = await tcpListener();
  return l;
}
const receivedBy = (l: Record<string, Listener>) =>
  Object.fromEntries(Object.entries(l).map(([name, listener]) => [name, listener.received]));
const silent = (l: Record<string, Listener>) => Object.fromEntries(Object.keys(l).map((name) => [name, 0]));
/** Over HTTPS the page also offers HTTP/3 (QUIC, over UDP) on a listener of its own. */
const offeringQuic = (l: Record<string, Listener>) => ({ "alt-svc": `h3=":${l.quic!.port}"; ma=600` });

describe("captures of hostile pages", function () {
  this.timeout(180_000);
  const dir = tempDir("hostile-captures-");
  let market: Marketplace;
  let service: RunningService;
  let api: ReturnType<typeof client>;
  const start = () =>
    startTestService(join(dir.path, "data"), {
      // The fixture's two origins, and nothing else on loopback.
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port},127.0.0.1:${market.httpsPort}`,
      CAPTURE_TRUSTED_SPKI: market.certificate.spkiSha256Base64,
      CAPTURE_TIMEOUT_MS: "10000",
    });

  before(async () => {
    market = await startMarketplace();
    service = await start();
    api = client(service.url);
  });
  after(async () => {
    await service.stop();
    await market.close();
    dir.remove();
  });

  async function capture(url: string) {
    const response = await api.postJson("/v1/captures", { url });
    const body = (await response.json()) as Json;
    expect(response.status, JSON.stringify(body)).to.equal(202);
    return waitForCapture(api, body.id);
  }
  async function manifestOf(result: Json): Promise<Json> {
    return (await (await api.get(`/v1/evidence/${result.manifest.evidenceId}/content`)).json()) as Json;
  }
  const byTarget = (entries: Json[]) => [...entries].sort((a, b) => `${a.protocol} ${a.target}`.localeCompare(`${b.protocol} ${b.target}`));

  describe("a page that tries every way out of the browser", () => {
    let l: Record<string, Listener>;
    before(async () => {
      l = await listenersForEveryExit();
      market.serve("/hostile/leaks", leakingPage(l), offeringQuic(l));
    });
    beforeEach(() => {
      for (const listener of Object.values(l)) listener.received = 0;
    });
    after(async () => {
      for (const listener of Object.values(l)) await listener.close();
    });

    /** What the browser stopped itself, whatever the page's scheme. */
    const stoppedInBrowser = (origin: string, scheme: string) => [
      { protocol: "popup", target: `${scheme}//127.0.0.1:${l.popup!.port}/`, reason: "popups are not opened in the capture browser" },
      { protocol: "service-worker", target: `${origin}/sw.js`, reason: "service workers are not run in the capture browser" },
      { protocol: "webrtc", target: `stun:127.0.0.1:${l.frameStun!.port}`, reason: WEBRTC_OFF },
      { protocol: "webrtc", target: `stun:127.0.0.1:${l.stun!.port}`, reason: WEBRTC_OFF },
      { protocol: "webrtc", target: `turn:127.0.0.1:${l.turnTcp!.port}?transport=tcp`, reason: WEBRTC_OFF },
      {
        protocol: "webtransport",
        target: `https://127.0.0.1:${l.webTransport!.port}/session`,
        reason: "WebTransport is disabled in the capture browser",
      },
    ];
    const refusedByProxy = (protocol: string, listener: Listener, target: string) => ({
      protocol,
      target,
      host: "127.0.0.1",
      port: listener.port,
      reason: NOT_PUBLIC,
    });

    it("over HTTP: nothing reaches any listener, and every attempt the browser or the proxy saw is listed as refused", async () => {
      const result = await capture(`${market.origin}/hostile/leaks`);
      expect(result.status, result.failureReason).to.equal("anchored");
      expect(receivedBy(l)).to.deep.equal(silent(l));
      const manifest = await manifestOf(result);
      const expected = byTarget([
        ...stoppedInBrowser(market.origin, "http:"),
        refusedByProxy("connect", l.preconnect!, `127.0.0.1:${l.preconnect!.port}`), // the preconnect: a tunnel only the proxy saw
        refusedByProxy("http", l.beacon!, `http://127.0.0.1:${l.beacon!.port}/beacon`),
        refusedByProxy("http", l.events!, `http://127.0.0.1:${l.events!.port}/events`),
        refusedByProxy("http", l.fetch!, `http://127.0.0.1:${l.fetch!.port}/data.json`),
        refusedByProxy("http", l.image!, `http://127.0.0.1:${l.image!.port}/pixel.png`),
        refusedByProxy("ws", l.websocket!, `ws://127.0.0.1:${l.websocket!.port}/socket`),
      ]);
      expect(byTarget(manifest.refusedRequests)).to.deep.equal(expected);
      expect(byTarget(result.refusedRequests)).to.deep.equal(expected);

      // The manifest says how the browser's ways around the proxy are closed.
      expect(manifest.browser.flags).to.include.members([
        "--disable-quic",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--component-updater=url-source=http://0.0.0.0:9/",
        "--gaia-url=http://0.0.0.0:9/",
      ]);
      expect(Object.keys(manifest.browser.closedExits).sort()).to.deep.equal([
        "dns",
        "popups",
        "quic",
        "serviceWorkers",
        "webrtc",
        "webtransport",
      ]);
    });

    it("over HTTPS, with HTTP/3 offered by alt-svc: nothing reaches any listener, QUIC included", async () => {
      const origin = market.httpsOrigin;
      const fetchedBefore = market.hits.filter((path) => path === "/img/8842-1.png").length;
      const result = await capture(`${origin}/hostile/leaks`);
      expect(result.status, result.failureReason).to.equal("anchored");
      expect(receivedBy(l)).to.deep.equal(silent(l));
      // The same-origin fetch after alt-svc went, through the proxy, not over QUIC.
      expect(market.hits.filter((path) => path === "/img/8842-1.png").length).to.equal(fetchedBefore + 1);
      const manifest = await manifestOf(result);
      expect(byTarget(manifest.refusedRequests)).to.deep.equal(
        byTarget([
          ...stoppedInBrowser(origin, "https:"),
          refusedByProxy("connect", l.preconnect!, `127.0.0.1:${l.preconnect!.port}`),
          refusedByProxy("https", l.beacon!, `https://127.0.0.1:${l.beacon!.port}/beacon`),
          refusedByProxy("https", l.events!, `https://127.0.0.1:${l.events!.port}/events`),
          refusedByProxy("https", l.fetch!, `https://127.0.0.1:${l.fetch!.port}/data.json`),
          refusedByProxy("https", l.image!, `https://127.0.0.1:${l.image!.port}/pixel.png`),
          refusedByProxy("wss", l.websocket!, `wss://127.0.0.1:${l.websocket!.port}/socket`),
        ]),
      );
    });
  });

  describe("each of the two layers alone, on the same page (over HTTPS, HTTP/3 offered)", () => {
    // The capture closes each way out twice; either layer must hold by itself, whatever the other does.
    const EXIT_SWITCHES = [
      "--disable-quic",
      "--webrtc-ip-handling-policy=disable_non_proxied_udp",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ];
    let l: Record<string, Listener>;
    before(async () => {
      l = await listenersForEveryExit();
      market.serve("/hostile/leaks-alone", leakingPage(l), offeringQuic(l));
    });
    beforeEach(() => {
      for (const listener of Object.values(l)) listener.received = 0;
    });
    after(async () => {
      for (const listener of Object.values(l)) await listener.close();
    });

    async function visit(layer: "switches" | "guard") {
      const proxy = await startEgressProxy({ allowPrivate: false, allowHosts: [`127.0.0.1:${market.httpsPort}`] });
      const flags = layer === "switches" ? CHROMIUM_FLAGS : CHROMIUM_FLAGS.filter((flag) => !EXIT_SWITCHES.includes(flag));
      const browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: [
          ...flags,
          `--proxy-server=${proxy.url}`,
          "--proxy-bypass-list=<-loopback>",
          `--ignore-certificate-errors-spki-list=${market.certificate.spkiSha256Base64}`,
        ],
        ignoreDefaultArgs: ["--disable-popup-blocking"],
      });
      try {
        const context = await browser.newContext({ serviceWorkers: layer === "guard" ? "allow" : "block" });
        const page = await context.newPage();
        if (layer === "guard") await watchRefusedRequests(context, page);
        await page.goto(`${market.httpsOrigin}/hostile/leaks-alone`, { waitUntil: "load", timeout: 10_000 });
        await page.waitForLoadState("networkidle", { timeout: 3000 }).catch(() => undefined);
      } finally {
        await browser.close();
        await proxy.close();
      }
      return receivedBy(l);
    }

    it("Chromium's switches alone, without the in-page guard: nothing reaches any listener", async () => {
      expect(CHROMIUM_FLAGS).to.include.members(EXIT_SWITCHES);
      expect(await visit("switches")).to.deep.equal(silent(l));
    });

    it("the in-page guard alone, without the switches for WebRTC, QUIC and DNS: nothing reaches any listener", async () => {
      expect(await visit("guard")).to.deep.equal(silent(l));
    });

    it("Chromium's switches leave it no name to resolve itself: even without the proxy, only 127.0.0.1 is reached", async () => {
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS });
      try {
        const page = await browser.newPage();
        expect((await page.goto(`${market.origin}/about`))!.status()).to.equal(200);
        const error = await page.goto(`http://localhost:${market.port}/about`).then(
          () => null,
          (e: Error) => e.message,
        );
        expect(error).to.match(/net::ERR_NAME_NOT_RESOLVED/);
      } finally {
        await browser.close();
      }
    });
  });

  describe("client-side redirects", () => {
    let target: Listener;
    before(async () => {
      target = await tcpListener();
      market.serve(
        "/hostile/script-redirect",
        `<!doctype html><h1>Moved</h1><script>location.href = "http://127.0.0.1:${target.port}/listing"</script>`,
      );
      market.serve(
        "/hostile/meta-refresh",
        `<!doctype html><head><meta http-equiv="refresh" content="0;url=http://127.0.0.1:${target.port}/listing"></head><h1>Moved</h1>`,
      );
      market.serve("/hostile/script-to-listing", `<!doctype html><h1>Moved</h1><script>location.href = "/item/8842"</script>`);
    });
    after(async () => target.close());

    for (const [path, trigger] of [
      ["/hostile/script-redirect", "script"],
      ["/hostile/meta-refresh", "meta-refresh"],
    ] as const) {
      it(`fails a capture whose page redirects by ${trigger} to a refused address; finalUrl is the page that redirected`, async () => {
        const refusedUrl = `http://127.0.0.1:${target.port}/listing`;
        const result = await capture(market.origin + path);
        const reason = `refused: client-side redirect (${trigger}) to ${refusedUrl}: ${NOT_PUBLIC}`;
        expect(result.status).to.equal("failed");
        expect(result.failureReason).to.equal(reason);
        expect(result.finalUrl).to.equal(market.origin + path);
        expect(result.httpStatus).to.equal(200);
        expect(target.received).to.equal(0);

        const manifest = await manifestOf(result);
        expect(manifest.navigations).to.deep.equal([
          { url: market.origin + path, reachedBy: "initial", httpStatus: 200, refused: false },
          { url: refusedUrl, reachedBy: "client-side", trigger, httpStatus: null, refused: true },
        ]);
        expect(manifest.finalUrl).to.equal(market.origin + path);
        expect(manifest.outcome).to.deep.equal({ status: "failed", reason });
        expect(manifest.refusedRequests).to.deep.equal([
          { protocol: "http", target: refusedUrl, host: "127.0.0.1", port: target.port, reason: NOT_PUBLIC },
        ]);
        // The browser shows the refusal, not a page that was received: only the load (HAR, and its WACZ) is kept.
        expect(manifest.artifacts.map((a: Json) => a.role)).to.deep.equal(["har", "wacz"]);
      });
    }

    it("follows a client-side redirect to an allowed address and describes the page it ended on", async () => {
      const result = await capture(`${market.origin}/hostile/script-to-listing`);
      expect(result.status, result.failureReason).to.equal("anchored");
      const manifest = await manifestOf(result);
      expect(manifest.navigations).to.deep.equal([
        { url: `${market.origin}/hostile/script-to-listing`, reachedBy: "initial", httpStatus: 200, refused: false },
        { url: `${market.origin}/item/8842`, reachedBy: "client-side", trigger: "script", httpStatus: 200, refused: false },
      ]);
      expect(manifest.finalUrl).to.equal(`${market.origin}/item/8842`);
      expect(manifest.redirects).to.deep.equal([`${market.origin}/hostile/script-to-listing`]);
      expect(manifest.http.headers["x-marketplace"]).to.equal("fixture"); // the listing's response, not the redirecting page's
      expect(manifest.listing.title).to.equal("Designer handbag — genuine leather");
    });
  });

  it("ends a capture whose listing name holds a lone surrogate, with U+FFFD in the manifest, and does not run it again after a restart", async () => {
    const ld = `{"@context":"https://schema.org","@type":"Product","name":"Counterfeit \\ud800 watch","sku":"S-1"}`;
    market.serve(
      "/hostile/lone-surrogate",
      `<!doctype html><html><head><meta charset="utf-8"><script type="application/ld+json">${ld}</script></head><body><h1>Watch</h1></body></html>`,
    );
    const result = await capture(`${market.origin}/hostile/lone-surrogate`);
    expect(result.status, result.failureReason).to.equal("anchored");
    expect(result.listing.title).to.equal("Counterfeit \ufffd watch");

    const bytes = Buffer.from(await (await api.get(`/v1/evidence/${result.manifest.evidenceId}/content`)).arrayBuffer());
    expect(bytes.toString("utf8")).to.include("Counterfeit \ufffd watch");
    const manifest = JSON.parse(bytes.toString("utf8")) as Json;
    expect(manifest.listing.title).to.equal("Counterfeit \ufffd watch");
    expect(manifest.loneSurrogatesReplaced).to.deep.equal(["listing.title"]);
    // The page's own bytes are kept as they came.
    const html = manifest.artifacts.find((a: Json) => a.role === "html");
    expect(await (await api.get(`/v1/evidence/${html.evidenceId}/content`)).text()).to.include(ld);

    const hits = market.hits.filter((path) => path === "/hostile/lone-surrogate").length;
    await service.stop();
    service = await start();
    api = client(service.url);
    const after = (await (await api.get(`/v1/captures/${result.id}`)).json()) as Json;
    expect(after.status).to.equal("anchored");
    expect(after.finishedAt).to.equal(result.finishedAt);
    // A capture queued after the restart runs and ends; the ended one was not taken up again.
    const next = await capture(`${market.origin}/about`);
    expect(next.status, next.failureReason).to.equal("anchored");
    expect(market.hits.filter((path) => path === "/hostile/lone-surrogate").length).to.equal(hits);
  });
});
