/**
 * The devices a capture can be made as. `desktop`: a 1366×900 window, the browser's own user agent, no
 * touch. `mobile`: playwright-core's "Pixel 7" descriptor (viewport, screen, user agent, touch, device
 * scale factor), an Android phone running Chrome, so the engine that renders it is the one its user agent
 * names (the iPhone descriptors claim Safari, which this Chromium is not). What the page then saw is read
 * back from the page itself for the manifest.
 */
import type { BrowserContextOptions, Page, devices as PlaywrightDevices } from "playwright-core";
import type { CaptureDevice, DeviceUsed } from "../../ports/page-capturer.ts";

export const DESKTOP_VIEWPORT = { width: 1366, height: 900 };

/** The playwright-core descriptor a mobile capture uses. */
export const MOBILE_DESCRIPTOR = "Pixel 7";

export type DeviceEmulation = Pick<
  BrowserContextOptions,
  "viewport" | "screen" | "userAgent" | "deviceScaleFactor" | "isMobile" | "hasTouch"
> & { viewport: { width: number; height: number } };

/** The browser options for `device`, and the device as asked for (until the page says what it saw). */
export function emulationOf(device: CaptureDevice, devices: typeof PlaywrightDevices): { options: DeviceEmulation; asked: DeviceUsed } {
  if (device === "desktop") {
    const options = { viewport: DESKTOP_VIEWPORT, screen: DESKTOP_VIEWPORT, deviceScaleFactor: 1, isMobile: false, hasTouch: false };
    return { options, asked: { name: device, emulates: null, ...pick(options) } };
  }
  const d = devices[MOBILE_DESCRIPTOR];
  if (!d) throw new Error(`playwright-core has no "${MOBILE_DESCRIPTOR}" device descriptor`);
  const options = {
    viewport: d.viewport,
    // The descriptors carry the phone's screen, though DeviceDescriptor's type does not say so.
    screen: (d as { screen?: { width: number; height: number } }).screen ?? d.viewport,
    userAgent: d.userAgent,
    deviceScaleFactor: d.deviceScaleFactor,
    isMobile: d.isMobile,
    hasTouch: d.hasTouch,
  };
  return { options, asked: { name: device, emulates: MOBILE_DESCRIPTOR, ...pick(options) } };
}

function pick(o: { screen: DeviceUsed["screen"]; deviceScaleFactor: number; isMobile: boolean; hasTouch: boolean }) {
  return { screen: o.screen, deviceScaleFactor: o.deviceScaleFactor, isMobile: o.isMobile, hasTouch: o.hasTouch };
}

/** Runs in the page. */
const SEEN = `({
  userAgent: navigator.userAgent,
  screen: { width: screen.width, height: screen.height },
  deviceScaleFactor: window.devicePixelRatio,
  hasTouch: navigator.maxTouchPoints > 0,
})`;

interface Seen {
  userAgent: string;
  screen: { width: number; height: number };
  deviceScaleFactor: number;
  hasTouch: boolean;
}

/**
 * What a page sees of its device: the user agent, screen, pixel ratio and touch it was given. (The
 * viewport is the one given: what `innerWidth` says depends on each page's `<meta name="viewport">`.)
 */
export async function deviceSeen(page: Page, asked: DeviceUsed): Promise<{ userAgent: string; device: DeviceUsed }> {
  const { userAgent, ...measured }: Seen = await page.evaluate(SEEN);
  return { userAgent, device: { ...asked, ...measured } };
}
