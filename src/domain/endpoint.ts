/** Where a URL connects: pure URL arithmetic, shared by the capture request, the egress proxy and the documents. */
import ipaddr from "ipaddr.js";

/** A host without IPv6 brackets, as DNS, allow-lists and logs name it. */
export function bareHost(host: string): string {
  return host.replace(/^\[|\]$/g, "");
}

/** Where a URL connects: its bare host and its port (the scheme's default when none is given). */
export function endpointOf(url: URL): { host: string; port: number; key: string } {
  const host = bareHost(url.hostname);
  const port = Number(url.port || (url.protocol === "https:" || url.protocol === "wss:" ? 443 : 80));
  return { host, port, key: `${host}:${port}` };
}

/**
 * Whether a URL names this machine only (localhost, 127.0.0.0/8, ::1, or the unspecified address): such a
 * URL printed on a document would lead its reader to their own computer.
 */
export function isLoopbackUrl(url: string): boolean {
  const host = bareHost(new URL(url).hostname).toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (!ipaddr.isValid(host)) return false;
  const address = ipaddr.process(host); // an IPv4-mapped IPv6 address as the IPv4 one it carries
  return address.range() === "loopback" || address.range() === "unspecified";
}
