import { expect } from "chai";
import { readFileSync } from "node:fs";
import { parse as parseCsv } from "csv-parse/sync";
import ipaddr from "ipaddr.js";
import { checkEgress } from "../../src/adapters/capture/egress-proxy.ts";
import { isPublicAddress } from "../../src/domain/public-address.ts";

/** IANA's registry rows as the repository holds them, read here independently of the module. */
function registry(file: string): { block: string; family: 4 | 6; first: bigint; last: bigint; prefix: number; reachable: string }[] {
  const text = readFileSync(new URL(`../../src/domain/iana/${file}`, import.meta.url), "utf8");
  return parseCsv<Record<string, string>>(text, { columns: true }).flatMap((row) =>
    row["Address Block"]!.replace(/\s*\[\d+\]/g, "")
      .split(",")
      .map((cidr) => {
        const [base, prefix] = ipaddr.parseCIDR(cidr.trim());
        const bits = base.kind() === "ipv4" ? 32 : 128;
        const first = toBigInt(base);
        return {
          block: cidr.trim(),
          family: bits === 32 ? (4 as const) : (6 as const),
          first,
          last: first + (1n << BigInt(bits - prefix)) - 1n,
          prefix,
          reachable: row["Globally Reachable"]!.replace(/\s*\[\d+\]/g, "").trim(),
        };
      }),
  );
}
const toBigInt = (address: ipaddr.IPv4 | ipaddr.IPv6) => address.toByteArray().reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
const within = (value: bigint, first: bigint, prefix: number, bits: number) =>
  value >> BigInt(bits - prefix) === first >> BigInt(bits - prefix);

const v4Rows = registry("ipv4-special-registry.csv");
const v6Rows = registry("ipv6-special-registry.csv");

/** The rule, stated over integers: the expected answer for any address. */
function expectedPublic(family: 4 | 6, value: bigint): boolean {
  if (family === 6) {
    // ::ffff:0:0/96 and 64:ff9b::/96: the IPv4 address carried in the low 32 bits decides.
    if (value >> 32n === 0xffffn || value >> 32n === 0x64ff9b0000000000000000n) return expectedPublic(4, value & 0xffffffffn);
    if (!within(value, 0x2n << 124n, 3, 128)) return false; // outside 2000::/3
  } else if ([0x00n, 0x0an, 0x7fn].includes(value >> 24n) || value >> 29n === 0b111n) {
    return false; // 0/8, 10/8, 127/8, 224.0.0.0/3
  }
  const rows = (family === 4 ? v4Rows : v6Rows).filter((row) => row.first <= value && value <= row.last);
  const mostSpecific = rows.sort((a, b) => b.prefix - a.prefix)[0];
  return mostSpecific ? mostSpecific.reachable === "True" : true;
}

/** Two spellings of the same address: compressed, and every group written out with leading zeros. */
function spellings(family: 4 | 6, value: bigint): string[] {
  if (family === 4) return [[24n, 16n, 8n, 0n].map((shift) => (value >> shift) & 0xffn).join(".")];
  const groups = [...Array(8).keys()].map((i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16).padStart(4, "0"));
  return [ipaddr.IPv6.parse(groups.join(":")).toString(), groups.join(":")];
}

