/**
 * The video of a visit, from Chromium's DevTools screencast (Page.startScreencast) and the system's
 * ffmpeg. Chromium sends a frame only when what it shows changes, each with the time it was drawn. Each
 * frame is kept on disk with that time, on a grid of 1 / FRAME_RATE s (a frame drawn within the same slot
 * as the one before replaces it); when the visit ends, ffmpeg's concat demuxer shows each frame until the
 * next one's time and the last until the end, so the video plays the visit at its real pace and lasts as
 * long as it was recorded. Only the frames that differ are encoded (variable frame rate): a page that
 * stands still costs nothing, where a constant rate would encode 25 copies a second.
 * H.264 in MP4 (yuv420p, moov atom first): what Windows, macOS, phones and every browser play without
 * an extra codec, as a court's or a lawyer's viewer must. The recorder never throws: whatever fails
 * (no ffmpeg, an encoder that dies or hangs, a browser that stops answering) ends up in `error`.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CDPSession } from "playwright-core";
import type { VideoRecord } from "../../ports/page-capturer.ts";
import { withDeadline } from "./deadline.ts";

/** The grid the frames' times are put on: the video's time base, and at most this many frames a second. */
export const FRAME_RATE = 25;

/** How long the frames' files and ffmpeg get to make the video once the visit ended, and the browser to stop. */
const FINISH_MS = 15_000;
const STOP_SCREENCAST_MS = 2_000;

export interface ScreencastOptions {
  ffmpegPath: string;
  /** The browser window: the video's size (padded to even numbers, as H.264 in 4:2:0 needs). */
  viewport: { width: number; height: number };
}

export interface ScreencastRecorder {
  /**
   * Resolves once a frame received after `since` (Date.now()) is kept and no other came for two slots (the
   * view has settled, and a frame in the same slot would have replaced it), waiting at most `maxMs` in all:
   * what the page shows is then in the video.
   */
  frameShown(since: number, maxMs: number): Promise<void>;
  /** Ends the recording (once: later calls answer the same) and returns the video, if there is one. */
  stop(): Promise<{ bytes?: Buffer; record: VideoRecord }>;
}

interface Frame {
  file: string;
  /** Its time on the grid: 1 / FRAME_RATE s since the first frame. */
  slot: number;
}

