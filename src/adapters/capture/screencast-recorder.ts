/**
 * The video of a visit, from Chromium's DevTools screencast (Page.startScreencast) and the system's
 * ffmpeg. Chromium sends a frame only when what it shows changes, each with the time it was drawn; every
 * frame is written to ffmpeg again and again until the next one's time, at a constant FRAME_RATE, so the
 * video plays the visit at its real pace and lasts as long as it was recorded (to 1 / FRAME_RATE s).
 * H.264 in MP4 (yuv420p, moov atom first): what Windows, macOS, phones and every browser play without
 * an extra codec, as a court's or a lawyer's viewer must. The recorder never throws: whatever fails
 * (no ffmpeg, an encoder that dies or hangs, a browser that stops answering) ends up in `error`.
 */
import { execFile, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { CDPSession } from "playwright-core";
import type { VideoRecord } from "../../ports/page-capturer.ts";
import { withDeadline } from "./deadline.ts";

export const FRAME_RATE = 25;

/** How long ffmpeg gets to finish the file once the last frame is written, and the browser to stop. */
const FINISH_MS = 10_000;
const STOP_SCREENCAST_MS = 2_000;
/** A frame reaches us up to this long after it was drawn (0.1–0.4 s measured): slots this recent are not filled yet. */
const IN_FLIGHT_S = 0.5;

export interface ScreencastOptions {
  ffmpegPath: string;
  /** The browser window: the video's size (rounded up to even numbers, as H.264 in 4:2:0 needs). */
  viewport: { width: number; height: number };
  /** Where ffmpeg writes the MP4 (the caller removes it). */
  path: string;
}

export interface ScreencastRecorder {
  /** Ends the recording (once: later calls answer the same) and returns the video, if there is one. */
  stop(): Promise<{ bytes?: Buffer; record: VideoRecord }>;
}

interface Frame {
  jpeg: Buffer;
  /** Seconds since the epoch, as the browser drew it. */
  time: number;
}

export async function startScreencast(cdp: CDPSession, options: ScreencastOptions): Promise<ScreencastRecorder> {
  const encoder = `${await ffmpegVersion(options.ffmpegPath)}, H.264 (libx264) in MP4`;
  const record: VideoRecord = { startedAt: null, endedAt: null, frames: 0, frameRate: FRAME_RATE, encoder, error: null };
  const failed = (reason: string) => (record.error ??= reason);
  const { width, height } = options.viewport;
  const ffmpeg = spawn(
    options.ffmpegPath,
    [
      ...["-hide_banner", "-loglevel", "error", "-f", "image2pipe", "-c:v", "mjpeg", "-framerate", String(FRAME_RATE), "-i", "pipe:0"],
      ...["-vf", `scale=${width}:${height},pad=ceil(iw/2)*2:ceil(ih/2)*2`, "-r", String(FRAME_RATE)],
      ...["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
      ...["-map_metadata", "-1", "-y", options.path],
    ],
    { stdio: ["pipe", "ignore", "pipe"] },
  );
  let stderr = "";
  ffmpeg.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  ffmpeg.stdin.on("error", () => undefined); // an encoder that died is reported by its exit, below
  const exited = new Promise<string | null>((resolve) => {
    ffmpeg.once("error", (error) => resolve(`ffmpeg could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})`));
    ffmpeg.once("close", (code, signal) =>
      resolve(code === 0 ? null : `ffmpeg ended with ${signal ?? `exit code ${code}`}: ${stderr.trim().split("\n").pop() ?? ""}`.trim()),
    );
  });

  // Frames are written late, each once the next one's time says how long it was shown.
  let first: number | undefined;
  let last: Frame | undefined;
  let written = 0; // frames of the video written so far
  const slot = (time: number) => Math.round((time - first!) * FRAME_RATE);
  const writeUntil = (frame: Frame, until: number, atLeastOnce: boolean) => {
    for (let n = Math.max(atLeastOnce ? 1 : 0, slot(until) - written); n > 0; n--, written++) ffmpeg.stdin.write(frame.jpeg);
  };
  let recording = true;
  const onFrame = (event: { data: string; sessionId: number; metadata: { timestamp?: number } }) => {
    // Acknowledged at once: Chromium sends no further frame until then.
    cdp.send("Page.screencastFrameAck", { sessionId: event.sessionId }).catch(() => undefined);
    if (!recording) return;
    // The browser's time of drawing (its clock is the service's: the same machine), never going back.
    const time = Math.max(event.metadata.timestamp ?? Date.now() / 1000, last?.time ?? 0);
    first ??= time;
    if (last) writeUntil(last, time, false);
    last = { jpeg: Buffer.from(event.data, "base64"), time };
    record.frames++;
  };
  cdp.on("Page.screencastFrame", onFrame);
  // The frame on screen is written as time passes, not all at the end: little is left to encode when the visit ends.
  const catchUp = setInterval(() => last && writeUntil(last, Date.now() / 1000 - IN_FLIGHT_S, false), 200);
  try {
    await withDeadline(
      cdp.send("Page.startScreencast", { format: "jpeg", quality: 90, maxWidth: width, maxHeight: height }),
      STOP_SCREENCAST_MS,
      "Page.startScreencast",
    );
  } catch (error) {
    failed(`the browser did not start its screencast (${messageOf(error)})`);
  }

  let stopping: Promise<{ bytes?: Buffer; record: VideoRecord }> | undefined;
  const stop = async () => {
    const end = Date.now() / 1000;
    await withDeadline(cdp.send("Page.stopScreencast"), STOP_SCREENCAST_MS, "Page.stopScreencast").catch(() => undefined);
    recording = false;
    clearInterval(catchUp);
    cdp.off("Page.screencastFrame", onFrame);
    if (last && first !== undefined) {
      // The last frame stays on screen until the end: the recording's length, not the last change's time.
      writeUntil(last, Math.max(end, last.time), true);
      record.startedAt = new Date(first * 1000).toISOString();
      record.endedAt = new Date(first * 1000 + (written / FRAME_RATE) * 1000).toISOString();
    } else {
      failed("the browser sent no frame");
    }
    ffmpeg.stdin.end();
    const exit = await withDeadline(exited, FINISH_MS, "ffmpeg").catch((error: Error) => {
      ffmpeg.kill("SIGKILL");
      return error.message;
    });
    if (exit) failed(exit);
    if (record.error) return { record: { ...record, startedAt: null, endedAt: null } };
    try {
      return { bytes: await readFile(options.path), record };
    } catch (error) {
      failed(`the video could not be read (${messageOf(error)})`);
      return { record };
    }
  };
  return { stop: () => (stopping ??= stop()) };
}

/** The record of a video that could not even start. */
export function videoNotRecorded(reason: string): VideoRecord {
  return { startedAt: null, endedAt: null, frames: 0, frameRate: FRAME_RATE, encoder: "none", error: reason };
}

const versions = new Map<string, Promise<string>>();

/** `ffmpeg 5.1.9-0+deb12u1`: the first line of `ffmpeg -version`, asked once per path. */
function ffmpegVersion(path: string): Promise<string> {
  let version = versions.get(path);
  if (!version) {
    version = new Promise((resolve) =>
      execFile(path, ["-version"], { timeout: 5000 }, (error, stdout) =>
        resolve(error ? "ffmpeg (version unknown)" : (/^ffmpeg version (\S+)/.exec(stdout)?.[0].replace(" version", "") ?? "ffmpeg")),
      ),
    );
    versions.set(path, version);
  }
  return version;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}
