/**
 * What a person sees only by scrolling, or only on a phone, is in the capture: a real headless Chromium
 * scrolls the fixture marketplace's pages (on 127.0.0.1 only) before it takes the artifacts, cuts an
 * endless feed at CAPTURE_MAX_SCROLL_HEIGHT, and captures as a Pixel 7 when asked. Pixels are read from
 * the screenshot itself.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { devices } from "playwright-core";
import { PNG } from "pngjs";
import type { RunningService } from "../../src/main.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { FEED_PAGE, LAZY_PHOTOS, PHOTO_SIZE } from "../helpers/lazy-pages.ts";
import { client, startTestService, waitForCapture } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

const MAX_SCROLL_HEIGHT = 6000;

describe("captures that scroll, and capture as a phone", function () {
  this.timeout(120_000);
  const dir = tempDir("capture-scroll-");
  let market: Marketplace;
  let service: RunningService;
  let api: ReturnType<typeof client>;

  before(async () => {
    market = await startMarketplace();
    service = await startTestService(join(dir.path, "data"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "20000",
      CAPTURE_MAX_SCROLL_HEIGHT: String(MAX_SCROLL_HEIGHT),
    });
    api = client(service.url);
  });
  after(async () => {
    await service.stop();
    await market.close();
    dir.remove();
  });

  /** Captures `path`, checks that every artifact re-hashes to its manifest entry, and returns them. */
  async function capture(path: string, extra: Json = {}) {
    const response = await api.postJson("/v1/captures", { url: market.origin + path, ...extra });
    const queued = (await response.json()) as Json;
    expect(response.status, JSON.stringify(queued)).to.equal(202);
    const result = await waitForCapture(api, queued.id);
    expect(result.status, result.failureReason).to.equal("anchored");
    const manifest = JSON.parse(await (await api.get(`/v1/evidence/${result.manifest.evidenceId}/content`)).text()) as Json;
    const artifacts: Record<string, Buffer> = {};
    for (const entry of manifest.artifacts) {
      const bytes = Buffer.from(await (await api.get(`/v1/evidence/${entry.evidenceId}/content`)).arrayBuffer());
      expect(createHash("sha256").update(bytes).digest("hex"), entry.role).to.equal(entry.sha256);
      expect(bytes.length, entry.role).to.equal(entry.size);
      artifacts[entry.role] = bytes;
    }
    const png = PNG.sync.read(artifacts.screenshot!);
    const har = JSON.parse(artifacts.har!.toString()) as { log: { entries: Json[] } };
    return { queued, result, manifest, png, har, html: artifacts.html!.toString() };
  }

  function pixel(png: PNG, x: number, y: number): number[] {
    const i = (png.width * y + x) * 4;
    return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
  }

  it("scrolls a listing to its end, so the photos that load only when seen are in the screenshot, the HTML and the HAR", async () => {
    const { queued, manifest, png, har, html } = await capture("/item/lazy-photos");
    expect(queued.device).to.equal("desktop");
    // 3600 px in a 900 px viewport: three steps down reach the end.
    expect(manifest.scroll).to.deep.include({ steps: 3, finalHeight: 3600, cutShort: null, networkIdle: true, screenshotHeight: 3600 });
    expect(manifest.scroll.bounds).to.deep.include({ height: MAX_SCROLL_HEIGHT, steps: 100 });
    expect([png.width, png.height]).to.deep.equal([1366, 3600]);
    for (const photo of LAZY_PHOTOS) {
      expect(pixel(png, PHOTO_SIZE.width / 2, photo.top + PHOTO_SIZE.height / 2), photo.path).to.deep.equal([...photo.rgb]);
    }
    expect(pixel(png, PHOTO_SIZE.width / 2, 1500), "the description above them").to.deep.equal([255, 255, 255]);
    for (const photo of LAZY_PHOTOS) {
      const entry = har.log.entries.find((e) => e.request.url === market.origin + photo.path);
      expect(entry?.response.status, photo.path).to.equal(200);
      expect(entry?.response.content.mimeType).to.equal("image/png");
      expect(html).to.include(`src="${photo.path}"`);
    }
    expect(manifest.device).to.deep.equal({
      name: "desktop",
      emulates: null,
      screen: { width: 1366, height: 900 },
      deviceScaleFactor: 1,
      isMobile: false,
      hasTouch: false,
    });
    expect(manifest.browser.viewport).to.deep.equal({ width: 1366, height: 900 });
  });

  it("cuts an endless feed at CAPTURE_MAX_SCROLL_HEIGHT, the screenshot too, and the manifest says so", async () => {
    const { manifest, png, har } = await capture("/feed/endless");
    expect(manifest.scroll).to.deep.include({ cutShort: "height", screenshotHeight: MAX_SCROLL_HEIGHT });
    // The feed grew past the bound (whole pages of items, and the 1 px it watches), and was not followed further.
    const pageHeight = FEED_PAGE.items * FEED_PAGE.itemHeight;
    expect((manifest.scroll.finalHeight - 1) % pageHeight).to.equal(0);
    expect(manifest.scroll.finalHeight).to.be.within(MAX_SCROLL_HEIGHT + 1, MAX_SCROLL_HEIGHT + 2 * pageHeight + 1);
    expect([png.width, png.height]).to.deep.equal([1366, MAX_SCROLL_HEIGHT]);
    const fetched = har.log.entries.map((e) => new URL(e.request.url)).filter((u) => u.pathname === "/feed/endless/page");
    expect(fetched.length).to.equal((manifest.scroll.finalHeight - 1) / pageHeight);
  });

  it("captures as a phone when asked: its viewport, user agent, touch and markup, unlike the desktop's", async () => {
    const phone = await capture("/item/by-device", { device: "mobile" });
    const desktop = await capture("/item/by-device");
    const pixel7 = devices["Pixel 7"]!;

    expect(phone.queued.device).to.equal("mobile");
    expect(((await (await api.get(`/v1/captures/${phone.queued.id}`)).json()) as Json).device).to.equal("mobile");
    expect(phone.manifest.device).to.deep.equal({
      name: "mobile",
      emulates: "Pixel 7",
      screen: { width: 412, height: 915 },
      deviceScaleFactor: 2.625,
      isMobile: true,
      hasTouch: true,
    });
    expect(phone.manifest.browser.viewport).to.deep.equal({ width: 412, height: 839 });
    expect(phone.manifest.browser.userAgent).to.equal(pixel7.userAgent);
    expect(desktop.manifest.browser.userAgent).to.match(/^Mozilla\/5\.0 \(X11; Linux x86_64\) .* HeadlessChrome\//);

    // 412 CSS pixels at 2.625 device pixels each; the desktop's 1366 at 1.
    expect(phone.png.width).to.equal(1082);
    expect(desktop.png.width).to.equal(1366);
    expect(phone.html).to.include('data-edition="mobile"');
    expect(desktop.html).to.include('data-edition="desktop"');
    // The site was sent the user agent the manifest records.
    for (const { manifest, har } of [phone, desktop]) {
      const request = har.log.entries.find((e) => e.request.url === `${market.origin}/item/by-device`)!.request;
      const sent = request.headers.find((h: Json) => h.name.toLowerCase() === "user-agent").value;
      expect(sent).to.equal(manifest.browser.userAgent);
    }
  });

  it("refuses a device it does not know", async () => {
    const response = await api.postJson("/v1/captures", { url: `${market.origin}/item/by-device`, device: "tablet" });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as Json).detail).to.match(/^device: /);
  });
});
