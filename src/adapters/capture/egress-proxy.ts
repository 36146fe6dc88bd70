/**
 * The capture browser's only way out: an HTTP proxy on 127.0.0.1 through which Chromium sends every
 * request (pages, redirects, subresources, websockets; plain HTTP forwarded, HTTPS tunnelled with
 * CONNECT). The proxy resolves each host itself, refuses it when any of its addresses is not public,
 * and otherwise connects to the very address it checked: no packet goes to a refused address, and a
 * DNS answer cannot change between the check and the connection.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, isIP, type Socket } from "node:net";
import { once } from "node:events";
import { bareHost, endpointOf } from "../../domain/endpoint.ts";
import { isPublicAddress } from "../../domain/public-address.ts";
import type { EgressDecision, EgressGuard } from "../../ports/egress-guard.ts";
import { withDeadline } from "./deadline.ts";

export interface EgressPolicy {
  /** Reach private addresses too (tests reach their fixture server on 127.0.0.1 this way). */
  allowPrivate: boolean;
  /** host:port pairs reachable whatever their address (a narrower opening than allowPrivate). */
  allowHosts?: string[];
}

export interface EgressRecord {
  /** A forwarded plain-HTTP request, or a CONNECT tunnel (HTTPS, secure websockets, preconnects). */
  kind: "http" | "connect";
  /** The absolute URL of a forwarded request; host:port of a tunnel. */
  target: string;
  host: string;
  port: number;
  addresses: string[];
  /** The address connected to, when allowed. */
  address?: string;
  refused?: string;
}

export type Lookup = (host: string) => Promise<string[]>;

const defaultLookup: Lookup = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Who answers the default lookup, for the capture manifest. */
export const RESOLVER = "the operating system's resolver (getaddrinfo: /etc/hosts, then DNS as /etc/resolv.conf says)";

/** What `checkEgress` refuses under `policy`, in a sentence for the capture manifest: keep in step with it. */
export function describeEgressRule(policy: EgressPolicy): string {
  const rule =
    "The egress proxy resolves each host itself and refuses it when any address it resolves to is not public; " +
    "otherwise it connects to the first address answered. An address is public only when it lies in IANA's unicast space " +
    "(IPv4 outside 0/8, 10/8, 127/8 and 224.0.0.0/3; IPv6 inside 2000::/3) and the most specific block of IANA's " +
    "IPv4 or IPv6 Special-Purpose Address Registry containing it, if any, is Globally Reachable (IPv4-mapped and " +
    "NAT64 64:ff9b::/96 addresses are judged by the IPv4 address they carry). A lookup that fails, answers nothing " +
    `or takes longer than ${DNS_TIMEOUT_MS} ms is refused.`;
  const exceptions = [
    ...(policy.allowPrivate ? ["this service lets captures reach private and loopback addresses too (CAPTURE_ALLOW_PRIVATE)"] : []),
    ...(policy.allowHosts?.length
      ? [`these host:port pairs are reached whatever their address (CAPTURE_ALLOW_HOSTS): ${policy.allowHosts.join(", ")}`]
      : []),
  ];
  return exceptions.length ? `${rule} Exceptions: ${exceptions.join("; ")}.` : `${rule} No exceptions.`;
}

/** Resolves `host` and decides: the address to connect to, or why not. */
export async function checkEgress(
  host: string,
  port: number,
  policy: EgressPolicy,
  lookup: Lookup = defaultLookup,
): Promise<EgressDecision> {
  const bare = bareHost(host);
  let addresses: string[];
  try {
    addresses = isIP(bare) ? [bare] : await withDeadline(lookup(bare), DNS_TIMEOUT_MS, `DNS lookup of ${bare}`);
  } catch (error) {
    return { refused: `DNS lookup of ${bare} failed (${(error as NodeJS.ErrnoException).code ?? "error"})`, addresses: [] };
  }
  if (addresses.length === 0) return { refused: `${bare} has no address`, addresses };
  const allowedHost = policy.allowHosts?.includes(`${bare}:${port}`) ?? false;
  const notPublic = addresses.filter((a) => !isPublicAddress(a));
  if (notPublic.length && !policy.allowPrivate && !allowedHost) {
    return { refused: `${bare} resolves to ${notPublic.join(", ")}, which is not a public address`, addresses };
  }
  return { address: addresses[0]!, addresses };
}

/** The guard the capture request uses to refuse a URL up front: the same decision the proxy makes. */
export function egressGuard(policy: EgressPolicy, lookup: Lookup = defaultLookup): EgressGuard {
  return { check: (host, port) => checkEgress(host, port, policy, lookup) };
}

/** A resolver that does not answer within this counts as a failed lookup. */
const DNS_TIMEOUT_MS = 10_000;

export interface EgressProxy {
  readonly url: string;
  readonly records: EgressRecord[];
  close(): Promise<void>;
}

export async function startEgressProxy(policy: EgressPolicy, lookup: Lookup = defaultLookup): Promise<EgressProxy> {
  const records: EgressRecord[] = [];
  const sockets = new Set<Socket>();
  const decide = async (kind: EgressRecord["kind"], target: string, host: string, port: number) => {
    const decision = await checkEgress(host, port, policy, lookup);
    records.push({
      kind,
      target,
      host,
      port,
      addresses: decision.addresses,
      ...("address" in decision ? { address: decision.address } : { refused: decision.refused }),
    });
    return decision;
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    // A proxied plain-HTTP request: the request line holds the absolute URL.
    let target: URL;
    try {
      target = new URL(req.url ?? "");
      if (target.protocol !== "http:") throw new Error();
    } catch {
      res.writeHead(400).end("this proxy forwards absolute http:// URLs only");
      return;
    }
    const { port } = endpointOf(target);
    const decision = await decide("http", target.href, target.hostname, port);
    if ("refused" in decision) {
      res.writeHead(403, { "content-type": "text/plain", "x-evidence-refused": "1" }).end(`refused: ${decision.refused}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-connection"];
    const upstream = httpRequest(
      { host: decision.address, port, method: req.method, path: target.pathname + target.search, headers, setHost: false },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.rawHeaders);
        response.pipe(res);
      },
    );
    upstream.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502).end(`upstream error: ${error.message}`);
      else res.destroy();
    });
    req.pipe(upstream);
  });

  server.on("connect", async (req: IncomingMessage, client: Socket, head: Buffer) => {
    // HTTPS and websockets over TLS: a tunnel to the checked address; TLS stays end to end.
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? "");
    if (!match) {
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const [host, port] = [match[1]!, Number(match[2])];
    const decision = await decide("connect", req.url!, host, port);
    if ("refused" in decision) {
      client.end("HTTP/1.1 403 Forbidden\r\nX-Evidence-Refused: 1\r\n\r\n");
      return;
    }
    const upstream = connect(port, decision.address, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    records,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
