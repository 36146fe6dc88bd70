/**
 * Time evidence as opposing counsel would test it: receipts forged on chains anyone can run (a
 * development chain with a back-dated clock, a chain that calls itself Sepolia, an unknown chain,
 * endpoints that disagree), and RFC 3161 time-stamps from a real TSA (OpenSSL's) that is down, then
 * back, that answers wrongly, and tokens changed or misplaced after the fact. The verifier is the CLI,
 * run as a user runs it; the service is the real one on its embedded defaults.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startAnvil, type AnvilChain } from "../../src/adapters/chain/anvil.ts";
import { tsaClient } from "../../src/adapters/tsa/tsa-client.ts";
import type { TimestampProof } from "../../src/domain/receipt.ts";
import {
  buildTimestampRequest,
  readTimestampReply,
  timestampResponseFromToken,
  verifyTimestampToken,
} from "../../src/domain/timestamp-token.ts";
import { PNG } from "../fixtures/listing-snapshot.ts";
import { forgeReceipt } from "../helpers/forge-receipt.ts";
import { startOpensslTsa, type OpensslTsa } from "../helpers/openssl-tsa.ts";
import { client, fileForm, startTestService, waitForAnchored, waitForTimestamps, type TestService } from "../helpers/service.ts";
import { tempDir } from "../helpers/temp.ts";

type Json = Record<string, any>;
const BIN = fileURLToPath(new URL("../../bin/evidence-anchor.js", import.meta.url));
const run = promisify(execFile);
const SEPOLIA_GENESIS = "0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9";
const JAN_1_2020 = 1_577_836_800;

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (error, out, err) => resolve({ code: error ? Number(error.code) : 0, out, err }));
  });
}

/** A token from the TSA for `data`, as any client of it could get one: the TSA stamps what it is sent. */
async function tokenFor(tsa: OpensslTsa, data: Uint8Array): Promise<{ token: Uint8Array; proof: Omit<TimestampProof, "tsa"> }> {
  const request = buildTimestampRequest(data);
  const reply = await readTimestampReply(await tsaClient(tsa.url).request(request.der), request);
  if (!("token" in reply)) throw new Error(reply.failure);
  const v = await verifyTimestampToken(reply.token, { data });
  return {
    token: reply.token,
    proof: {
      type: "rfc3161",
      genTime: v.genTime!.toISOString(),
      serialNumber: v.serialNumber!,
      token: Buffer.from(reply.token).toString("base64"),
    },
  };
}

