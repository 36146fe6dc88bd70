/**
 * Fixture marketplace pages (fixture-marketplace.ts serves them) holding what a person sees only by
 * scrolling, or only on a phone:
 * - /item/lazy-photos: a listing whose product photos sit below the fold and load only once scrolled into
 *   view (`loading="lazy"`, and an IntersectionObserver that sets their `src`); each photo is one solid
 *   colour, at a known place, so a screenshot's pixels tell whether it is there.
 * - /feed/endless: a list that fetches more items whenever its end comes into view, for ever.
 * - /item/by-device: a listing the server writes differently for a phone's user agent.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PNG } from "pngjs";

/** Each photo: where it is on the page (CSS pixels, at the left edge) and its colour. */
export const LAZY_PHOTOS = [
  { path: "/img/lazy-1.png", top: 3000, rgb: [230, 25, 75] },
  { path: "/img/lazy-2.png", top: 3200, rgb: [60, 180, 75] },
  { path: "/img/lazy-3.png", top: 3400, rgb: [67, 99, 216] },
] as const;
export const PHOTO_SIZE = { width: 300, height: 200 };
const PHOTO_DELAY_MS = 400;

/** Items each fetch of the endless feed adds, and each item's height (CSS pixels). */
export const FEED_PAGE = { items: 20, itemHeight: 100 };

const html = (title: string, head: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`;

const STYLE = "<style>body { margin: 0; font-family: sans-serif } img { display: block }</style>";

function lazyListing(): string {
  const photos = LAZY_PHOTOS.map(
    (p, i) =>
      `<img class="lazy" loading="lazy" data-src="${p.path}" alt="" width="${PHOTO_SIZE.width}" height="${PHOTO_SIZE.height}" id="photo-${i + 1}">`,
  ).join("");
  return html(
    "Sneakers — limited edition",
    STYLE,
    `<div style="height: ${LAZY_PHOTOS[0].top}px; overflow: hidden"><h1>Sneakers — limited edition</h1><p>The photos are further down.</p></div>${photos}
<script>
  const seen = new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) { e.target.src = e.target.dataset.src; seen.unobserve(e.target); }
  });
  for (const img of document.querySelectorAll("img.lazy")) seen.observe(img);
</script>`,
  );
}

function endlessFeed(): string {
  return html(
    "Endless feed",
    `${STYLE}<style>.item { height: ${FEED_PAGE.itemHeight}px; box-sizing: border-box; border-bottom: 1px solid #ccc }</style>`,
    `<div id="list"></div><div id="end" style="height: 1px"></div>
<script>
  let page = 0;
  const list = document.getElementById("list"), end = document.getElementById("end");
  async function more() {
    const items = await (await fetch("/feed/endless/page?n=" + page++)).json();
    for (const text of items) list.append(Object.assign(document.createElement("div"), { className: "item", textContent: text }));
  }
  const watcher = new IntersectionObserver(async (entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    watcher.unobserve(end);
    await more();
    watcher.observe(end); // still in view: it fires again
  });
  more().then(() => watcher.observe(end));
</script>`,
  );
}

function byDevice(userAgent: string): string {
  const phone = /\bMobile\b/.test(userAgent);
  return html(
    "Watch — by device",
    `<meta name="viewport" content="width=device-width, initial-scale=1">${STYLE}`,
    phone
      ? `<h1>Watch</h1><div id="edition" data-edition="mobile">Mobile edition: tap to buy, US $19.99</div>`
      : `<h1>Watch</h1><div id="edition" data-edition="desktop">Desktop edition: add to basket, US $19.99</div>`,
  );
}

const solid = new Map<string, Buffer>();
function solidPng(rgb: readonly number[]): Buffer {
  const key = rgb.join(",");
  if (!solid.has(key)) {
    const png = new PNG({ width: PHOTO_SIZE.width, height: PHOTO_SIZE.height });
    for (let i = 0; i < png.data.length; i += 4) png.data.set([rgb[0]!, rgb[1]!, rgb[2]!, 255], i);
    solid.set(key, PNG.sync.write(png));
  }
  return solid.get(key)!;
}

/** Answers the request if it is for one of these pages; false otherwise. */
export function lazyPages(req: IncomingMessage, res: ServerResponse): boolean {
  const url = new URL(req.url ?? "/", "http://fixture");
  const page = (text: string, headers: Record<string, string> = {}) =>
    res.writeHead(200, { "content-type": "text/html; charset=utf-8", ...headers }).end(text);
  const photo = LAZY_PHOTOS.find((p) => p.path === url.pathname);
  // Photos take a moment, as from a real image server: a page not scrolled to them is captured without them.
  if (photo) setTimeout(() => res.writeHead(200, { "content-type": "image/png" }).end(solidPng(photo.rgb)), PHOTO_DELAY_MS);
  else if (url.pathname === "/item/lazy-photos") page(lazyListing());
  else if (url.pathname === "/feed/endless") page(endlessFeed());
  else if (url.pathname === "/feed/endless/page") {
    const n = Number(url.searchParams.get("n"));
    const items = Array.from({ length: FEED_PAGE.items }, (_, i) => `Item ${n * FEED_PAGE.items + i + 1}`);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(items));
  } else if (url.pathname === "/item/by-device") page(byDevice(req.headers["user-agent"] ?? ""), { vary: "User-Agent" });
  else return false;
  return true;
}