describe("isPublicAddress (the SSRF guard)", () => {
  it("holds IANA's registries whole: 25 rows each, every Globally Reachable value one IANA uses", () => {
    expect(v4Rows.map((r) => r.block)).to.have.length(26); // 25 rows, one naming two blocks
    expect(v6Rows.map((r) => r.block)).to.have.length(25);
    expect(v6Rows.map((r) => r.block)).to.include.members(["3fff::/20", "5f00::/16", "64:ff9b:1::/48", "100:0:0:1::/64"]);
    for (const row of [...v4Rows, ...v6Rows]) expect(["True", "False", "N/A", ""], row.block).to.include(row.reachable);
  });

  it("answers, for the first, a middle and the last address of every registry block, what the rule says", () => {
    for (const row of [...v4Rows, ...v6Rows]) {
      for (const value of [row.first, row.first + (row.last - row.first + 1n) / 2n, row.last]) {
        for (const text of spellings(row.family, value)) {
          expect(isPublicAddress(text), `${text} (in ${row.block})`).to.equal(expectedPublic(row.family, value));
        }
      }
    }
  });

  it("follows the most specific entry: a globally reachable block inside a refused one is public, and back", () => {
    const cases: [string, boolean][] = [
      ["192.0.0.9", true], // Port Control Protocol Anycast, inside 192.0.0.0/24
      ["192.0.0.8", false], // IPv4 dummy address
      ["192.0.0.11", false], // the rest of 192.0.0.0/24
      ["192.31.196.1", true], // AS112-v4
      ["192.88.99.2", false], // 6a44 relay, inside the terminated 192.88.99.0/24
      ["192.88.99.1", false], // terminated: no Globally Reachable at all
      ["2001:4:112::1", true], // AS112-v6, inside 2001::/23
      ["2001:2::1", false], // benchmarking
      ["2001:5::1", false], // the rest of 2001::/23
      ["2001::1", false], // Teredo: N/A
      ["2002:808:808::1", false], // 6to4: N/A
      ["2620:4f:8000::1", true], // AS112 direct delegation
    ];
    for (const [ip, expected] of cases) expect(isPublicAddress(ip), ip).to.equal(expected);
  });

  it("accepts ordinary public unicast addresses", () => {
    for (const ip of ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e"]) {
      expect(isPublicAddress(ip), ip).to.equal(true);
    }
  });

  it("refuses loopback, private, link-local, CGNAT, multicast, reserved and documentation ranges", () => {
    for (const ip of [
      "127.0.0.1",
      "127.255.255.254",
      "0.0.0.0",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "224.0.0.1",
      "239.255.255.250",
      "240.0.0.1",
      "255.255.255.255",
      "192.0.2.1",
      "198.51.100.7",
      "203.0.113.9",
      "198.18.0.1",
      "::1",
      "::",
      "fe80::1",
      "fc00::1",
      "fd12:3456::1",
      "ff02::1",
      "2001:db8::1",
      "fec0::1",
      "100::1",
      "4000::1",
    ]) {
      expect(isPublicAddress(ip), ip).to.equal(false);
    }
  });

  it("refuses every IPv4-embedding form an attacker found, and the documentation and SRv6 blocks", () => {
    for (const ip of [
      "::a00:1",
      "::7f00:1",
      "::a9fe:a9fe",
      "::127.0.0.1",
      "::8.8.8.8", // IPv4-compatible ::/96
      "::ffff:0:a00:1",
      "::ffff:0:7f00:1",
      "::ffff:0:10.0.0.1",
      "::ffff:0:808:808", // SIIT ::ffff:0:0:0/96
      "64:ff9b:1::a00:1",
      "64:ff9b:1::808:808", // local-use NAT64
      "3fff::1",
      "3fff:fff:ffff::1",
      "5f00::1",
    ]) {
      expect(isPublicAddress(ip), ip).to.equal(false);
    }
  });

  it("judges IPv4-mapped and well-known NAT64 addresses by the IPv4 address they carry", () => {
    expect(isPublicAddress("::ffff:127.0.0.1")).to.equal(false);
    expect(isPublicAddress("::ffff:7f00:1")).to.equal(false);
    expect(isPublicAddress("64:ff9b::10.0.0.1")).to.equal(false);
    expect(isPublicAddress("64:ff9b::a9fe:a9fe")).to.equal(false);
    expect(isPublicAddress("::ffff:8.8.8.8")).to.equal(true);
    expect(isPublicAddress("64:ff9b::808:808")).to.equal(true);
  });

  it("reads odd spellings as the address they are, and refuses what is not an address literal", () => {
    expect(isPublicAddress("2606:4700::1111".toUpperCase())).to.equal(true);
    expect(isPublicAddress("::FFFF:7F00:1")).to.equal(false);
    expect(isPublicAddress("::FFFF:8.8.8.8")).to.equal(true);
    expect(isPublicAddress("2606:4700:0000:0000:0000:0000:0000:1111")).to.equal(true);
    expect(isPublicAddress("0000:0000:0000:0000:0000:ffff:7f00:0001")).to.equal(false);
    // The egress proxy strips brackets before asking; with them, or with a zone index, it is no literal.
    for (const text of ["[::1]", "[2606:4700::1111]", "fe80::1%eth0", "2606:4700::1111%1"])
      expect(isPublicAddress(text), text).to.equal(false);
    // Forms the C library would read as IPv4 but Node does not take as a literal.
    for (const text of ["0177.0.0.1", "2130706433", "127.1", "010.0.0.1", "0x7f.0.0.1", "::ffff:0177.0.0.1"])
      expect(isPublicAddress(text), text).to.equal(false);
    for (const text of ["localhost", "", " 8.8.8.8", "8.8.8.8.", "1::2::3"])
      expect(isPublicAddress(text), JSON.stringify(text)).to.equal(false);
  });
});