describe("time evidence a court can trust", function () {
  this.timeout(120_000);
  const dir = tempDir("time-evidence-");
  const write = (name: string, value: unknown) => {
    const path = join(dir.path, name);
    writeFileSync(path, typeof value === "string" || Buffer.isBuffer(value) ? value : JSON.stringify(value, null, 2));
    return path;
  };
  const file = () => write("listing.png", PNG);
  after(() => dir.remove());

  describe("chains anyone can run", () => {
    const chains: AnvilChain[] = [];
    const anvil = async (name: string, options: { chainId?: number; genesisTimestamp?: number } = {}) => {
      const chain = await startAnvil({ stateDir: join(dir.path, name), port: 0, ...options });
      chains.push(chain);
      return chain;
    };
    after(() => Promise.all(chains.map((c) => c.stop())));

    it("a back-dated development chain: never plain VERIFIED; exit 3, or 1 when the anchor precedes the reception", async () => {
      const chain = await anvil("dev-2020", { chainId: 31337, genesisTimestamp: JAN_1_2020 });
      // The issue's forgery: a file received today, anchored "in 2020".
      const today = await forgeReceipt(chain.rpcUrl, PNG, new Date().toISOString());
      const r1 = await cli(["verify", write("forged-today.json", today), file(), "--rpc", chain.rpcUrl]);
      expect(r1.code, r1.out).to.equal(1);
      expect(r1.out).to.match(
        /✗ anchor after reception\s+the anchor precedes the service's reception of the file: block time 2020-01-01T00:00:0\dZ/,
      );
      expect(r1.out).to.include("NOT VERIFIED: anchor after reception failed.");

      // A careful forger makes the reception time consistent: the chain still proves nothing.
      const consistent = await forgeReceipt(chain.rpcUrl, PNG, "2020-01-01T00:00:00.250Z");
      const path = write("forged-2020.json", consistent);
      const r2 = await cli(["verify", path, file(), "--rpc", chain.rpcUrl]);
      expect(r2.code, r2.out).to.equal(3);
      expect(r2.out).not.to.match(/^VERIFIED:/m);
      expect(r2.out).to.match(
        /! chain identity\s+local development chain \(anvil\): development chain — proves nothing to a third party\n/,
      );
      expect(r2.out).to.include(
        "VERIFIED ON A DEVELOPMENT CHAIN ONLY — development chain — proves nothing to a third party: anyone can run chain 31337 with any history and any clock.",
      );
      const json = JSON.parse((await cli(["verify", path, file(), "--rpc", chain.rpcUrl, "--json"])).out);
      expect([json.verified, json.trust]).to.deep.equal([true, "development"]);
      expect(json.times.map((t: Json) => t.trusted)).to.deep.equal([false]);
      const allowed = await cli(["verify", path, file(), "--rpc", chain.rpcUrl, "--allow-development-chain"]);
      expect(allowed.code, allowed.out).to.equal(0);
      expect(allowed.out).to.include("development chain — proves nothing to a third party");
    });

    it("a receipt claiming Sepolia, checked against an endpoint with another block 0: this endpoint is not Sepolia", async () => {
      const chain = await anvil("fake-sepolia", { chainId: 11_155_111 });
      const receipt = await forgeReceipt(chain.rpcUrl, PNG, new Date(Date.now() - 1000).toISOString());
      const genesis = (
        (await await fetch(chain.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBlockByNumber", params: ["0x0", false] }),
        }).then((r) => r.json())) as Json
      ).result.hash;
      const result = await cli(["verify", write("sepolia.json", receipt), file(), "--rpc", chain.rpcUrl]);
      expect(result.code, result.out).to.equal(1);
      expect(result.out, result.out).to.include(
        `✗ chain identity            this endpoint is not Sepolia (Ethereum test network): its block 0 is ${genesis}; Sepolia (Ethereum test network)'s is ${SEPOLIA_GENESIS}\n`,
      );
      expect(result.out).to.include("NOT VERIFIED: chain identity failed.");
    });

    it("a chain the verifier does not know: its identity is not checked, and it says so (exit 3)", async () => {
      const chain = await anvil("unknown", { chainId: 4242 });
      const path = write("unknown.json", await forgeReceipt(chain.rpcUrl, PNG, new Date(Date.now() - 1000).toISOString()));
      const result = await cli(["verify", path, file(), "--rpc", chain.rpcUrl]);
      expect(result.code, result.out).to.equal(3);
      expect(result.out).to.match(/! chain identity\s+chain 4242 is not a public chain this verifier knows/);
      expect(result.out).to.include("VERIFIED ON AN UNKNOWN CHAIN ONLY");
      expect((await cli(["verify", path, file(), "--rpc", chain.rpcUrl, "--allow-unknown-chain"])).code).to.equal(0);
    });

    it("several endpoints must agree on the anchoring block", async () => {
      const a = await anvil("agree-a", { chainId: 31337, genesisTimestamp: JAN_1_2020 });
      const b = await anvil("agree-b", { chainId: 31337 }); // the same chain id, another history
      const path = write("agree.json", await forgeReceipt(a.rpcUrl, PNG, "2020-01-01T00:00:00.250Z"));
      const same = await cli(["verify", path, file(), "--rpc", a.rpcUrl, "--rpc", a.rpcUrl, "--allow-development-chain"]);
      expect(same.code, same.out).to.equal(0);
      expect(same.out).to.match(/✓ endpoints agree\s+2 endpoints agree on block \d+ \(0x[0-9a-f]{64}\) and on the anchor\n/);
      const split = await cli(["verify", path, file(), "--rpc", a.rpcUrl, "--rpc", b.rpcUrl]);
      expect(split.code, split.out).to.equal(1);
      expect(split.out).to.match(
        new RegExp(`✗ endpoints agree\\s+${b.rpcUrl} has block 0 0x[0-9a-f]{64}, not 0x[0-9a-f]{64}; ${a.rpcUrl} disagrees\\n`),
      );
    });
  });

  describe("RFC 3161 time-stamps from a real TSA", () => {
    let tsa: OpensslTsa;
    let otherTsa: OpensslTsa; // another PKI: its CA trusts none of the first TSA's tokens
    let service: TestService;
    let api: ReturnType<typeof client>;
    let receipt: Json;

    const upload = async (bytes: Uint8Array) => {
      const up = (await (
        await api.postForm("/v1/evidence", fileForm({ kind: "screenshot" }, { file: { bytes, name: "s.png" } }))
      ).json()) as Json;
      await waitForAnchored(api, up.id);
      return up.id as string;
    };
    const receiptOf = async (id: string) => (await (await api.get(`/v1/evidence/${id}/receipt`)).json()) as Json;

    before(async () => {
      [tsa, otherTsa] = await Promise.all([startOpensslTsa(), startOpensslTsa()]);
      tsa.down();
      service = await startTestService(join(dir.path, "data"), { TSA_URLS: tsa.url, TSA_CA_FILES: tsa.caFile, TSA_RETRY_MS: "300" });
      api = client(service.url);
    });
    after(async () => {
      await service?.stop();
      await Promise.all([tsa?.stop(), otherTsa?.stop()]);
    });

    it("anchors without waiting for a TSA that is down, says the time-stamp is pending, and adds it once the TSA is back", async () => {
      const id = await upload(PNG);
      const pending = await receiptOf(id);
      expect(pending.timestamps).to.deep.equal([]);
      expect(pending.timestampsPending).to.deep.equal([tsa.url]);
      const early = await cli(["verify", write("pending.json", pending), file(), "--rpc", service.chain.rpcUrl, "--tsa-ca", tsa.caFile]);
      expect(early.out).to.include(`Time-stamps still pending when this receipt was made: ${tsa.url} (fetch the receipt again).`);
      expect(
        service
          .logLines()
          .some(
            (l) =>
              l.msg === "time-stamp not obtained; will retry" &&
              l.root === pending.merkle.root &&
              /TSA_UNAVAILABLE|refused/i.test(l.problem),
          ),
      ).to.equal(true);

      tsa.up();
      receipt = await waitForTimestamps(api, id, 1);
      expect(receipt.timestampsPending).to.deep.equal([]);
      const [stamp] = receipt.timestamps;
      expect(stamp).to.include({ type: "rfc3161", tsa: tsa.url });
      expect(Date.parse(stamp.genTime)).to.be.greaterThan(Date.parse(receipt.metadata.receivedAt));

      // OpenSSL, alone, accepts the token over the root's 32 bytes.
      write("root.bin", Buffer.from(receipt.merkle.root.slice(2), "hex"));
      write("token.tsr", Buffer.from(timestampResponseFromToken(Buffer.from(stamp.token, "base64"))));
      const openssl = await run("openssl", ["ts", "-verify", "-data", "root.bin", "-in", "token.tsr", "-CAfile", tsa.caFile], {
        cwd: dir.path,
      });
      expect(openssl.stdout).to.equal("Verification: OK\n");

      const verified = await cli(["verify", write("stamped.json", receipt), file(), "--rpc", service.chain.rpcUrl, "--tsa-ca", tsa.caFile]);
      expect(verified.code, verified.out).to.equal(3); // the embedded chain is a development chain
      expect(verified.out).to.include(
        `VERIFIED: This file existed no later than ${new Date(Date.parse(stamp.genTime) + 1500).toISOString()} (the RFC 3161 time-stamp of ${tsa.url}`,
      );
    });

    it("refuses what a misbehaving TSA answers, naming why, and keeps asking until a good token comes", async () => {
      const expected: [Parameters<OpensslTsa["misbehave"]>[0], RegExp][] = [
        ["other-imprint", /^the token does not verify: tsa\.imprint: the token stamps SHA-256 [0-9a-f]{64}; expected [0-9a-f]{64}/],
        ["wrong-nonce", /^the token does not verify: tsa\.nonce: the token's nonce is 0x[0-9a-f]+; the request's was 0x[0-9a-f]+/],
        ["expired-cert", /^the token does not verify: tsa\.chain: the TSA certificate .* is valid from .* to .*, not at genTime/],
        ["untrusted", /^the token does not verify: tsa\.chain: .* does not chain to a trust anchor/],
        ["rejection", /^the TSA answered the request with nonce 0x[0-9a-f]+ with status rejection/],
        ["garbage", /TSA_UNAVAILABLE|not a time-stamp reply|not a TimeStampResp/],
      ];
      const ids: string[] = [];
      for (const [mode, problem] of expected) {
        tsa.misbehave(mode);
        const id = await upload(randomBytes(64));
        ids.push(id);
        const { merkle } = await receiptOf(id);
        const deadline = Date.now() + 20_000;
        let logged: Json | undefined;
        while (!logged && Date.now() < deadline) {
          logged = service.logLines().find((l) => l.msg === "time-stamp not obtained; will retry" && l.root === merkle.root);
          if (!logged) await new Promise((r) => setTimeout(r, 100));
        }
        expect(logged?.problem, mode).to.match(problem);
        const now = await receiptOf(id);
        expect([now.timestamps, now.timestampsPending], mode).to.deep.equal([[], [tsa.url]]);
      }
      tsa.misbehave("normal");
      for (const id of ids) expect((await waitForTimestamps(api, id, 1, 60_000)).timestampsPending).to.deep.equal([]);
    });

    it("fails a token changed or misplaced after the fact, naming the check", async () => {
      const [stamp] = receipt.timestamps;
      const token = Buffer.from(stamp.token, "base64");
      const verify = async (name: string, stamps: TimestampProof[], ...extra: string[]) =>
        cli(["verify", write(name, { ...receipt, timestamps: stamps }), file(), "--rpc", service.chain.rpcUrl, ...extra]);

      const altered = Buffer.from(token);
      altered[altered.length - 10]! ^= 0x01; // inside the signature
      let r = await verify("altered.json", [{ ...stamp, token: altered.toString("base64") }], "--tsa-ca", tsa.caFile);
      expect(r.code, r.out).to.equal(1);
      expect(r.out).to.match(/✗ time-stamp 1\s+.*tsa\.signature failed: /);
      expect(r.out).to.match(/\n {6}✗ tsa\.signature {2}/);

      // A genuine token of this TSA, for other data.
      const other = await tokenFor(tsa, randomBytes(32));
      r = await verify("other-imprint.json", [{ ...other.proof, tsa: tsa.url }], "--tsa-ca", tsa.caFile);
      expect(r.code, r.out).to.equal(1);
      expect(r.out).to.match(/tsa\.imprint failed: the token stamps SHA-256 [0-9a-f]{64}; expected [0-9a-f]{64}/);

      // A genuine token for this root, signed with a certificate that had expired.
      tsa.misbehave("expired-cert");
      const expired = await tokenFor(tsa, Buffer.from(receipt.merkle.root.slice(2), "hex"));
      tsa.misbehave("normal");
      r = await verify("expired.json", [{ ...expired.proof, tsa: tsa.url }], "--tsa-ca", tsa.caFile);
      expect(r.code, r.out).to.equal(1);
      expect(r.out).to.match(/tsa\.chain failed: the TSA certificate .* is valid from .* to .*, not at genTime/);

      // The right token, but the verifier trusts another CA.
      r = await verify("untrusted.json", [stamp], "--tsa-ca", otherTsa.caFile);
      expect(r.code, r.out).to.equal(1);
      expect(r.out).to.match(/tsa\.chain failed: .* does not chain to a trust anchor/);

      // The receipt names another time than its token.
      r = await verify("gentime.json", [{ ...stamp, genTime: "2026-01-01T00:00:00.000Z" }], "--tsa-ca", tsa.caFile);
      expect(r.code, r.out).to.equal(1);
      expect(r.out).to.match(/tsa\.receipt failed: the receipt says genTime 2026-01-01T00:00:00.000Z/);

      // No CA given: the token is sound, but who signed it is not established, so it proves no time.
      r = await verify("no-ca.json", [stamp]);
      expect(r.code, r.out).to.equal(3);
      expect(r.out).to.match(/! time-stamp 1\s+.*no trusted CA for this TSA was given/);
      expect(r.out).to.include("VERIFIED ON A DEVELOPMENT CHAIN ONLY");
    });

    it("fails a time-stamp that precedes the reception of the file", async () => {
      // A real token, then a receipt claiming the file arrived an hour later, on a chain dated to match.
      const later = Math.floor(Date.now() / 1000) + 3600;
      const chain = await startAnvil({ stateDir: join(dir.path, "future"), port: 0, genesisTimestamp: later });
      try {
        const provisional = await forgeReceipt(chain.rpcUrl, PNG, new Date(later * 1000).toISOString());
        const token = await tokenFor(tsa, Buffer.from(provisional.merkle.root.slice(2), "hex"));
        const receiptWithToken = { ...provisional, timestamps: [{ ...token.proof, tsa: tsa.url }] };
        const r = await cli([
          "verify",
          write("before-reception.json", receiptWithToken),
          file(),
          "--rpc",
          chain.rpcUrl,
          "--tsa-ca",
          tsa.caFile,
        ]);
        expect(r.code, r.out).to.equal(1);
        expect(r.out).to.match(/tsa\.reception failed: the time-stamp precedes the service's reception of the file by \d+ ms/);
        expect(r.out).to.match(/✓ anchor after reception/);
      } finally {
        await chain.stop();
      }
    });
  });
});
