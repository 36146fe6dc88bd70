import { expect } from "chai";
import { checkEgress } from "../../src/adapters/capture/egress-proxy.ts";
import { isPublicAddress } from "../../src/domain/public-address.ts";

describe("isPublicAddress (the SSRF guard)", () => {
  it("accepts public unicast addresses", () => {
    for (const ip of ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]) {
      expect(isPublicAddress(ip), ip).to.equal(true);
    }
  });

  it("refuses loopback, private, link-local, CGNAT, multicast, reserved and documentation ranges", () => {
    for (const ip of [
      "127.0.0.1", "127.255.255.254", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
      "169.254.169.254", "100.64.0.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
      "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1",
      "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "2001:db8::1",
    ]) {
      expect(isPublicAddress(ip), ip).to.equal(false);
    }
  });

  it("looks inside IPv6 wrappers of IPv4 addresses", () => {
    expect(isPublicAddress("::ffff:127.0.0.1")).to.equal(false);
    expect(isPublicAddress("::ffff:7f00:1")).to.equal(false);
    expect(isPublicAddress("64:ff9b::10.0.0.1")).to.equal(false);
    expect(isPublicAddress("::ffff:8.8.8.8")).to.equal(true);
  });

  it("refuses what is not an IP address at all", () => {
    expect(isPublicAddress("localhost")).to.equal(false);
    expect(isPublicAddress("")).to.equal(false);
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
    expect(await checkEgress("shop.example", 443, { allowPrivate: false }, dns)).to.deep.equal({ address: "93.184.215.14", addresses: ["93.184.215.14"] });
  });

  it("refuses a host when any of its addresses is not public", async () => {
    const internal = await checkEgress("internal.example", 80, { allowPrivate: false }, dns);
    expect(internal).to.deep.include({ refused: "internal.example resolves to 10.0.0.5, which is not a public address" });
    const mixed = await checkEgress("rebind.example", 80, { allowPrivate: false }, dns);
    expect(mixed).to.have.property("refused").that.matches(/127\.0\.0\.1/);
  });

  it("checks literal addresses without DNS, IPv6 in brackets too", async () => {
    expect(await checkEgress("[::1]", 80, { allowPrivate: false }, dns)).to.have.property("refused");
    expect(await checkEgress("8.8.8.8", 53, { allowPrivate: false }, dns)).to.deep.include({ address: "8.8.8.8" });
  });

  it("opens exactly the allowed host:port, or everything private when told", async () => {
    expect(await checkEgress("internal.example", 80, { allowPrivate: false, allowHosts: ["internal.example:80"] }, dns)).to.deep.include({ address: "10.0.0.5" });
    expect(await checkEgress("internal.example", 81, { allowPrivate: false, allowHosts: ["internal.example:80"] }, dns)).to.have.property("refused");
    expect(await checkEgress("internal.example", 81, { allowPrivate: true }, dns)).to.deep.include({ address: "10.0.0.5" });
  });

  it("says when a name does not resolve", async () => {
    expect(await checkEgress("nowhere.example", 80, { allowPrivate: false }, dns)).to.deep.equal({
      refused: "DNS lookup of nowhere.example failed (ENOTFOUND)",
      addresses: [],
    });
  });
});
