/**
 * Which IP addresses a capture may reach: the server-side request forgery guard. It is an allow-list
 * of what is public, driven by IANA's registries, not a list of what is not. An address is public
 * only if
 *
 * 1. it lies in IANA's unicast space: for IPv4, outside 0/8, 10/8 and 127/8 (the /8s IANA's IPv4
 *    Address Space registry reserves) and 224.0.0.0/3 (multicast and future use); for IPv6, inside
 *    2000::/3, the only block IANA allocates global unicast from; and
 * 2. the most specific entry of IANA's Special-Purpose Address Registry that contains it, if any,
 *    says Globally Reachable = True (`False`, `N/A`, or the blank of a terminated entry: not public).
 *    The registries are data in ./iana/ (its README says which version).
 *
 * IPv4-mapped IPv6 (::ffff:0:0/96) and the NAT64 well-known prefix (64:ff9b::/96) are judged by the
 * IPv4 address they carry: the OS, or a NAT64 gateway, would connect to that one. Every other form
 * that embeds IPv4 (IPv4-compatible ::/96, SIIT ::ffff:0:0:0/96, 64:ff9b:1::/48, 6to4, Teredo) fails
 * the rule above. Only address literals as Node reads them (`net.isIP`: what the egress proxy
 * connects to) are classified, without IPv6 brackets or a zone index; anything else is not public.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parse as parseCsv } from "csv-parse/sync";
import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

interface SpecialPurposeBlock {
  range: Range;
  globallyReachable: boolean;
}

const IPV4_OUTSIDE_UNICAST = ["0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "224.0.0.0/3"].map((c) => ipaddr.parseCIDR(c));
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR("2000::/3");
const IPV4_MAPPED = ipaddr.parseCIDR("::ffff:0:0/96");
const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96");

/** IANA's footnote markers ("False [1]", "2002::/16 [3]") say nothing the guard uses. */
const withoutFootnotes = (cell: string) => cell.replace(/\s*\[\d+\]/g, "").trim();

/** One registry file as blocks, most specific first. */
function loadRegistry(file: string): SpecialPurposeBlock[] {
  const rows = parseCsv<Record<string, string>>(readFileSync(new URL(`./iana/${file}`, import.meta.url), "utf8"), { columns: true });
  const blocks = rows.flatMap((row) => {
    const [block, reachable] = [row["Address Block"], row["Globally Reachable"]];
    if (block === undefined || reachable === undefined) throw new Error(`${file}: a row without "Address Block" or "Globally Reachable"`);
    const globallyReachable = withoutFootnotes(reachable) === "True";
    return withoutFootnotes(block)
      .split(",")
      .map((cidr) => ({ range: ipaddr.parseCIDR(cidr.trim()), globallyReachable }));
  });
  return blocks.sort((a, b) => b.range[1] - a.range[1]);
}

const SPECIAL_PURPOSE = { ipv4: loadRegistry("ipv4-special-registry.csv"), ipv6: loadRegistry("ipv6-special-registry.csv") };

/** The address Node would connect to for `text`, or undefined. */
function parseLiteral(text: string): Address | undefined {
  const family = isIP(text);
  if (family === 4) return ipaddr.IPv4.parse(text);
  if (family !== 6) return undefined;
  // ipaddr.js reads "::a.b.c.d" (IPv4-compatible) as "::ffff:a.b.c.d" (IPv4-mapped); with the zero
  // group spelled out it reads the address inet_pton does.
  const address = ipaddr.IPv6.parse(text.replace(/^::(?=\d+\.\d+\.\d+\.\d+$)/, "::0:"));
  return address.zoneId ? undefined : address;
}

function isPublic(address: Address): boolean {
  if (address.kind() === "ipv6") {
    const v6 = address as ipaddr.IPv6;
    if (v6.match(IPV4_MAPPED) || v6.match(NAT64_WELL_KNOWN)) return isPublic(ipaddr.fromByteArray(v6.toByteArray().slice(12)));
    if (!v6.match(IPV6_GLOBAL_UNICAST)) return false;
  } else if (IPV4_OUTSIDE_UNICAST.some((range) => address.match(range))) {
    return false;
  }
  const entry = SPECIAL_PURPOSE[address.kind()].find((block) => address.match(block.range));
  return entry?.globallyReachable ?? true;
}

export function isPublicAddress(address: string): boolean {
  const parsed = parseLiteral(address);
  return parsed !== undefined && isPublic(parsed);
}
