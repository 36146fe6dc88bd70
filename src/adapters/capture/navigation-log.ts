/**
 * The main frame's navigations, in order: the requested URL, each HTTP redirect, and each navigation
 * the page started itself (script, meta refresh, Refresh header, form, link), with what the site
 * answered and whether the egress proxy refused it. A capture is judged on this record: a refused
 * navigation fails it, and its final URL is the last document actually received, never an address that
 * nothing reached.
 */
import type { CDPSession, Page, Request, Response } from "playwright-core";
import type { Navigation } from "../../ports/page-capturer.ts";
import { bareHost, endpointOf } from "../../domain/endpoint.ts";
import type { EgressRecord } from "./egress-proxy.ts";

/** Chromium's reasons for a navigation a page started (CDP Page.ClientNavigationReason), as the manifest names them. */
const TRIGGERS: Record<string, string> = {
  scriptInitiated: "script",
  metaTagRefresh: "meta-refresh",
  httpHeaderRefresh: "refresh-header",
  formSubmissionGet: "form",
  formSubmissionPost: "form",
  anchorClick: "link",
  reload: "reload",
};

interface Entry {
  url: string;
  reachedBy: Navigation["reachedBy"];
  trigger?: string;
  request: Request;
  response: Response | null;
}

export interface NavigationOutcome {
  navigations: Navigation[];
  /** The last navigation a site answered (its response describes the capture), if any. */
  final: { index: number; response: Response } | null;
  /** The first refused navigation, with why the capture fails. */
  refused: { url: string; reason: string } | null;
}

export interface NavigationLog {
  /** The navigations so far, judged against the egress proxy's records. */
  outcome(records: readonly EgressRecord[]): NavigationOutcome;
}

/** Starts recording; call before the first navigation. */
export async function recordNavigations(page: Page, cdp: CDPSession): Promise<NavigationLog> {
  const entries: Entry[] = [];
  const requested: { url: string; reason: string }[] = [];
  await cdp.send("Page.enable");
  const { frameTree } = (await cdp.send("Page.getFrameTree")) as { frameTree: { frame: { id: string } } };
  cdp.on("Page.frameRequestedNavigation", (event: { frameId: string; reason: string; url: string }) => {
    if (event.frameId === frameTree.frame.id) requested.push({ url: event.url, reason: event.reason });
  });
  page.on("request", (request) => {
    if (!request.isNavigationRequest() || request.frame() !== page.mainFrame()) return;
    if (entries.length === 0) return void entries.push({ url: request.url(), reachedBy: "initial", request, response: null });
    if (request.redirectedFrom()) return void entries.push({ url: request.url(), reachedBy: "http-redirect", request, response: null });
    const asked = requested.findIndex((r) => r.url === request.url());
    const reason = asked >= 0 ? requested.splice(asked, 1)[0]!.reason : undefined;
    // Chromium loads a refused page's error page again by itself: one attempt, not two.
    const last = entries.at(-1)!;
    if (!reason && last.url === request.url() && last.response === null) return;
    entries.push({
      url: request.url(),
      reachedBy: "client-side",
      trigger: reason ? (TRIGGERS[reason] ?? "other") : "other",
      request,
      response: null,
    });
  });
  page.on("response", (response) => {
    const entry = entries.find((e) => e.request === response.request());
    if (entry) entry.response = response;
  });

  return {
    outcome(records) {
      const refusedAt = new Map<string, string>();
      for (const record of records) if (record.refused) refusedAt.set(`${bareHost(record.host)}:${record.port}`, record.refused);
      const navigations: Navigation[] = [];
      let final: NavigationOutcome["final"] = null;
      let refused: NavigationOutcome["refused"] = null;
      for (const [index, entry] of entries.entries()) {
        const proxyReason = refusedAt.get(keyOf(entry.url));
        // Refused: the proxy refused the address and the site never answered (the proxy's own 403, or no response).
        const isRefused =
          proxyReason !== undefined && (entry.response === null || entry.response.headers()["x-evidence-refused"] !== undefined);
        const httpStatus = isRefused || !entry.response ? null : entry.response.status();
        navigations.push({
          url: entry.url,
          reachedBy: entry.reachedBy,
          ...(entry.trigger ? { trigger: entry.trigger } : {}),
          httpStatus,
          refused: isRefused,
        });
        if (httpStatus !== null) final = { index, response: entry.response! };
        if (isRefused && !refused) refused = { url: entry.url, reason: `refused: ${describe(entry)}${proxyReason}` };
      }
      return { navigations, final, refused };
    },
  };
}

function describe(entry: Entry): string {
  if (entry.reachedBy === "client-side") return `client-side redirect (${entry.trigger}) to ${entry.url}: `;
  if (entry.reachedBy === "http-redirect") return `HTTP redirect to ${entry.url}: `;
  return "";
}

function keyOf(url: string): string {
  try {
    return endpointOf(new URL(url)).key;
  } catch {
    return url;
  }
}
