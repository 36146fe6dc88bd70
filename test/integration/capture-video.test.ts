/**
 * The video of a capture's visit and its environment record, with the real Chromium and Debian's ffmpeg
 * against the fixture marketplace on 127.0.0.1: the video decodes, is the window's size, plays the visit
 * at its real pace, re-hashes to its manifest entry; the manifest names the machine, the service's commit
 * and every address the proxy used. Turned off, or without ffmpeg, there is no video and nothing else is lost.
 */
import { expect } from "chai";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningService } from "../../src/main.ts";
import { startMarketplace, type Marketplace } from "../helpers/fixture-marketplace.ts";
import { client, startTestService, waitForCapture } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const REPO = join(import.meta.dirname, "..", "..");

/** Red until 700 ms after it starts, then blue; its load waits for a hidden 1.5 s frame, so the visit outlasts the change. */
const COLOURS = `<!doctype html><html><head><meta charset="utf-8"><title>Colours</title>
<style>html,body{margin:0;height:100%;background:#ff0000}</style></head><body>
<script>setTimeout(() => { document.body.style.background = "#0000ff"; document.body.dataset.blueAt = String(Date.now()); }, 700);</script>
<iframe src="/slow-item/colours" style="display:none"></iframe></body></html>`;

describe("the video of a capture's visit, and its environment record", function () {
  this.timeout(120_000);
  const dir = tempDir("capture-video-");
  let market: Marketplace;
  const services: RunningService[] = [];

  before(async () => {
    market = await startMarketplace();
    market.serve("/colours", COLOURS);
    // A refused subresource, on loopback: the proxy refuses it without sending anything.
    market.serve("/with-refused-image", `<!doctype html><title>x</title><img src="http://127.0.0.2/pixel.png">`);
  });
  after(async () => {
    for (const service of services) await service.stop();
    await market.close();
    dir.remove();
  });

  async function service(name: string, env: Record<string, string> = {}) {
    const running = await startTestService(join(dir.path, name), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port}`,
      CAPTURE_TIMEOUT_MS: "15000",
      CAPTURE_WACZ: "false", // the video alone here; captures.test.ts takes every artifact together
      ...env,
    });
    services.push(running);
    return client(running.url);
  }

  async function capture(api: ReturnType<typeof client>, path: string) {
    const response = await api.postJson("/v1/captures", { url: market.origin + path });
    expect(response.status).to.equal(202);
    const result = await waitForCapture(api, ((await response.json()) as Json).id);
    const bytesOf = async (id: string) => Buffer.from(await (await api.get(`/v1/evidence/${id}/content`)).arrayBuffer());
    const manifest = JSON.parse((await bytesOf(result.manifest.evidenceId)).toString()) as Json;
    return { result, manifest, bytesOf };
  }

  it("records the visit as an H.264 MP4 of the window's size that plays it at its real pace", async () => {
    const api = await service("video");
    const { result, manifest, bytesOf } = await capture(api, "/colours");
    expect(result.status, result.failureReason).to.equal("anchored");
    expect(manifest.artifacts.map((a: Json) => a.role)).to.deep.equal(["screenshot", "mhtml", "html", "har", "video"]);
    const entry = manifest.artifacts.find((a: Json) => a.role === "video");
    expect(entry).to.deep.include({ fileName: "visit.mp4", mediaType: "video/mp4" });
    const video = await bytesOf(entry.evidenceId);
    expect(createHash("sha256").update(video).digest("hex")).to.equal(entry.sha256);
    expect(video.length).to.equal(entry.size);

    const file = join(dir.path, "visit.mp4");
    writeFileSync(file, video);
    const probe = JSON.parse(
      execFileSync("ffprobe", ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "-count_frames", file], {
        encoding: "utf8",
      }),
    ) as Json;
    expect(probe.format.format_name).to.equal("mov,mp4,m4a,3gp,3g2,mj2");
    expect(probe.streams).to.have.length(1);
    const [stream] = probe.streams;
    expect(stream).to.deep.include({ codec_name: "h264", width: 1366, height: 900, pix_fmt: "yuv420p" });

    // The video lasts exactly as long as the recording the manifest states (to the millisecond it is written in) …
    const v = manifest.video;
    expect(v).to.deep.include({ frameRate: 25, error: null });
    expect(v.encoder).to.match(/^ffmpeg \S+, H\.264 \(libx264\) in MP4$/);
    const recorded = (Date.parse(v.endedAt) - Date.parse(v.startedAt)) / 1000;
    // Only the frames that differ, each shown until the next one's time, and the last repeated to end it.
    expect(Number(stream.nb_read_frames)).to.equal(v.frames + 1);
    // Each shown from its time, on a grid of 1/25 s (a variable frame rate: ffprobe's r_frame_rate is only a guess).
    const times = execFileSync(
      "ffprobe",
      ["-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0", file],
      {
        encoding: "utf8",
      },
    )
      .trim()
      .split("\n")
      .map(Number);
    expect(times).to.have.length(v.frames + 1);
    for (const t of times) expect(Math.abs(t * 25 - Math.round(t * 25)), `${t} s`).to.be.below(1e-6);
    expect(Number(probe.format.duration)).to.be.closeTo(recorded, 0.002);
    // … within the visit: from the browser's first frame (a blank page, before the page was requested) to the
    // moment before the screenshot. The browser's launch before it, and the artifacts and the browser's close after
    // it, are outside it by design (1.9–3.5 s and 3–4.7 s measured here, on 2 cores under a load of 10–14).
    expect(Date.parse(v.startedAt)).to.be.within(Date.parse(manifest.startedAt), Date.parse(v.endedAt));
    expect(Date.parse(v.endedAt)).to.be.at.most(Date.parse(manifest.endedAt));

    // It shows what happened when it happened: blank, red, then blue from the moment the page turned blue.
    const pixels = execFileSync("ffmpeg", [
      "-v",
      "error",
      "-i",
      file,
      "-vf",
      "fps=25,crop=2:2:683:450,scale=1:1", // as a player shows it, 25 frames a second
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "-",
    ]);
    const colours = [...Array(pixels.length / 3).keys()].map((i) => {
      const [r, g, b] = pixels.subarray(i * 3, i * 3 + 3);
      return r! > 200 && g! < 60 && b! < 60
        ? "red"
        : b! > 200 && r! < 60 && g! < 60
          ? "blue"
          : r! > 200 && g! > 200 && b! > 200
            ? "white"
            : "other";
    });
    expect(colours).to.have.length(Math.round(recorded * 25));
    const [firstRed, firstBlue] = [colours.indexOf("red"), colours.indexOf("blue")];
    expect(firstRed).to.be.greaterThan(0);
    expect(colours.slice(0, firstRed).every((c) => c === "white")).to.equal(true);
    expect(colours.slice(firstRed, firstBlue).every((c) => c === "red")).to.equal(true);
    expect(colours.slice(firstBlue).every((c) => c === "blue")).to.equal(true);
    const html = (await bytesOf(manifest.artifacts.find((a: Json) => a.role === "html").evidenceId)).toString();
    const blueAt = Number(/data-blue-at="(\d+)"/.exec(html)![1]);
    // The first blue frame starts within a frame slot (40 ms) of the change, drawn one refresh (~17 ms) after it (9–23 ms measured).
    expect(Date.parse(v.startedAt) + (firstBlue * 1000) / 25 - blueAt).to.be.within(-40, 100);
    // The page turned blue 700 ms after its script ran, and its load waited for the hidden frame (1.5 s) and an idle
    // network (0.5 s): the video holds the page from before it began until after it had loaded.
    expect(blueAt - Date.parse(v.startedAt)).to.be.at.least(700);
    expect(Date.parse(v.endedAt) - blueAt).to.be.at.least(800);
  });

  it("records the machine, the service's commit and every address the proxy used, as the system reports them", async () => {
    const api = await service("environment");
    const { result, manifest } = await capture(api, "/with-refused-image");
    expect(result.status, result.failureReason).to.equal("anchored");
    const e = manifest.environment;
    const uname = (flag: string) => execFileSync("uname", [flag], { encoding: "utf8" }).trim();
    const prettyName = /^PRETTY_NAME="?(.*?)"?$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? null;
    expect(e.os).to.deep.equal({ type: uname("-s"), release: uname("-r"), version: uname("-v"), distribution: prettyName });
    expect(manifest.service.commit).to.equal(execFileSync("git", ["rev-parse", "HEAD"], { cwd: REPO, encoding: "utf8" }).trim());
    // The browser's own requests (Chromium's updater, which cannot resolve here) are in the record too; the page's are these.
    expect(e.dns.filter((d: Json) => d.host.startsWith("127."))).to.deep.equal([
      { host: "127.0.0.1", port: market.port, resolvedBy: "address literal", addresses: ["127.0.0.1"], connectedTo: "127.0.0.1" },
      {
        host: "127.0.0.2",
        port: 80,
        resolvedBy: "address literal",
        addresses: ["127.0.0.2"],
        connectedTo: null,
        refused: "127.0.0.2 resolves to 127.0.0.2, which is not a public address",
      },
    ]);
    expect(e.egressRule).to.match(
      /^The egress proxy resolves each host itself and refuses it when any address it resolves to is not public;/,
    );
    expect(e.egressRule).to.match(
      new RegExp(
        `Exceptions: these host:port pairs are reached whatever their address \\(CAPTURE_ALLOW_HOSTS\\): 127\\.0\\.0\\.1:${market.port}\\.$`,
      ),
    );
    // The clock as timedatectl reports it here: in a container without systemd it cannot, and says why.
    const timedatectl = spawnSync("timedatectl", ["show", "-p", "NTPSynchronized", "-p", "NTP"], {
      encoding: "utf8",
      env: { ...process.env, LC_ALL: "C" },
    });
    const source = "timedatectl show -p NTPSynchronized -p NTP";
    if (timedatectl.status === 0) {
      const value = (name: string) => new RegExp(`^${name}=(yes|no)$`, "m").exec(timedatectl.stdout)?.[1];
      expect(e.clock).to.deep.equal({ synchronized: value("NTPSynchronized") === "yes", ntp: value("NTP") === "yes", source });
    } else {
      const reason = timedatectl.error ? "timedatectl is not installed" : `timedatectl failed: ${timedatectl.stderr.trim().split("\n")[0]}`;
      expect(e.clock).to.deep.equal({ synchronized: null, ntp: null, source, reason });
    }
  });

  it("records no video when CAPTURE_VIDEO=false, and says so", async () => {
    const api = await service("no-video", { CAPTURE_VIDEO: "false" });
    const { result, manifest } = await capture(api, "/item/7");
    expect(result.status, result.failureReason).to.equal("anchored");
    expect(manifest.artifacts.map((a: Json) => a.role)).to.deep.equal(["screenshot", "mhtml", "html", "har"]);
    expect(manifest.video).to.equal(null);
  });

  it("keeps every other artifact when the video fails, and records why in the manifest", async () => {
    const api = await service("broken-ffmpeg", { FFMPEG_PATH: join(dir.path, "no-such-ffmpeg") });
    const { result, manifest } = await capture(api, "/item/7");
    expect(result.status, result.failureReason).to.equal("anchored");
    expect(manifest.artifacts.map((a: Json) => a.role)).to.deep.equal(["screenshot", "mhtml", "html", "har"]);
    expect(manifest.video).to.deep.include({
      error: "ffmpeg could not be started (ENOENT)",
      encoder: "ffmpeg (version unknown), H.264 (libx264) in MP4",
    });
  });
});