describe("checkEgress (the capture proxy's decision)", () => {
  const lookup = (table: Record<string, string[]>) => async (host: string) => {
    if (!(host in table)) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
    return table[host]!;
  };
  const dns = lookup({
    "shop.example": ["93.184.215.14"],
    "internal.example": ["10.0.0.5"],
    "rebind.example": ["93.184.215.14", "127.0.0.1"],
  });

  it("connects to the address it checked", async () => {
    expect(await checkEgress("shop.example", 443, { allowPrivate: false }, dns)).to.deep.equal({
      address: "93.184.215.14",
      addresses: ["93.184.215.14"],
    });
  });

  it("refuses a host when any of its addresses is not public", async () => {
    const internal = await checkEgress("internal.example", 80, { allowPrivate: false }, dns);
    expect(internal).to.deep.include({ refused: "internal.example resolves to 10.0.0.5, which is not a public address" });
    const mixed = await checkEgress("rebind.example", 80, { allowPrivate: false }, dns);
    expect(mixed)
      .to.have.property("refused")
      .that.matches(/127\.0\.0\.1/);
  });

  it("checks literal addresses without DNS, IPv6 in brackets too", async () => {
    expect(await checkEgress("[::1]", 80, { allowPrivate: false }, dns)).to.have.property("refused");
    expect(await checkEgress("[::7f00:1]", 80, { allowPrivate: false }, dns)).to.deep.equal({
      refused: "::7f00:1 resolves to ::7f00:1, which is not a public address",
      addresses: ["::7f00:1"],
    });
    expect(await checkEgress("[2606:4700::1111]", 443, { allowPrivate: false }, dns)).to.deep.equal({
      address: "2606:4700::1111",
      addresses: ["2606:4700::1111"],
    });
    expect(await checkEgress("8.8.8.8", 53, { allowPrivate: false }, dns)).to.deep.include({ address: "8.8.8.8" });
  });

  it("opens exactly the allowed host:port, or everything private when told", async () => {
    expect(await checkEgress("internal.example", 80, { allowPrivate: false, allowHosts: ["internal.example:80"] }, dns)).to.deep.include({
      address: "10.0.0.5",
    });
    expect(await checkEgress("internal.example", 81, { allowPrivate: false, allowHosts: ["internal.example:80"] }, dns)).to.have.property(
      "refused",
    );
    expect(await checkEgress("internal.example", 81, { allowPrivate: true }, dns)).to.deep.include({ address: "10.0.0.5" });
  });

  it("says when a name does not resolve", async () => {
    expect(await checkEgress("nowhere.example", 80, { allowPrivate: false }, dns)).to.deep.equal({
      refused: "DNS lookup of nowhere.example failed (ENOTFOUND)",
      addresses: [],
    });
  });
});
