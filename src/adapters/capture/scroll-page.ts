/**
 * Scrolls a loaded page from its top to its end, one viewport height at a time, as a person reading it
 * would: what loads only when seen (`loading="lazy"` images, IntersectionObserver content, infinite lists)
 * is loaded before the artifacts are taken. Then it waits for the network to go quiet and returns to the
 * top. Bounded by height (CAPTURE_MAX_SCROLL_HEIGHT), steps and time, all within the capture's deadline.
 */
import type { Page, Request } from "playwright-core";
import type { PageScroll } from "../../ports/page-capturer.ts";

/** Most steps: more than any height bound needs with a phone's viewport (20000 / 660 px ≈ 31). */
export const MAX_SCROLL_STEPS = 100;
/** The network counts as settled once no request has been in flight for this long. */
const QUIET_MS = 200;
/** Most to wait after each step for what it started to load. */
const STEP_SETTLE_MS = 1000;
/** Most to wait, after the last step, for the network to settle. */
const FINAL_SETTLE_MS = 3000;

/**
 * Scrolls `page` and returns what was done. The steps take at most half the time left before `deadline`,
 * the final wait at most FINAL_SETTLE_MS and half of what is then left: the rest is the artifacts'.
 */
export async function scrollThrough(
  page: Page,
  bounds: { maxHeight: number; deadline: number },
  /** After each step (begun at `since`, Date.now()), once what it loaded arrived: the video of the visit records that view. */
  afterStep: (since: number) => Promise<void> = async () => undefined,
): Promise<PageScroll> {
  const network = watchNetwork(page);
  try {
    const stepsMs = Math.max(0, (bounds.deadline - Date.now()) / 2);
    const until = Date.now() + stepsMs;
    let steps = 0;
    let cutShort: PageScroll["cutShort"] = null;
    let at = await position(page);
    for (;;) {
      if (at.y + at.view >= at.height) {
        // At the end: an infinite list grows now. Look again once what it asked for has arrived.
        await network.quiet(Math.min(until, Date.now() + STEP_SETTLE_MS));
        const again = await position(page);
        if (again.height <= at.height || Date.now() >= until) {
          if (again.height > at.height) cutShort = "time";
          break;
        }
        at = again;
        continue;
      }
      if (at.y + at.view >= bounds.maxHeight) cutShort = "height";
      else if (steps >= MAX_SCROLL_STEPS) cutShort = "steps";
      else if (Date.now() >= until) cutShort = "time";
      if (cutShort) break;
      const stepStarted = Date.now();
      await scrollTo(page, Math.min(at.y + at.view, bounds.maxHeight - at.view));
      steps += 1;
      network.touched();
      await network.quiet(Math.min(until, Date.now() + STEP_SETTLE_MS));
      await afterStep(stepStarted);
      const next = await position(page);
      if (next.y <= at.y) {
        cutShort = "stuck"; // it scrolls an inner element, or holds its place
        break;
      }
      at = next;
    }
    const settleBy = Date.now() + Math.min(FINAL_SETTLE_MS, Math.max(0, (bounds.deadline - Date.now()) / 2));
    const networkIdle = await network.quiet(settleBy);
    await scrollTo(page, 0);
    const end = await position(page);
    return {
      steps,
      finalHeight: end.height,
      cutShort,
      networkIdle,
      screenshotHeight: Math.min(end.height, bounds.maxHeight),
      bounds: { height: bounds.maxHeight, steps: MAX_SCROLL_STEPS, ms: Math.round(stepsMs) },
    };
  } finally {
    network.stop();
  }
}

/** The full-page screenshot's area: the whole page, cut at the height bound (a page may be endless). */
export async function screenshotArea(page: Page, scroll: PageScroll) {
  if (scroll.finalHeight <= scroll.screenshotHeight) return {};
  return { clip: { x: 0, y: 0, width: (await position(page)).width, height: scroll.screenshotHeight } };
}

/** Where the page is scrolled to, its viewport's height, and the page's size (CSS pixels). Runs in the page. */
const POSITION = `(() => {
  const root = document.scrollingElement || document.documentElement;
  const body = document.body || root;
  return {
    y: Math.round(window.scrollY),
    view: window.innerHeight,
    height: Math.max(root.scrollHeight, body.scrollHeight),
    width: Math.max(root.scrollWidth, body.scrollWidth),
  };
})()`;

function position(page: Page): Promise<{ y: number; view: number; height: number; width: number }> {
  return page.evaluate(POSITION);
}

/** At once, whatever the page's `scroll-behavior`. */
async function scrollTo(page: Page, top: number): Promise<void> {
  await page.evaluate(`window.scrollTo({ top: ${Math.round(top)}, behavior: "instant" })`);
}

/** The page's requests in flight, to wait until none has been for QUIET_MS. */
function watchNetwork(page: Page) {
  const inFlight = new Set<Request>();
  let changed = Date.now();
  const started = (r: Request) => {
    inFlight.add(r);
    changed = Date.now();
  };
  const ended = (r: Request) => {
    inFlight.delete(r);
    changed = Date.now();
  };
  page.on("request", started);
  page.on("requestfinished", ended);
  page.on("requestfailed", ended);
  return {
    /** A step was taken: what it triggers starts within a frame or two, so quiet is counted from now. */
    touched: () => void (changed = Date.now()),
    /** True once quiet; false if `until` came first. */
    async quiet(until: number): Promise<boolean> {
      for (;;) {
        const now = Date.now();
        if (inFlight.size === 0 && now - changed >= QUIET_MS) return true;
        if (now >= until) return false;
        await new Promise((r) => setTimeout(r, Math.min(50, until - now)));
      }
    },
    stop() {
      page.off("request", started);
      page.off("requestfinished", ended);
      page.off("requestfailed", ended);
    },
  };
}
