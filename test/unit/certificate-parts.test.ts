/** The certificate's small parts: what an HTTP status is said to mean, loopback addresses, the page's first screen. */
import { expect } from "chai";
import { PNG } from "pngjs";
import { devices } from "playwright-core";
import { emulationOf } from "../../src/adapters/capture/device-profiles.ts";
import { deviceWords, emulatedPhoneClause, httpStatusSentence } from "../../src/documents/certificate/format.ts";
import { firstScreen } from "../../src/documents/certificate/screenshot.ts";
import { isLoopbackUrl } from "../../src/domain/endpoint.ts";

describe("certificate parts", () => {
  it("says what a final HTTP status means for a listing, in the status line's own words or the standard ones", () => {
    expect(httpStatusSentence(404, "Not Found")).to.equal("The page answered 404 Not Found; the listing was no longer available.");
    expect(httpStatusSentence(410, "")).to.equal(
      "The page answered 410 Gone; the listing was no longer available, and the site said it was removed for good.",
    );
    expect(httpStatusSentence(403, "")).to.equal(
      "The page answered 403 Forbidden; the site refused to serve the page, so this capture does not show the listing.",
    );
    expect(httpStatusSentence(503, "Service Unavailable")).to.equal(
      "The page answered 503 Service Unavailable, a server error; the site failed to serve the page, which says nothing about whether the listing existed.",
    );
    expect(httpStatusSentence(200, "OK")).to.equal("The page answered 200 OK.");
    expect(httpStatusSentence(599, "")).to.match(/^The page answered 599, a server error;/);
  });

  it("says a phone capture was made by a browser presenting itself as one, never on a phone", () => {
    const phone = emulationOf("mobile", devices).asked;
    const profile = `playwright-core's "Pixel 7" profile: screen 412 × 915, device scale factor 2.625, mobile layout, touch, its user agent`;
    expect(deviceWords(phone)).to.equal(`a phone, emulated (${profile}); no phone was used`);
    expect(emulatedPhoneClause(phone, "en")).to.equal(`, presenting itself as a phone (${profile}; no phone was used)`);
    expect(emulatedPhoneClause(phone, "zh")).to.equal(
      "，并以模拟手机的方式呈现（playwright-core 的“Pixel 7”设备配置：屏幕 412 × 915，设备像素比 2.625，移动版布局、触控、该配置的用户代理；并未使用真实手机）",
    );
    const desktop = emulationOf("desktop", devices).asked;
    expect(deviceWords(desktop)).to.equal("a desktop window, no device emulated");
    expect(emulatedPhoneClause(desktop, "en")).to.equal("");
    expect(deviceWords(undefined)).to.equal("a desktop window (the manifest predates device profiles)");
  });

  it("knows the addresses that lead a reader to their own computer", () => {
    for (const url of [
      "http://localhost:8080",
      "http://app.localhost",
      "http://127.0.0.1",
      "http://127.8.9.10:1",
      "http://[::1]:8080",
      "http://0.0.0.0",
      "http://[::ffff:127.0.0.1]",
    ]) {
      expect(isLoopbackUrl(url), url).to.equal(true);
    }
    for (const url of ["https://evidence.example.org", "http://10.0.0.8", "http://192.168.1.2:8080", "http://[2001:db8::1]"]) {
      expect(isLoopbackUrl(url), url).to.equal(false);
    }
  });

  it("cuts a full-page screenshot to its first screen, as tall as the window was for its width", () => {
    const page = new PNG({ width: 40, height: 200 });
    for (let y = 0; y < 200; y++) {
      for (let x = 0; x < 40; x++) {
        const i = (y * 40 + x) * 4;
        [page.data[i], page.data[i + 1], page.data[i + 2], page.data[i + 3]] = [y, x, 7, 255];
      }
    }
    const screen = firstScreen(PNG.sync.write(page), { width: 1366, height: 900 });
    if (!("png" in screen)) throw new Error(screen.omitted);
    expect([screen.width, screen.height]).to.deep.equal([40, 26]); // 40 × 900 / 1366
    const decoded = PNG.sync.read(screen.png);
    expect([decoded.width, decoded.height]).to.deep.equal([40, 26]);
    const at = (x: number, y: number) => [...decoded.data.subarray((y * 40 + x) * 4, (y * 40 + x) * 4 + 3)];
    expect(at(0, 0)).to.deep.equal([0, 0, 7]);
    expect(at(39, 25)).to.deep.equal([25, 39, 7]);
    expect(firstScreen(Buffer.from("not a picture at all, but long enough"), { width: 10, height: 10 })).to.deep.equal({
      omitted: "the screenshot is not a PNG image",
    });
  });
});
