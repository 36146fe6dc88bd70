/** How the certificate writes times, sizes and HTTP answers. */
import { STATUS_CODES } from "node:http";
import type { CaptureManifest } from "../../domain/capture-manifest.ts";

/** Unix seconds as a reader expects a block time: "2026-11-27 12:36:52 UTC". */
export const utc = (seconds: number) =>
  new Date(seconds * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.000Z$/, " UTC");

/** An ISO instant with its milliseconds: "2026-11-27 12:36:52.999 UTC". */
export const utcMs = (iso: string) => iso.replace("T", " ").replace(/Z$/, " UTC");

export const bytes = (size: number) => `${size.toLocaleString("en-US")} bytes`;

/** "404 Not Found": the status line's words as the site sent them, else the standard ones. */
export function httpStatusLine(status: number, statusText: string | undefined): string {
  const words = statusText?.trim() || STATUS_CODES[status];
  return words ? `${status} ${words}` : String(status);
}

/**
 * What the final HTTP answer means for a listing, said plainly: a removed listing's certificate must
 * not read like a success. Only what the status itself says is stated.
 */
export function httpStatusSentence(status: number, statusText: string | undefined): string {
  const line = httpStatusLine(status, statusText);
  if (status === 404) return `The page answered ${line}; the listing was no longer available.`;
  if (status === 410) return `The page answered ${line}; the listing was no longer available, and the site said it was removed for good.`;
  if (status >= 400 && status < 500)
    return `The page answered ${line}; the site refused to serve the page, so this capture does not show the listing.`;
  if (status >= 500)
    return `The page answered ${line}, a server error; the site failed to serve the page, which says nothing about whether the listing existed.`;
  if (status >= 300) return `The page answered ${line}; the site sent a redirect that was not followed, not a page.`;
  return `The page answered ${line}.`;
}

type Device = CaptureManifest["device"];

/** An emulated phone's profile, in words: what the page was shown, from which playwright-core descriptor. */
function emulation(device: NonNullable<Device>, lang: "en" | "zh"): string {
  const screen = `${device.screen.width} × ${device.screen.height}`;
  if (lang === "zh") {
    const traits = [device.isMobile ? "移动版布局" : null, device.hasTouch ? "触控" : null].filter(Boolean);
    return `playwright-core 的“${device.emulates}”设备配置：屏幕 ${screen}，设备像素比 ${device.deviceScaleFactor}，${[...traits, "该配置的用户代理"].join("、")}`;
  }
  const traits = [device.isMobile ? "mobile layout" : null, device.hasTouch ? "touch" : null].filter(Boolean);
  return `playwright-core's "${device.emulates}" profile: screen ${screen}, device scale factor ${device.deviceScaleFactor}, ${[...traits, "its user agent"].join(", ")}`;
}

/**
 * The device a capture was made as, for the certificate's row. A phone is emulated by the browser on the
 * server, never a real phone: a reader of the user agent alone would think otherwise.
 */
export function deviceWords(device: Device): string {
  if (device?.emulates) return `a phone, emulated (${emulation(device, "en")}); no phone was used`;
  return device ? "a desktop window, no device emulated" : "a desktop window (the manifest predates device profiles)";
}

/** For the declaration's sentence: how the page was loaded when a phone was emulated; "" otherwise. */
export function emulatedPhoneClause(device: Device, lang: "en" | "zh"): string {
  if (!device?.emulates) return "";
  return lang === "zh"
    ? `，并以模拟手机的方式呈现（${emulation(device, lang)}；并未使用真实手机）`
    : `, presenting itself as a phone (${emulation(device, lang)}; no phone was used)`;
}
