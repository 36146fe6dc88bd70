/**
 * What a capture made by the service shows: what was asked for and what was reached (the final URL
 * beside the requested one, each step of the way with its HTTP status), what the site answered, said
 * plainly when it is an error, from which address, over which TLS certificate, in which browser and
 * profile, when, a picture of the page's first screen, and the files taken, with their hashes. Every
 * fact here was observed by the service; only the listing data is what the page itself published.
 */
import type { CaptureManifest } from "../../domain/capture-manifest.ts";
import { bytes, deviceWords, httpStatusLine, httpStatusSentence, utcMs } from "./format.ts";
import { environmentRows } from "./environment-rows.ts";
import type { Layout } from "./layout.ts";
import { firstScreen } from "./screenshot.ts";

export interface CaptureFacts {
  manifest: CaptureManifest;
  /** The manifest's own evidence item (for an artifact's certificate, the item it belongs to). */
  manifestEvidence: { id: string; sha256: string; cid: string; anchored?: boolean };
  /** The screenshot artifact's bytes, checked against its SHA-256; absent when the capture took none. */
  screenshot?: Uint8Array;
}

const REACHED_BY: Record<string, string> = {
  initial: "the requested URL",
  "http-redirect": "an HTTP redirect",
  "client-side": "the page itself",
};

const CLOSED_EXITS: Record<string, string> = {
  webrtc: "WebRTC",
  quic: "QUIC",
  webtransport: "WebTransport",
  dns: "the browser's own DNS",
  popups: "pop-ups",
  serviceWorkers: "service workers",
};

