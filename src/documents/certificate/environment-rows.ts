/**
 * The capture's environment and video as the certificate states them: the service's commit, the host's
 * system and clock, the DNS answers the service used, the egress rule, and the video of the visit.
 */
import type { CaptureManifest } from "../../domain/capture-manifest.ts";
import { utcMs } from "./format.ts";
import type { Layout } from "./layout.ts";

export function environmentRows(l: Layout, m: CaptureManifest): void {
  if (m.service.commit !== undefined)
    l.row("  Service commit (git)", m.service.commit ?? "none: the service does not run from a git checkout", true);
  const e = m.environment;
  if (e) {
    l.row("Host system", `${e.os.distribution ?? e.os.type}, ${e.os.type} kernel ${e.os.release}`);
    l.row(
      "Host clock (as the operating system reports it)",
      e.clock.synchronized === null
        ? `not reported: ${e.clock.reason ?? "no answer"}`
        : `${e.clock.synchronized ? "synchronised" : "not synchronised"}${e.clock.ntp === null ? "" : `, NTP ${e.clock.ntp ? "on" : "off"}`} (${e.clock.source})`,
    );
    const answers = e.dns.map((d) => {
      const how = d.resolvedBy === "address literal" ? "an address" : `answered ${d.addresses.join(", ") || "nothing"}`;
      return `${d.host}, port ${d.port}: ${how}; ${d.connectedTo ? `connected to ${d.connectedTo}` : `refused: ${d.refused ?? "not connected"}`}`;
    });
    // The browser's own requests (Chromium's updater) are among them: the proxy treats them like the page's.
    l.row("Hosts the browser asked for (resolved and checked by the service's proxy)", answers.join(" — ") || "none");
    l.row("Egress rule", e.egressRule);
  }
  if (m.video === undefined) return;
  const v = m.video;
  l.row(
    "Video of the visit",
    v === null
      ? "not recorded (turned off)"
      : v.error !== null || !v.startedAt || !v.endedAt
        ? `none: ${v.error ?? "not recorded"}`
        : `${utcMs(v.startedAt)} to ${utcMs(v.endedAt)}, at the pace it happened (${v.encoder}); the file is listed below`,
  );
}
