/**
 * The environment record's parts that read the system, with its answers given: the clock as timedatectl
 * reports it (or cannot), the proxy's answers per host, and the refusal rule for each policy.
 */
import { expect } from "chai";
import { describeEgressRule, type EgressRecord } from "../../src/adapters/capture/egress-proxy.ts";
import { dnsAnswers, parseClockState } from "../../src/adapters/capture/host-environment.ts";

const SOURCE = "timedatectl show -p NTPSynchronized -p NTP";

describe("the capture's environment record", () => {
  it("reads the clock's synchronisation as timedatectl reports it", () => {
    expect(parseClockState("NTP=yes\nNTPSynchronized=yes\n", undefined, SOURCE)).to.deep.equal({
      synchronized: true,
      ntp: true,
      source: SOURCE,
    });
    expect(parseClockState("NTP=no\nNTPSynchronized=no\n", undefined, SOURCE)).to.deep.equal({
      synchronized: false,
      ntp: false,
      source: SOURCE,
    });
    // NTP is reported only where systemd-timesyncd or another NTP unit exists.
    expect(parseClockState("NTPSynchronized=yes\n", undefined, SOURCE)).to.deep.equal({ synchronized: true, ntp: null, source: SOURCE });
  });

  it("records no clock state, with the reason, where the system reports none", () => {
    const noSystemd = "timedatectl failed: System has not been booted with systemd as init system (PID 1). Can't operate.";
    expect(parseClockState("", noSystemd, SOURCE)).to.deep.equal({ synchronized: null, ntp: null, source: SOURCE, reason: noSystemd });
    expect(parseClockState("NTP=yes\n", undefined, SOURCE)).to.deep.equal({
      synchronized: null,
      ntp: null,
      source: SOURCE,
      reason: "timedatectl did not report NTPSynchronized",
    });
  });

  it("lists each distinct answer the proxy used once, in the order first used, refusals included", () => {
    const records: EgressRecord[] = [
      {
        kind: "connect",
        target: "shop.example:443",
        host: "shop.example",
        port: 443,
        addresses: ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        address: "93.184.215.14",
      },
      {
        kind: "connect",
        target: "shop.example:443",
        host: "shop.example",
        port: 443,
        addresses: ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        address: "93.184.215.14",
      },
      {
        kind: "http",
        target: "http://[::1]:8080/x",
        host: "[::1]",
        port: 8080,
        addresses: ["::1"],
        refused: "::1 resolves to ::1, which is not a public address",
      },
      {
        kind: "connect",
        target: "gone.example:443",
        host: "gone.example",
        port: 443,
        addresses: [],
        refused: "DNS lookup of gone.example failed (ENOTFOUND)",
      },
      // The same host answered differently later (a rebinding attempt): a second entry.
      {
        kind: "connect",
        target: "shop.example:443",
        host: "shop.example",
        port: 443,
        addresses: ["10.0.0.5"],
        refused: "shop.example resolves to 10.0.0.5, which is not a public address",
      },
    ];
    expect(dnsAnswers(records, "the resolver")).to.deep.equal([
      {
        host: "shop.example",
        port: 443,
        resolvedBy: "the resolver",
        addresses: ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        connectedTo: "93.184.215.14",
      },
      {
        host: "::1",
        port: 8080,
        resolvedBy: "address literal",
        addresses: ["::1"],
        connectedTo: null,
        refused: "::1 resolves to ::1, which is not a public address",
      },
      {
        host: "gone.example",
        port: 443,
        resolvedBy: "the resolver",
        addresses: [],
        connectedTo: null,
        refused: "DNS lookup of gone.example failed (ENOTFOUND)",
      },
      {
        host: "shop.example",
        port: 443,
        resolvedBy: "the resolver",
        addresses: ["10.0.0.5"],
        connectedTo: null,
        refused: "shop.example resolves to 10.0.0.5, which is not a public address",
      },
    ]);
  });

  it("states the proxy's refusal rule with the exceptions the service is configured with", () => {
    const rule =
      "The egress proxy resolves each host itself and refuses it when any address it resolves to is not public; otherwise it connects to the first address answered. An address is public only when it lies in IANA's unicast space (IPv4 outside 0/8, 10/8, 127/8 and 224.0.0.0/3; IPv6 inside 2000::/3) and the most specific block of IANA's IPv4 or IPv6 Special-Purpose Address Registry containing it, if any, is Globally Reachable (IPv4-mapped and NAT64 64:ff9b::/96 addresses are judged by the IPv4 address they carry). A lookup that fails, answers nothing or takes longer than 10000 ms is refused.";
    expect(describeEgressRule({ allowPrivate: false })).to.equal(`${rule} No exceptions.`);
    expect(describeEgressRule({ allowPrivate: false, allowHosts: ["127.0.0.1:8080", "intranet:443"] })).to.equal(
      `${rule} Exceptions: these host:port pairs are reached whatever their address (CAPTURE_ALLOW_HOSTS): 127.0.0.1:8080, intranet:443.`,
    );
    expect(describeEgressRule({ allowPrivate: true })).to.equal(
      `${rule} Exceptions: this service lets captures reach private and loopback addresses too (CAPTURE_ALLOW_PRIVATE).`,
    );
  });
});
