/**
 * Debian's Chromium, driven by playwright-core (no browser download). CHROMIUM_PATH overrides the
 * binary. The flags are the capture browser's: headless, kept from calling home, resolving no name.
 */
import { chromium, type Browser } from "playwright-core";
import { CHROMIUM_FLAGS } from "../../src/adapters/capture/chromium-capturer.ts";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_FLAGS,
  });
}