export function captureSection(l: Layout, facts: CaptureFacts, number: string): void {
  const m = facts.manifest;
  l.row("Final URL (observed by the service)", m.finalUrl ?? "none: no site sent a page");
  l.row("Requested URL", m.requestedUrl);
  if (m.navigations?.length) {
    l.doc.fillColor("#333");
    l.write("Navigations, in order (the redirect chain):", "bold", 9, { width: l.width });
    l.doc.fillColor("#000");
    for (const [i, n] of m.navigations.entries()) {
      const how = n.reachedBy === "client-side" && n.trigger ? `the page itself (${n.trigger})` : (REACHED_BY[n.reachedBy] ?? n.reachedBy);
      const answer = n.refused
        ? "refused by the service's egress guard: not reached"
        : n.httpStatus === null
          ? "no answer"
          : `HTTP ${n.httpStatus}`;
      l.write(`  ${i + 1}. ${n.url} — ${answer} (reached by ${how})`, "regular", 8.5, { width: l.width });
    }
  }
  if (m.http) {
    l.banner(httpStatusSentence(m.http.status, m.http.statusText), m.http.status >= 400 ? "#a4161a" : "#1b1b1b", 10);
    l.doc.moveDown(0.2);
    l.row("HTTP status of the final page", httpStatusLine(m.http.status, m.http.statusText));
  } else {
    l.banner(`No site answered: ${m.outcome.reason ?? "no page was received"}.`, "#a4161a", 10);
    l.doc.moveDown(0.2);
  }
  if (m.server) l.row("Server address (resolved and connected to by the service)", `${m.server.address}, port ${m.server.port}`);
  if (m.tls) {
    l.row("TLS", m.tls.protocol);
    l.row("  Server certificate subject", m.tls.subject);
    l.row("  Issuer", m.tls.issuer);
    l.row("  Valid", `${m.tls.validFrom} to ${m.tls.validTo}`);
    l.row("  SHA-256 fingerprint", m.tls.sha256Fingerprint ?? undefined, true);
  } else if (m.http) {
    l.row("TLS", m.finalUrl?.startsWith("https:") ? "not recorded" : "none: plain HTTP, no server certificate");
  }
  const b = m.browser;
  l.row("Browser", `${b.name} ${b.version}, window ${b.viewport.width} × ${b.viewport.height} pixels`);
  l.row("  User agent", b.userAgent);
  l.row("  Device", deviceWords(m.device));
  l.row("  Profile", `${b.profile}: created for this capture alone, with no cookies, cache, history or logins from any other visit`);
  l.row(
    "  Network",
    `${b.egress}; closed: ${Object.keys(b.closedExits)
      .map((k) => CLOSED_EXITS[k] ?? k)
      .join(", ")} (details in the manifest)`,
  );
  l.row("Started (UTC, the service's clock)", utcMs(m.startedAt));
  l.row("Ended (UTC, the service's clock)", utcMs(m.endedAt));
  // As GET /v1/captures/:id says it (whatever the page answered: its status is above). The manifest fixes
  // the files' SHA-256; an artifact's certificate can be made before the manifest is anchored.
  const anchored = facts.manifestEvidence.anchored ? "; the manifest listing them, with their SHA-256, is anchored" : "";
  l.row(
    "Outcome",
    m.outcome.status === "completed"
      ? `captured: the page was loaded and the files below were taken and stored${anchored}`
      : `failed: ${m.outcome.reason ?? "no reason recorded"}`,
  );
  const refused = (m.refusedRequests?.length ?? 0) + (m.refusedRequestsNotListed ?? 0);
  l.row("Requests of the page refused", refused ? `${refused} (listed in the manifest; none left the service)` : "none");
  l.row("Made by", `${m.service.name} ${m.service.version}, capture ${m.captureId}`);
  environmentRows(l, m);
  const r = m.requestedBy;
  l.row("Case reference (as stated by the requester)", r.caseRef);
  l.row("Listing id (as stated by the requester)", r.listingId);
  l.row("Note (as stated by the requester)", r.note);

  if (m.listing) {
    l.subheading(`${number}.1 What the page published about the listing (schema.org Product data, as the page stated it)`);
    const price = [m.listing.price?.amount, m.listing.price?.currency].filter(Boolean).join(" ");
    l.row("Title", m.listing.title);
    l.row("Price", price || undefined);
    l.row("Seller", [m.listing.seller?.name, m.listing.seller?.id && `(id ${m.listing.seller.id})`].filter(Boolean).join(" ") || undefined);
    l.row("Brand", m.listing.brand);
    l.row("Listing id", m.listing.listingId);
  }

  const screen = facts.screenshot ? firstScreen(facts.screenshot, b.viewport) : { omitted: "the capture took no screenshot" };
  const scale = "png" in screen ? Math.min(l.width / screen.width, 300 / screen.height) : 0;
  // The picture stays with its heading: both go to the next page if the picture does not fit on this one.
  if ("png" in screen && l.doc.y + 60 + screen.height * scale > l.doc.page.height - l.doc.page.margins.bottom) l.doc.addPage();
  l.subheading(`${number}.2 The page as the service saw it`);
  if ("omitted" in screen) {
    l.para(`No picture: ${screen.omitted}.`);
  } else {
    l.para(`The first screen of the screenshot (${screen.width} × ${screen.height} pixels of the full-page screenshot), scaled:`, {
      size: 8.5,
    });
    const x = l.doc.page.margins.left;
    const y = l.doc.y;
    l.doc.image(screen.png, x, y, { width: screen.width * scale, height: screen.height * scale });
    l.doc
      .rect(x, y, screen.width * scale, screen.height * scale)
      .lineWidth(0.5)
      .strokeColor("#888")
      .stroke();
    l.doc.x = x;
    l.doc.y = y + screen.height * scale + 6;
  }

  l.subheading(`${number}.3 The files taken (each its own evidence item, anchored with the manifest)`);
  if (!m.artifacts.length) l.para("None.");
  for (const a of m.artifacts) {
    l.row(`${a.role}`, `${a.fileName}, ${a.mediaType}, ${bytes(a.size)}, evidence ${a.evidenceId}`);
    l.row("  SHA-256", a.sha256, true);
    l.row("  CID", a.cid, true);
  }
  l.row("The manifest listing them", `evidence ${facts.manifestEvidence.id}`);
  l.row("  SHA-256", facts.manifestEvidence.sha256, true);
  l.row("  CID", facts.manifestEvidence.cid, true);
}