export async function startScreencast(cdp: CDPSession, options: ScreencastOptions): Promise<ScreencastRecorder> {
  const encoder = `${await ffmpegVersion(options.ffmpegPath)}, H.264 (libx264) in MP4`;
  const record: VideoRecord = { startedAt: null, endedAt: null, frames: 0, frameRate: FRAME_RATE, encoder, error: null };
  const failed = (reason: string) => (record.error ??= reason);
  const { width, height } = options.viewport;
  const dir = await mkdtemp(join(tmpdir(), "capture-video-"));

  const frames: Frame[] = [];
  let first: number | undefined;
  let latest = 0;
  let written: Promise<unknown> = Promise.resolve(); // the frames' files, in order
  let recording = true;
  let waiting: (() => void)[] = [];
  let lastReceived = 0; // Date.now() of the last frame kept
  const onFrame = (event: { data: string; sessionId: number; metadata: { timestamp?: number } }) => {
    // Acknowledged at once: Chromium sends no further frame until then.
    cdp.send("Page.screencastFrameAck", { sessionId: event.sessionId }).catch(() => undefined);
    if (!recording) return;
    // The browser's time of drawing (its clock is the service's: the same machine), never going back.
    latest = Math.max(event.metadata.timestamp ?? Date.now() / 1000, latest);
    first ??= latest;
    const slot = Math.round((latest - first) * FRAME_RATE);
    const previous = frames.at(-1);
    const frame = previous?.slot === slot ? previous : { file: join(dir, `${String(frames.length).padStart(6, "0")}.jpg`), slot };
    if (frame !== previous) frames.push(frame);
    const jpeg = Buffer.from(event.data, "base64");
    written = written.then(() => writeFile(frame.file, jpeg)).catch((error) => failed(`a frame could not be kept (${messageOf(error)})`));
    lastReceived = Date.now();
    const woken = waiting;
    waiting = [];
    for (const wake of woken) wake();
  };
  cdp.on("Page.screencastFrame", onFrame);
  try {
    await withDeadline(
      cdp.send("Page.startScreencast", { format: "jpeg", quality: 90, maxWidth: width, maxHeight: height }),
      STOP_SCREENCAST_MS,
      "Page.startScreencast",
    );
  } catch (error) {
    failed(`the browser did not start its screencast (${messageOf(error)})`);
  }

  let ffmpeg: ChildProcess | undefined;
  /** The concat demuxer's list: each frame until the next one's slot, the last until `end`, then the last again. */
  const encode = async (end: number) => {
    await written;
    const last = frames.at(-1)!;
    const list = ["ffconcat version 1.0"];
    for (const [i, frame] of frames.entries()) {
      // The last one's repeat, which ends the video, is shown for the final slot: it makes the last duration count.
      const until = frames[i + 1]?.slot ?? end - 1;
      list.push(`file '${frame.file}'`, `duration ${((until - frame.slot) / FRAME_RATE).toFixed(2)}`);
    }
    list.push(`file '${last.file}'`);
    await writeFile(join(dir, "frames.txt"), `${list.join("\n")}\n`);
    const output = join(dir, "visit.mp4");
    ffmpeg = spawn(
      options.ffmpegPath,
      [
        ...["-hide_banner", "-loglevel", "error", "-nostdin", "-f", "concat", "-safe", "0", "-i", join(dir, "frames.txt")],
        ...["-vf", `scale=${width}:${height},pad=ceil(iw/2)*2:ceil(ih/2)*2`, "-fps_mode", "vfr"],
        ...["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-movflags", "+faststart"],
        ...["-map_metadata", "-1", "-y", output],
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    ffmpeg.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const exit = await new Promise<string | null>((resolve) => {
      ffmpeg!.once("error", (error) => resolve(`ffmpeg could not be started (${(error as NodeJS.ErrnoException).code ?? error.message})`));
      ffmpeg!.once("close", (code, signal) =>
        resolve(code === 0 ? null : `ffmpeg ended with ${signal ?? `exit code ${code}`}: ${stderr.trim().split("\n").pop() ?? ""}`.trim()),
      );
    });
    if (exit) throw new Error(exit);
    return readFile(output);
  };

  const stop = async (): Promise<{ bytes?: Buffer; record: VideoRecord }> => {
    const end = Date.now() / 1000;
    await withDeadline(cdp.send("Page.stopScreencast"), STOP_SCREENCAST_MS, "Page.stopScreencast").catch(() => undefined);
    recording = false;
    cdp.off("Page.screencastFrame", onFrame);
    record.frames = frames.length;
    try {
      if (record.error) return { record };
      if (first === undefined) {
        failed("the browser sent no frame");
        return { record };
      }
      // At least one slot for the last frame and one for its repeat.
      const endSlot = Math.max(Math.round((end - first) * FRAME_RATE), frames.at(-1)!.slot + 2);
      const bytes = await withDeadline(encode(endSlot), FINISH_MS, "the video's encoding");
      record.startedAt = new Date(first * 1000).toISOString();
      record.endedAt = new Date(first * 1000 + (endSlot / FRAME_RATE) * 1000).toISOString();
      return { bytes, record };
    } catch (error) {
      ffmpeg?.kill("SIGKILL");
      failed(messageOf(error));
      return { record };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  let stopping: Promise<{ bytes?: Buffer; record: VideoRecord }> | undefined;
  const frameShown = async (since: number, maxMs: number): Promise<void> => {
    const until = Date.now() + maxMs;
    const settled = 2000 / FRAME_RATE;
    while (recording && Date.now() < until) {
      const quietFor = Date.now() - lastReceived;
      if (lastReceived >= since && quietFor >= settled) return;
      const wait = Math.min(until - Date.now(), lastReceived >= since ? settled - quietFor : until - Date.now());
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        timer = setTimeout(resolve, wait);
      });
      clearTimeout(timer);
    }
  };
  return { frameShown, stop: () => (stopping ??= stop()) };
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
