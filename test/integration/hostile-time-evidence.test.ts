/**
 * The time evidence of issue 10 as an attacker and an opposing expert would probe it: time-stamp tokens
 * made to exhaust the public POST /v1/verify, TSA certificates and token fields that OpenSSL judges
 * otherwise than this verifier, documents that state more than the chain proves, an RPC endpoint that
 * lies only about block 0, and a TSA whose answer the time-stamp worker cannot read.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { timestampResponseFromToken } from "../../src/domain/timestamp-token.ts";
import { PNG } from "../fixtures/listing-snapshot.ts";
import { forgeReceipt } from "../helpers/forge-receipt.ts";
import { cyclicIssuersToken, ladderOfIssuersToken, manyHeavyIssuersToken } from "../helpers/hostile-tokens.ts";
import { memoryTsa } from "../helpers/memory-tsa.ts";
import { runOpenssl, startOpensslTsa, type OpensslTsa } from "../helpers/openssl-tsa.ts";
import { client, fileForm, startTestService, waitForAnchored, waitForTimestamps } from "../helpers/service.ts";
import { spawnService, type ServiceProcess } from "../helpers/service-process.ts";
import { freePort } from "../helpers/ports.ts";
import { receiptWithToken } from "../helpers/stamped-receipt.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const BIN = fileURLToPath(new URL("../../bin/evidence-anchor.js", import.meta.url));

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (error, out, err) => resolve({ code: error ? Number(error.code) : 0, out, err }));
  });
}

/** CPU time (user + system) a process has used, in milliseconds, as the kernel counts it. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in ticks of 1/100 s
}

/** POST /v1/verify, as the verification page sends it; the status, or that none came within `ms`. */
async function verifyWithin(url: string, receipt: Json, ms: number): Promise<{ status: number | string; body?: Json }> {
  try {
    const response = await fetch(`${url}/v1/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ receipt }),
      signal: AbortSignal.timeout(ms),
    });
    return { status: response.status, body: (await response.json()) as Json };
  } catch (error) {
    if ((error as Error).name === "TimeoutError") return { status: `no answer within ${ms} ms` };
    throw error;
  }
}

/**
 * A JSON-RPC endpoint that forwards every call to `upstream` and lies in one answer only: block 0's hash.
 * Nothing else a verifier reads is changed.
 */
async function lyingAboutBlockZero(upstream: string, genesisHash: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", async () => {
      const call = JSON.parse(body) as Json;
      const answer = (await (
        await fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body })
      ).json()) as Json;
      if (call.method === "eth_getBlockByNumber" && call.params?.[0] === "0x0" && answer.result) answer.result.hash = genesisHash;
      res.setHeader("content-type", "application/json").end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("hostile time evidence", function () {
  this.timeout(120_000);
  const dir = tempDir("hostile-time-");
  after(() => dir.remove());

  describe("POST /v1/verify with tokens made to exhaust it (a service that trusts a TSA's CA)", () => {
    let tsa: OpensslTsa;
    let service: ServiceProcess | undefined;
    before(async () => {
      tsa = await startOpensslTsa();
    });
    afterEach(() => service?.kill9());
    after(() => tsa?.stop());

    /**
     * A service of its own for each test (a request that never ends must neither burn this test's CPU
     * nor the next test's), its receipt, and that receipt with `token` as its time-stamp.
     */
    async function serviceReceiptWithToken(name: string, makeToken: (root: Uint8Array) => Promise<Uint8Array>) {
      service = await spawnService(join(dir.path, name), { TSA_URLS: tsa.url, TSA_CA_FILES: tsa.caFile, VERIFY_RATE_LIMIT: "1000" });
      const api = client(service.url);
      const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: PNG, name: "s.png" } }))).json()) as Json;
      await waitForAnchored(api, up.id);
      const receipt = (await (await api.get(`/v1/evidence/${up.id}/receipt`)).json()) as Json;
      const token = await makeToken(Buffer.from(receipt.merkle.root.slice(2), "hex"));
      const stamp = { type: "rfc3161", tsa: "https://tsa.attacker.example/", genTime: new Date().toISOString(), serialNumber: "63" };
      return { token, receipt: { ...receipt, timestamps: [{ ...stamp, token: Buffer.from(token).toString("base64") }] } };
    }

    it("answers a 1.3 KB token whose two CA certificates issued each other (it never answers, one CPU core busy)", async () => {
      const { token, receipt } = await serviceReceiptWithToken("cycle", cyclicIssuersToken);
      expect(token.length).to.be.below(1500);
      const before = cpuMs(service!.child.pid!);
      const result = await verifyWithin(service!.url, receipt, 10_000);
      const used = cpuMs(service!.child.pid!) - before;
      expect(result.status, `the service used ${used} ms of CPU on this one request`).to.equal(200);
      expect(result.body!.checks.find((c: Json) => c.id === "timestamp.1").status).to.equal("fail");
    });

    it("answers a 21 KB token whose CA certificates form 16.7 million paths to the attacker's root (it never answers)", async () => {
      const { token, receipt } = await serviceReceiptWithToken("ladder", (root) => ladderOfIssuersToken(root, 8, 8));
      expect(token.length).to.be.below(22_000);
      const before = cpuMs(service!.child.pid!);
      const result = await verifyWithin(service!.url, receipt, 10_000);
      const used = cpuMs(service!.child.pid!) - before;
      expect(result.status, `the service used ${used} ms of CPU on this one request`).to.equal(200);
      expect(result.body!.checks.find((c: Json) => c.id === "timestamp.1").status).to.equal("fail");
    });

    it("spends under 1 s of CPU on the heaviest receipt it reads: 8 tokens stuffed with certificates of heavy RSA keys", async () => {
      // Found before: 16 tokens of 48 KB, each naming 36 heavy issuers: about 3 s of CPU (30 a minute allowed).
      const { token, receipt } = await serviceReceiptWithToken("heavy-12", (root) => manyHeavyIssuersToken(root, 12));
      expect(Buffer.from(token).toString("base64").length).to.be.at.most(24 * 1024);
      const sixteen = { ...receipt, timestamps: Array.from({ length: 16 }, () => receipt.timestamps[0]) };
      expect((await verifyWithin(service!.url, sixteen, 30_000)).status).to.equal(400); // at most 8 time-stamps
      const many = { ...receipt, timestamps: Array.from({ length: 8 }, () => receipt.timestamps[0]) };
      const before = cpuMs(service!.child.pid!);
      const result = await verifyWithin(service!.url, many, 30_000);
      const used = cpuMs(service!.child.pid!) - before;
      expect(result.status).to.equal(200);
      expect(used, "CPU ms").to.be.below(1000);
    });
  });

  describe("the evidence CLI, and OpenSSL, on the same token", () => {
    const write = (name: string, value: string | Uint8Array) => {
      const path = join(dir.path, name);
      writeFileSync(path, value);
      return path;
    };

    it("fails a token whose TSA certificate is also a CA (keyCertSign), as openssl ts -verify does (it says VERIFIED)", async () => {
      const tsa = await memoryTsa({ tsaIsCa: true });
      const receipt = await receiptWithToken(tsa, new Date(Date.now() - 5000), {});
      const ca = write("ca-tsa-is-ca.pem", tsa.caPem);
      const token = Buffer.from(receipt.timestamps![0]!.token, "base64");
      const tsr = write("tsa-is-ca.tsr", timestampResponseFromToken(token));
      const root = write("tsa-is-ca-root.bin", Buffer.from(receipt.merkle.root.slice(2), "hex"));
      // What the bundle's README and the certificate tell the court's expert to run:
      const openssl = await runOpenssl(["ts", "-verify", "-data", root, "-in", tsr, "-CAfile", ca]).then(
        (r) => r.stdout.trim(),
        (e) => `${e.stdout.trim()} (${/ts_verify_cert:([^\n]*)/.exec(e.stderr)?.[0] ?? "refused"})`,
      );
      expect(openssl).to.match(/^Verification: FAILED/);
      const result = await cli(["verify", write("tsa-is-ca.json", JSON.stringify(receipt)), "--offline", "--tsa-ca", ca]);
      // Found: exit 0, "✓ time-stamp 1 … chained to a trusted CA", "VERIFIED: … existed no later than …".
      expect(result.code, `${result.out}\nopenssl: ${openssl}`).to.equal(1);
      expect(result.out).to.include("NOT VERIFIED: time-stamp 1 failed.");
    });

    it("fails a token whose TSA certificate may only agree keys (keyUsage keyAgreement), as openssl ts -verify does", async () => {
      const tsa = await memoryTsa({ tsaKeyUsage: [4] });
      const receipt = await receiptWithToken(tsa, new Date(Date.now() - 5000), {});
      const ca = write("ca-key-agreement.pem", tsa.caPem);
      const result = await cli(["verify", write("key-agreement.json", JSON.stringify(receipt)), "--offline", "--tsa-ca", ca]);
      expect(result.code, result.out).to.equal(1);
      expect(result.out).to.include("NOT VERIFIED: time-stamp 1 failed.");
    });

    it("does not answer verified: false under a summary that reads VERIFIED (a trusted token, the chain unreachable)", async () => {
      const tsa = await memoryTsa();
      const receipt = await receiptWithToken(tsa, new Date(Date.now() - 5000), {});
      const ca = write("ca-unreachable.pem", tsa.caPem);
      const path = write("unreachable.json", JSON.stringify(receipt));
      const rpc = `http://127.0.0.1:${await freePort()}`; // nothing listens there
      const result = await cli(["verify", path, "--rpc", rpc, "--tsa-ca", ca, "--json"]);
      expect(result.code, result.out).to.equal(4);
      const json = JSON.parse(result.out) as Json;
      // Found: verified false, summary "VERIFIED: A file with SHA-256 … existed no later than … The chain could
      // not be read, so the anchor is not proven; …". (With --offline the same receipt is verified: true.)
      expect([json.verified, json.summary.slice(0, 9)]).to.be.deep.oneOf([
        [true, "VERIFIED:"],
        [false, "NOT VERIF"],
      ]);
    });

    it("prints a receipt's tsa URL without the terminal control characters and line breaks it holds (they forge a VERIFIED)", async () => {
      // A receipt that fails (its token is not over its root), whose tsa field draws a verdict and hides the rest.
      const fake = "VERIFIED: This file existed no later than 2019-03-01T10:00:00.999Z (block 7301442 of Ethereum Mainnet).";
      const tsa = await memoryTsa();
      const receipt = await receiptWithToken(tsa, new Date(Date.now() - 5000), {}, { tsa: `https://tsa.example/\n\n${fake}\u001b[8m` });
      receipt.timestamps![0]!.token = (await receiptWithToken(tsa, new Date(), {})).timestamps![0]!.token; // another root's
      // The receipt is refused as unreadable: a TSA's URL holds no control characters.
      const result = await cli(["verify", write("control-characters.json", JSON.stringify(receipt)), "--offline"]);
      expect(result.code).to.equal(2);
      expect(result.err).to.include("is not an evidence receipt: timestamps.0.tsa: must be the TSA's http(s) URL");
      expect(result.out + result.err).not.to.include("\u001b");
      // Text the schema lets through (an evidence id) is printed with its control characters as codes.
      const named = { ...receipt, timestamps: [], evidence: { ...receipt.evidence, id: `ev_1\n\n${fake}\u001b[8m` } };
      const printed = await cli(["verify", write("control-id.json", JSON.stringify(named)), "--offline"]);
      expect(printed.code).to.equal(1); // the metadata no longer matches the evidence section
      expect(printed.out, printed.out).not.to.match(/^VERIFIED:/m);
      expect(printed.out).not.to.include("\u001b");
      expect(printed.out).to.include("Evidence ev_1\\u{a}\\u{a}VERIFIED: This file");
    });
  });

  describe("an RPC endpoint that lies about block 0 only", () => {
    const SEPOLIA_GENESIS = "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9";
    // Sepolia's block 0 is of 2021-10-03T13:24:41Z (timestamp 1633267481): it has no block of 2020.
    const JAN_1_2020 = 1_577_836_800;
    let chain: AnvilChain;
    let proxy: { url: string; server: Server };
    before(async () => {
      chain = await startAnvil({
        stateDir: join(dir.path, "fake-sepolia-2020"),
        port: 0,
        chainId: 11_155_111,
        genesisTimestamp: JAN_1_2020,
      });
      proxy = await lyingAboutBlockZero(chain.rpcUrl, SEPOLIA_GENESIS);
    });
    after(async () => {
      proxy?.server.close();
      await chain?.stop();
    });

    it("does not say VERIFIED on Sepolia for an anchor dated 2020, before Sepolia's block 0, from a chain anyone can run", async () => {
      const receipt = await forgeReceipt(proxy.url, PNG, "2020-01-01T00:00:00.250Z");
      const path = join(dir.path, "fake-sepolia-2020.json");
      writeFileSync(path, JSON.stringify(receipt));
      writeFileSync(join(dir.path, "listing.png"), PNG);
      const result = await cli(["verify", path, join(dir.path, "listing.png"), "--rpc", proxy.url]);
      // Found: exit 0, "✓ chain identity  Sepolia (Ethereum test network): block 0 is 0x25a5…", finality only a
      // warning, and "VERIFIED: This file existed no later than 2020-01-01T00:00:1x.999Z (block 2 of Sepolia …)".
      expect(result.out, result.out).not.to.match(/^VERIFIED:/m);
      expect(result.code, result.out).to.equal(1);
    });
  });

  describe("the certificate of an item anchored on the embedded development chain, with no TSA", () => {
    it("states no 'Proves existence no later than' in the same document that says it proves no time", async () => {
      const service = await startTestService(join(dir.path, "development"));
      try {
        const api = client(service.url);
        const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: PNG, name: "s.png" } }))).json()) as Json;
        await waitForAnchored(api, up.id);
        const response = await api.get(`/v1/evidence/${up.id}/certificate.pdf`);
        expect(response.status).to.equal(200);
        const path = join(dir.path, "development-certificate.pdf");
        writeFileSync(path, Buffer.from(await response.arrayBuffer()));
        const text = (await promisify(execFile)("pdftotext", ["-raw", path, "-"])).stdout.replace(/\s+/g, " ");
        expect(text).to.include("This certificate proves no time.");
        // Found, in section 4.1: "Proves existence no later than: 2026-… UTC (block times are whole seconds)".
        expect(text).not.to.include("Proves existence no later than");
      } finally {
        await service.stop();
      }
    });
  });

  describe("the time-stamp worker and TSAs that misbehave", () => {
    let good: OpensslTsa;
    let server: Server;
    let base: string;
    const asked: Record<string, number[]> = { "malformed-time": [], silent: [] };
    const open = new Set<import("node:net").Socket>();
    before(async () => {
      good = await startOpensslTsa();
      server = createServer((req, res) => {
        const kind = req.url!.slice(1);
        asked[kind]?.push(Date.now());
        req.resume();
        // A DER GeneralizedTime whose text is no time: a proxy's or a broken TSA's answer.
        if (kind === "malformed-time") {
          res.setHeader("content-type", "application/timestamp-reply").end(Buffer.from([0x18, 0x0f, ...Buffer.from("abcdefghijklmnZ")]));
        }
        // "silent": reads the request, never answers.
      });
      server.on("connection", (socket) => open.add(socket.on("close", () => open.delete(socket))));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      for (const socket of open) socket.destroy();
      server?.close();
      await good?.stop();
    });

    it("asks a TSA whose answer holds a malformed time again after TSA_RETRY_MS (it keeps the stamp claimed for 25 × TSA_TIMEOUT_MS)", async () => {
      const url = `${base}/malformed-time`;
      const service = await startTestService(join(dir.path, "malformed-time"), {
        TSA_URLS: url,
        TSA_CA_FILES: good.caFile,
        TSA_TIMEOUT_MS: "1000", // a claim lasts 25 s
        TSA_RETRY_MS: "200",
      });
      try {
        const api = client(service.url);
        const up = (await (await api.postForm("/v1/evidence", fileForm({}, { file: { bytes: PNG, name: "s.png" } }))).json()) as Json;
        await waitForAnchored(api, up.id);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        const warned = service.logLines().filter((l) => l.msg === "time-stamp not obtained; will retry" && l.tsa === url);
        // Found: asked once; the log says only "time-stamping failed; will retry" (Wrong input string for
        // conversion), with no TSA, no root and no attempt counted, and the stamp stays claimed for 25 s.
        expect(warned.map((l) => l.attempts).slice(0, 2)).to.deep.equal([1, 2]);
        expect(asked["malformed-time"]!.length).to.be.at.least(3);
      } finally {
        await service.stop();
      }
    });

    it("obtains one TSA's stamp while another never answers (it waits out the silent one's deadlines, one by one)", async () => {
      const service = await startTestService(join(dir.path, "silent-beside-good"), {
        TSA_URLS: `${base}/silent,${good.url}`,
        TSA_CA_FILES: `${good.caFile},${good.caFile}`,
        TSA_TIMEOUT_MS: "5000",
        TSA_RETRY_MS: "600000",
      });
      try {
        const api = client(service.url);
        const upload = async (i: number) => {
          const form = fileForm({}, { file: { bytes: Buffer.from(`item ${i} ${Math.random()}`), name: `${i}.txt` } });
          return ((await (await api.postForm("/v1/evidence", form)).json()) as Json).id as string;
        };
        const silentAsked = async (count: number) => {
          while (asked.silent!.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
        };
        // The first root: the silent TSA holds the worker's first round for its 5 s deadline. Meanwhile
        // more batches form, and the second round asks the silent TSA for each of them, one by one.
        await upload(0);
        await silentAsked(1);
        for (let i = 1; i <= 4; i++) await waitForAnchored(api, await upload(i));
        await silentAsked(2);
        const uploaded = Date.now();
        const id = await upload(5);
        await waitForTimestamps(api, id, 1, 60_000);
        const waited = Date.now() - uploaded;
        // Found: 15 to 20 s, a 5 s deadline for each of the silent TSA's stamps claimed before this one's
        // batch formed; with the default TSA_TIMEOUT_MS (10 s) and 20 stamps a round, up to 200 s.
        expect(waited, `the good TSA's stamp came ${waited} ms after the upload`).to.be.below(5000);
      } finally {
        await service.stop();
      }
    });
  });
});
