/**
 * The media type of evidence is read from its bytes: a client's Content-Type is recorded as a claim but
 * never trusted, since a court will look at what the file is, not at what it was called.
 */
import { fileTypeFromBuffer } from "file-type";

/** How many leading bytes the sniffer needs (file-type reads at most this many). */
export const SNIFF_BYTES = 4100;

export async function sniffMediaType(head: Uint8Array): Promise<string> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeText(head) ? textType(head) : "application/octet-stream";
}

/** Formats that are zip files, which the sniffer calls application/zip. */
const ZIP_FORMATS = new Set(["application/wacz"]);

/**
 * The type of bytes the service made itself (a capture's MHTML or HAR): the sniffer reads only the first
 * bytes and calls both text/plain, though the browser wrote them as multipart/related and JSON. The
 * maker's type is kept when the bytes agree with it (or are plain text a sniffer cannot tell apart);
 * otherwise what the bytes say wins. A zip the service made as a zip-based format (a WACZ) keeps that format.
 */
export function madeMediaType(sniffed: string, madeAs: string | undefined): string {
  if (!madeAs || sniffed === madeAs) return sniffed;
  if (sniffed === "application/zip" && ZIP_FORMATS.has(madeAs)) return madeAs;
  const textual = madeAs.startsWith("text/") || madeAs === "application/json" || madeAs === "multipart/related";
  return textual && sniffed === "text/plain" ? madeAs : sniffed;
}

function looksLikeText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  try {
    // A multi-byte character cut by the end of the sniffed window is still text.
    new TextDecoder("utf-8", { fatal: true }).decode(trimIncompleteUtf8(head));
  } catch {
    return false;
  }
  return !head.some((b) => b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c));
}

function textType(head: Uint8Array): string {
  const text = new TextDecoder().decode(head).trimStart();
  if (/^[[{]/.test(text)) {
    try {
      JSON.parse(new TextDecoder().decode(head));
      return "application/json";
    } catch {
      // Cut JSON (longer than the window) or not JSON: fall through.
    }
  }
  if (/^(<!doctype html|<html)/i.test(text)) return "text/html";
  return "text/plain";
}

function trimIncompleteUtf8(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const b = bytes[end - i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    if (need > i) end -= i;
    break;
  }
  return bytes.subarray(0, end);
}
