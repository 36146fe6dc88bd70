/**
 * A capture browser that stops answering (stopped with SIGSTOP in the middle of a visit): the capture
 * still ends, failed, within its deadline and the browser's grace to close, and no browser process is
 * left behind.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startMarketplace } from "../helpers/fixture-marketplace.ts";
import { startFrozenServer } from "../helpers/frozen-server.ts";
import { client, startTestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;

/** Pids of the processes of capture browsers (their command line names a capture profile). */
function captureBrowsers(): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("capture-profile-");
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("a capture browser that stops answering", function () {
  this.timeout(90_000);
  const dir = tempDir("capture-hang-");
  after(() => dir.remove());

  it("ends the capture failed (timed out) and kills the browser", async () => {
    const market = await startMarketplace();
    const frozen = await startFrozenServer(); // an image that never arrives keeps the page loading
    market.serve("/slow-listing", `<!doctype html><title>Slow listing</title><img src="http://127.0.0.1:${frozen.port}/photo.jpg">`);
    const service = await startTestService(join(dir.path, "data"), {
      CAPTURE_ALLOW_HOSTS: `127.0.0.1:${market.port},127.0.0.1:${frozen.port}`,
      CAPTURE_TIMEOUT_MS: "4000",
    });
    try {
      const api = client(service.url);
      const started = Date.now();
      const capture = (await (await api.postJson("/v1/captures", { url: `${market.origin}/slow-listing` })).json()) as Json;
      // Wait until the page is being loaded (the image was asked for), then stop the whole browser.
      while (frozen.connections() === 0) await new Promise((r) => setTimeout(r, 50));
      const stopped = captureBrowsers();
      expect(stopped.length).to.be.greaterThan(0);
      for (const pid of stopped) process.kill(pid, "SIGSTOP");

      let body: Json;
      do {
        await new Promise((r) => setTimeout(r, 200));
        body = (await (await api.get(`/v1/captures/${capture.id}`)).json()) as Json;
      } while (body.status !== "failed" && body.status !== "captured" && body.status !== "anchored" && Date.now() - started < 60_000);
      expect(body.status).to.equal("failed");
      expect(body.failureReason).to.equal("timed out: the capture took longer than CAPTURE_TIMEOUT_MS (4000 ms)");
      // 4 s to the deadline, then at most 10 s for the browser to close before it is killed.
      expect(Date.now() - started).to.be.below(4000 + 10_000 + 5000);
      expect(captureBrowsers().filter((pid) => stopped.includes(pid))).to.deep.equal([]);
    } finally {
      await service.stop();
      await frozen.close();
      await market.close();
    }
  });
});
