/** Where a URL connects: pure URL arithmetic, shared by the capture request and the egress proxy. */
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
