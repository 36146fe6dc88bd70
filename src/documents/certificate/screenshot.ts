/**
 * The first screen of a full-page screenshot: its top, as tall as the browser's window was for the
 * page's width, re-encoded as an opaque PNG for the certificate (a long page's whole screenshot would
 * weigh megabytes and shrink to nothing on A4).
 */
import { PNG } from "pngjs";

/** Beyond this many pixels a screenshot is not decoded here (it stays in the evidence, whole). */
const MAX_PIXELS = 60_000_000;

export type FirstScreen = { png: Buffer; width: number; height: number } | { omitted: string };

export function firstScreen(screenshot: Uint8Array, viewport: { width: number; height: number }): FirstScreen {
  const bytes = Buffer.from(screenshot);
  // The IHDR chunk first: width and height, before anything is decoded.
  if (bytes.length < 24 || bytes.toString("latin1", 12, 16) !== "IHDR") return { omitted: "the screenshot is not a PNG image" };
  const [fullWidth, fullHeight] = [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  if (fullWidth * fullHeight > MAX_PIXELS)
    return { omitted: `the screenshot (${fullWidth} × ${fullHeight} pixels) is too large to show here; it is in the evidence, whole` };
  let png: PNG;
  try {
    png = PNG.sync.read(bytes);
  } catch (error) {
    return { omitted: `the screenshot could not be decoded (${error instanceof Error ? error.message : String(error)})` };
  }
  const height = Math.min(png.height, Math.round((png.width * viewport.height) / viewport.width));
  const screen = new PNG({ width: png.width, height, colorType: 2, inputHasAlpha: true });
  png.data.copy(screen.data, 0, 0, png.width * height * 4);
  return { png: PNG.sync.write(screen, { colorType: 2 }), width: png.width, height };
}
