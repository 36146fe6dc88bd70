/**
 * What a captured page tried that never left the browser, for the manifest's refusedRequests: the
 * requests the egress proxy refused, named by the URLs the page asked for, and the attempts the browser
 * stopped itself (egress-guard.browser.js reports them through a binding).
 */
import { readFileSync } from "node:fs";
import type { BrowserContext, Page } from "playwright-core";
import type { RefusedRequest } from "../../ports/page-capturer.ts";
import { bareHost, endpointOf } from "../../domain/endpoint.ts";
import type { EgressRecord } from "./egress-proxy.ts";

const BINDING = "__evidenceAnchorRefused";
const GUARD_SCRIPT = `(${readFileSync(new URL("./egress-guard.browser.js", import.meta.url), "utf8")}
)(${JSON.stringify(BINDING)})`;

/** Why the browser itself stops each kind of attempt (the page cannot choose the reason). */
const STOPPED_IN_BROWSER: Record<string, string> = {
  webrtc: "WebRTC is disabled in the capture browser",
  webtransport: "WebTransport is disabled in the capture browser",
  popup: "popups are not opened in the capture browser",
  "service-worker": "service workers are not run in the capture browser",
};

/** Where Chromium's own services are sent (CHROMIUM_FLAGS): a non-public address the proxy refuses. */
export const BROWSER_SERVICES_SINK = "http://0.0.0.0:9/";
const SINK = endpointOf(new URL(BROWSER_SERVICES_SINK)).key;

/** A page can make any number of attempts; the manifest lists this many and counts the rest. */
export const MAX_LISTED_REFUSALS = 200;

type Seen = { asked: string } | { stopped: RefusedRequest };

export interface RefusedRequests {
  /** The refused attempts in the order seen, given the proxy's records; `notListed` counts those beyond the limit. */
  list(records: readonly EgressRecord[]): { listed: RefusedRequest[]; notListed: number };
}

/**
 * Installs the guard in every frame of `context` and watches `page`. Call before the first navigation.
 * Popups are closed as they open (the guard already refuses window.open; Chromium's popup blocker the rest).
 */
export async function watchRefusedRequests(context: BrowserContext, page: Page): Promise<RefusedRequests> {
  const seen: Seen[] = [];
  const stopped = new Set<string>();
  let stoppedNotListed = 0;
  const stop = (protocol: string, target: string) => {
    const reason = STOPPED_IN_BROWSER[protocol];
    const key = `${protocol} ${target}`;
    if (!reason || stopped.has(key)) return;
    if (stopped.size >= MAX_LISTED_REFUSALS) return void stoppedNotListed++; // a page calling in a loop
    stopped.add(key);
    seen.push({ stopped: { protocol, target, reason } });
  };
  await context.exposeBinding(BINDING, (_source, entry: { protocol?: unknown; target?: unknown }) => {
    if (typeof entry?.protocol === "string" && typeof entry.target === "string") stop(entry.protocol, entry.target.slice(0, 2048));
  });
  await context.addInitScript(GUARD_SCRIPT);
  context.on("request", (request) => seen.push({ asked: request.url() }));
  page.on("websocket", (socket) => seen.push({ asked: socket.url() }));
  context.on("page", (popup) => {
    if (popup === page) return;
    stop("popup", popup.url());
    void popup.close().catch(() => undefined);
  });

  return {
    list(records) {
      const refusedAt = new Map<string, EgressRecord>();
      for (const record of records) if (record.refused) refusedAt.set(`${bareHost(record.host)}:${record.port}`, record);
      const entries = new Map<string, RefusedRequest>();
      const add = (entry: RefusedRequest) => {
        const key = `${entry.protocol} ${entry.target}`;
        if (!entries.has(key)) entries.set(key, entry);
      };
      const explained = new Set<string>();
      for (const item of seen) {
        if ("stopped" in item) {
          add(item.stopped);
          continue;
        }
        let url: URL;
        try {
          url = new URL(item.asked);
        } catch {
          continue;
        }
        const endpoint = endpointOf(url);
        const record = refusedAt.get(endpoint.key);
        if (!record) continue;
        explained.add(endpoint.key);
        add({ protocol: url.protocol.slice(0, -1), target: url.href, host: record.host, port: record.port, reason: record.refused! });
      }
      // Refusals no request of the page explains: tunnels it caused without a request (preconnects).
      // Those of non-public addresses only, and not at the sink Chromium's own services are sent to: its
      // own calls (were DNS to fail for them, or at the sink) are not the page's.
      for (const record of records) {
        const key = `${bareHost(record.host)}:${record.port}`;
        if (!record.refused || record.addresses.length === 0 || explained.has(key) || key === SINK) continue;
        add({ protocol: record.kind, target: record.target, host: record.host, port: record.port, reason: record.refused });
      }
      const all = [...entries.values()];
      return { listed: all.slice(0, MAX_LISTED_REFUSALS), notListed: stoppedNotListed + Math.max(0, all.length - MAX_LISTED_REFUSALS) };
    },
  };
}
