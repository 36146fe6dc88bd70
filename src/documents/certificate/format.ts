/** How the certificate writes times, sizes and HTTP answers. */
import { STATUS_CODES } from "node:http";

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
