/**
 * Replays a capture's WACZ in ReplayWeb.page, headless, on 127.0.0.1 only: a check made by hand, since
 * the player cannot be installed with its dependencies here (docs/receipt.md). Give it the unpacked
 * `replaywebpage` npm package (`npm pack replaywebpage && tar xzf replaywebpage-*.tgz`), the WACZ and the
 * page's URL; it serves the player's ui.js and sw.js and the WACZ (with range requests, as players read
 * it), opens the page in Debian's Chromium, which resolves no name and reaches nothing but this server,
 * and prints what the replayed page shows; a screenshot goes to replay.png.
 *
 *   node scripts/replay-wacz.ts <replaywebpage package dir> <visit.wacz> <page URL>
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** What the replayed page shows, evaluated in its frame: text, each image's width (0: not loaded), the h1's colour. */
const SHOWN = `({
  frame: location.href,
  text: document.body?.innerText ?? "",
  images: [...document.images].map((i) => i.naturalWidth),
  h1Color: getComputedStyle(document.querySelector("h1") ?? document.body).color,
})`;

type Shown = { frame: string; text: string; images: number[]; h1Color: string };

const [player, wacz, pageUrl] = process.argv.slice(2);
if (!player || !wacz || !pageUrl) throw new Error("usage: node scripts/replay-wacz.ts <replaywebpage dir> <visit.wacz> <page URL>");

const page = `<!doctype html><meta charset="utf-8"><script src="/ui.js"></script>
<replay-web-page source="/visit.wacz" url="${pageUrl}" replayBase="/replay/" embed="replayonly" style="display:block;width:1280px;height:900px"></replay-web-page>`;
const files: Record<string, { path?: string; text?: string; type: string }> = {
  "/": { text: page, type: "text/html" },
  "/ui.js": { path: join(player, "ui.js"), type: "application/javascript" },
  "/replay/sw.js": { path: join(player, "sw.js"), type: "application/javascript" },
  "/visit.wacz": { path: wacz, type: "application/wacz" },
};
const server = createServer((req, res) => {
  const file = files[new URL(req.url ?? "/", "http://127.0.0.1").pathname];
  if (!file) return res.writeHead(404).end();
  const bytes = file.text !== undefined ? Buffer.from(file.text) : readFileSync(file.path!);
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  const start = range ? Number(range[1]) : 0;
  const end = range?.[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
  const headers = { "content-type": file.type, "accept-ranges": "bytes", "content-length": String(end - start + 1) };
  res.writeHead(range ? 206 : 200, range ? { ...headers, "content-range": `bytes ${start}-${end}/${bytes.length}` } : headers);
  res.end(req.method === "HEAD" ? undefined : bytes.subarray(start, end + 1));
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
});
try {
  const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await tab.goto(`${origin}/`);
  const deadline = Date.now() + 30_000;
  let shown: Shown | undefined;
  while (!shown && Date.now() < deadline) {
    await tab.waitForTimeout(500);
    const frame = tab.frames().find((f) => f.url().includes(`mp_/${pageUrl}`));
    shown = await frame?.evaluate<Shown>(SHOWN).catch(() => undefined);
    if (shown && !shown.text) shown = undefined;
  }
  await tab.screenshot({ path: "replay.png" });
  console.log(shown ? JSON.stringify(shown, null, 2) : "the page was not replayed within 30 s (see replay.png)");
  process.exitCode = shown ? 0 : 1;
} finally {
  await browser.close();
  server.close();
}
