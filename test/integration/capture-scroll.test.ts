/**
 * What a person sees only by scrolling, or only on a phone, is in the capture: a real headless Chromium
 * scrolls the fixture marketplace's pages (on 127.0.0.1 only) before it takes the artifacts, cuts an
 * endless feed at CAPTURE_MAX_SCROLL_HEIGHT, and captures as a Pixel 7 when asked. Pixels are read from
 * the screenshot itself.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
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
const run = promisify(execFile);

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
    return { queued, result, manifest, png, har, html: artifacts.html!.toString(), artifacts };
  }

  function pixel(png: PNG, x: number, y: number): number[] {
    const i = (png.width * y + x) * 4;
    return [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
  }

  it("scrolls a listing to its end, so the photos that load only when seen are in the screenshot, the HTML, the HAR, the WACZ and the video", async () => {
    const { queued, manifest, png, har, html, artifacts } = await capture("/item/lazy-photos");
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

    // The WACZ's index lists each photo as answered; the video shows each one as it scrolled past.
    const wacz = join(dir.path, "lazy.wacz");
    writeFileSync(wacz, artifacts.wacz!);
    const cdx = (await run("unzip", ["-p", wacz, "indexes/index.cdx"])).stdout.split("\n").filter(Boolean);
    for (const photo of LAZY_PHOTOS) {
      const line = cdx.find((l) => JSON.parse(l.slice(l.indexOf("{"))).url === market.origin + photo.path);
      expect(line && JSON.parse(line.slice(line.indexOf("{"))).status, photo.path).to.equal("200");
    }
    const frames = join(dir.path, "lazy-frames");
    mkdirSync(frames);
    writeFileSync(join(frames, "visit.mp4"), artifacts.video!);
    await run("ffmpeg", ["-loglevel", "error", "-i", "visit.mp4", "-fps_mode", "passthrough", "frame-%04d.png"], { cwd: frames });
    const pictures = readdirSync(frames)
      .filter((n) => n.endsWith(".png"))
      .map((n) => PNG.sync.read(readFileSync(join(frames, n))));
    // H.264 changes colours a little: within 24 of each channel is the photo.
    const near = (a: number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 24);
    for (const photo of LAZY_PHOTOS) {
      const seen = pictures.some((f) =>
        Array.from({ length: f.height }, (_, y) => pixel(f, PHOTO_SIZE.width / 2, y)).some((p) => near(p, photo.rgb)),
      );
      expect(seen, `${photo.path} in a frame of the video`).to.equal(true);
    }
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
