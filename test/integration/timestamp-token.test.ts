/**
 * RFC 3161 time-stamps against a real TSA, OpenSSL's own (`openssl ts -reply`), with its test PKI: a
 * good token passes every check and OpenSSL's own verifier accepts it; each way a TSA can misbehave
 * fails the check that names it; a TSA that is down or never answers fails the client within its deadline.
 */
import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { requestTimestamp, tsaClient } from "../../src/adapters/tsa/tsa-client.ts";
import { sha256Hex } from "../../src/domain/hashing.ts";
import { Errors, isAppError, type AppError } from "../../src/errors.ts";
import {
  buildTimestampRequest,
  readTimestampReply,
  timestampResponseFromToken,
  verifyTimestampToken,
  type TokenVerification,
} from "../../src/domain/timestamp-token.ts";
import { startFrozenServer } from "../helpers/frozen-server.ts";
import { runOpenssl, startOpensslTsa, type OpensslTsa } from "../helpers/openssl-tsa.ts";
import { tempDir } from "../helpers/temp.ts";

/** A batch's Merkle root: what the service stamps. */
const ROOT = Buffer.from("5c0f6f5ba4a5b9e1d0b8e4c3f4a61b1f1a2e3d4c5b6a79880716253443526170", "hex");
const CHECK_IDS = ["tsa.parse", "tsa.imprint", "tsa.nonce", "tsa.signature", "tsa.signing-certificate", "tsa.eku", "tsa.chain", "tsa.time"];

const failed = (v: TokenVerification) => v.checks.filter((c) => c.status === "fail").map((c) => c.id);
const check = (v: TokenVerification, id: string) => v.checks.find((c) => c.id === id)!;

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error, Errors.TSA_UNAVAILABLE)) return error;
    throw error;
  }
  throw new Error("expected TSA_UNAVAILABLE, but the call succeeded");
}

describe("RFC 3161 time-stamps from OpenSSL's TSA", function () {
  this.timeout(60_000);
  const files = tempDir("timestamp-token-");
  let tsa: OpensslTsa;

  before(async () => {
    tsa = await startOpensslTsa();
  });
  afterEach(() => {
    tsa.misbehave("normal");
    tsa.up();
  });
  after(async () => {
    await tsa?.stop();
    files.remove();
  });

  /** One exchange as the service makes it: request, TSA, reply. */
  async function stamp(data: Uint8Array = ROOT) {
    const request = buildTimestampRequest(data);
    const sentAt = new Date();
    const replyDer = await tsaClient(tsa.url, { timeoutMs: 10_000 }).request(request.der);
    const receivedAt = new Date();
    const reply = await readTimestampReply(replyDer, request);
    return { request, replyDer, reply, sentAt, receivedAt };
  }

  async function stampAndVerify(data: Uint8Array = ROOT) {
    const exchange = await stamp(data);
    if (!("token" in exchange.reply)) throw new Error(`no token: ${exchange.reply.failure}`);
    const { token } = exchange.reply;
    const verification = await verifyTimestampToken(token, {
      data: ROOT,
      nonce: exchange.request.nonce,
      trustAnchors: [tsa.caPem],
      receivedAt: exchange.receivedAt,
      toleranceMs: 60_000,
    });
    return { ...exchange, token, verification };
  }

  it("verifies a normal token: every check passes, with the TSA's time, serial, policy and certificate", async () => {
    const { verification: v, sentAt, receivedAt, replyDer } = await stampAndVerify();

    expect(
      v.checks.map((c) => [c.id, c.status]),
      JSON.stringify(v.checks, null, 2),
    ).to.deep.equal(CHECK_IDS.map((id) => [id, "pass"]));
    expect(v.ok).to.equal(true);
    expect(v.genTime!.getTime()).to.be.within(sentAt.getTime(), receivedAt.getTime());
    // What OpenSSL itself reads in the reply.
    writeFileSync(join(files.path, "normal.tsr"), replyDer);
    const { stdout } = await runOpenssl(["ts", "-reply", "-in", join(files.path, "normal.tsr"), "-text"]);
    expect(stdout).to.match(/Status: Granted\./);
    const serial = /Serial number: 0x([0-9A-F]+)/.exec(stdout)![1];
    expect(v.serialNumber).to.equal(serial.toLowerCase());
    expect(stdout).to.contain(`Nonce: 0x`);
    expect(v.policy).to.equal("1.2.3.4.1");
    expect(v.accuracyMs).to.equal(1500);
    const tsaCert = new X509Certificate(tsa.tsaCertPem);
    expect(v.tsa).to.deep.equal({
      subject: "O=Evidence Anchor Tests, CN=Test TSA",
      issuer: "O=Evidence Anchor Tests, CN=Test Root CA",
      sha256Fingerprint: tsaCert.fingerprint256.replace(/:/g, "").toLowerCase(),
    });
    expect(check(v, "tsa.imprint").detail).to.equal(`SHA-256 ${sha256Hex(ROOT)}`);
    expect(check(v, "tsa.signing-certificate").detail).to.equal("signingCertificateV2 (SHA-256) matches the signer certificate");
    expect(check(v, "tsa.eku").detail).to.equal("extendedKeyUsage id-kp-timeStamping (1.3.6.1.5.5.7.3.8), critical; not a CA certificate");
    expect(check(v, "tsa.chain").detail).to.equal(
      `O=Evidence Anchor Tests, CN=Test TSA → O=Evidence Anchor Tests, CN=Test Root CA (trusted); every certificate valid at genTime ${v.genTime!.toISOString()}`,
    );
  });

  it("is accepted by `openssl ts -verify`: the TSA's reply, the token re-wrapped as a reply, and the bare token", async () => {
    const { replyDer, token } = await stampAndVerify();
    const dataFile = join(files.path, "root.bin");
    writeFileSync(dataFile, ROOT);
    writeFileSync(join(files.path, "reply.tsr"), replyDer);
    writeFileSync(join(files.path, "rewrapped.tsr"), timestampResponseFromToken(token));
    writeFileSync(join(files.path, "token.der"), token);
    const verify = (...args: string[]) => runOpenssl(["ts", "-verify", "-data", dataFile, "-CAfile", tsa.caFile, ...args]);

    expect((await verify("-in", join(files.path, "reply.tsr"))).stdout).to.equal("Verification: OK\n");
    expect((await verify("-in", join(files.path, "rewrapped.tsr"))).stdout).to.equal("Verification: OK\n");
    expect((await verify("-in", join(files.path, "token.der"), "-token_in")).stdout).to.equal("Verification: OK\n");
    // OpenSSL's reply is the token with status granted and nothing else: the re-wrap is byte for byte.
    expect(Buffer.from(timestampResponseFromToken(token)).equals(Buffer.from(replyDer))).to.equal(true);
  });

  it("and `openssl ts -verify` refuses the token for other data", async () => {
    const { token } = await stampAndVerify();
    writeFileSync(join(files.path, "other.bin"), "other data");
    writeFileSync(join(files.path, "token2.der"), token);
    const attempt = runOpenssl([
      "ts",
      "-verify",
      "-data",
      join(files.path, "other.bin"),
      "-in",
      join(files.path, "token2.der"),
      "-token_in",
      "-CAfile",
      tsa.caFile,
    ]);
    const error = (await attempt.then(
      () => null,
      (e: unknown) => e,
    )) as { stdout: string; stderr: string } | null;
    expect(error?.stdout).to.equal("Verification: FAILED\n");
    expect(error?.stderr).to.contain("message imprint mismatch");
  });

  it("fails tsa.imprint for a token over other data", async () => {
    const { token, request } = await stampAndVerify();
    const other = Buffer.from("another Merkle root, thirty-two.");
    const v = await verifyTimestampToken(token, { data: other, nonce: request.nonce, trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal(["tsa.imprint"]);
    expect(v.ok).to.equal(false);
    expect(check(v, "tsa.imprint").detail).to.equal(`the token stamps SHA-256 ${sha256Hex(ROOT)}; expected ${sha256Hex(other)}`);
  });

  it("skips tsa.chain without a trust anchor, and then the token proves no time (ok is false)", async () => {
    const { token, request } = await stampAndVerify();
    const v = await verifyTimestampToken(token, { data: ROOT, nonce: request.nonce });
    expect(v.checks.map((c) => [c.id, c.status])).to.deep.equal(
      CHECK_IDS.map((id) => [id, id === "tsa.chain" || id === "tsa.time" ? "skip" : "pass"]),
    );
    expect(check(v, "tsa.chain").detail).to.equal(
      "no trust anchor given: the TSA certificate was not checked against a trusted root, so the token's time is not proven",
    );
    expect(v.ok).to.equal(false);
  });

  it("fails tsa.time when the token was received long after its genTime (a token kept back, or a TSA clock that is off)", async () => {
    const { token, request, verification } = await stampAndVerify();
    const genTime = verification.genTime!;
    const receivedAt = new Date(genTime.getTime() + 3_600_000);
    const v = await verifyTimestampToken(token, {
      data: ROOT,
      nonce: request.nonce,
      trustAnchors: [tsa.caPem],
      receivedAt,
      toleranceMs: 60_000,
    });
    expect(failed(v)).to.deep.equal(["tsa.time"]);
    expect(check(v, "tsa.time").detail).to.equal(
      `genTime is 3600000 ms before reception: genTime ${genTime.toISOString()}, received ${receivedAt.toISOString()}, tolerance 60000 ms`,
    );
  });

  it("fails tsa.signature when one byte of the signed TSTInfo is changed (the policy it was issued under)", async () => {
    const { token, request } = await stampAndVerify();
    const { tstInfo, fields } = tstInfoBytes(token);
    const policy = fields[1]; // version, policy, messageImprint, serialNumber, genTime, ...
    const at = Buffer.from(token).indexOf(Buffer.from(tstInfo)) + Buffer.from(tstInfo).indexOf(Buffer.from(policy));
    const altered = Buffer.from(token);
    altered[at + policy.length - 1] ^= 1; // 1.2.3.4.1 → 1.2.3.4.0
    const v = await verifyTimestampToken(altered, { data: ROOT, nonce: request.nonce, trustAnchors: [tsa.caPem] });
    expect(v.policy).to.equal("1.2.3.4.0");
    expect(failed(v)).to.deep.equal(["tsa.signature"]);
    expect(check(v, "tsa.signature").detail).to.match(
      /^the messageDigest attribute is [0-9a-f]{64}; the TSTInfo's SHA-256 is [0-9a-f]{64}: the TSTInfo was altered$/,
    );
    expect(v.ok).to.equal(false);
  });

  it("fails tsa.signature when one byte of the signature is changed", async () => {
    const { token, request } = await stampAndVerify();
    const signed = pkijs.ContentInfo.fromBER(token);
    const signature = new pkijs.SignedData({ schema: signed.content }).signerInfos[0].signature.valueBlock.valueHexView;
    const at = Buffer.from(token).indexOf(Buffer.from(signature));
    expect(at).to.be.above(0);
    const altered = Buffer.from(token);
    altered[at + 100] ^= 0x40;
    const v = await verifyTimestampToken(altered, { data: ROOT, nonce: request.nonce, trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal(["tsa.signature"]);
    expect(check(v, "tsa.signature").detail).to.equal(
      "the RSASSA-PKCS1-v1_5 with SHA-256 signature over the signed attributes does not verify with the key of O=Evidence Anchor Tests, CN=Test TSA",
    );
  });

  describe("a misbehaving TSA", () => {
    it("other-imprint: a reply for another imprint fails tsa.imprint", async () => {
      tsa.misbehave("other-imprint");
      const { verification: v } = await stampAndVerify();
      expect(failed(v)).to.deep.equal(["tsa.imprint"]);
      expect(check(v, "tsa.imprint").detail).to.match(new RegExp(`^the token stamps SHA-256 [0-9a-f]{64}; expected ${sha256Hex(ROOT)}$`));
      expect(v.ok).to.equal(false);
    });

    it("wrong-nonce: a reply with another nonce fails tsa.nonce", async () => {
      tsa.misbehave("wrong-nonce");
      const { verification: v, request } = await stampAndVerify();
      expect(failed(v)).to.deep.equal(["tsa.nonce"]);
      expect(check(v, "tsa.nonce").detail).to.equal(
        `the token's nonce is 0x${(request.nonce + 1n).toString(16)}; the request's was 0x${request.nonce.toString(16)}`,
      );
      expect(v.ok).to.equal(false);
    });

    it("expired-cert: a token signed with a certificate whose validity ended fails tsa.chain", async () => {
      tsa.misbehave("expired-cert");
      const { verification: v } = await stampAndVerify();
      expect(failed(v)).to.deep.equal(["tsa.chain"]);
      expect(check(v, "tsa.chain").detail).to.equal(
        "the TSA certificate O=Evidence Anchor Tests, CN=Test TSA (expired) is valid from 2020-01-01T00:00:00.000Z " +
          `to 2021-01-01T00:00:00.000Z, not at genTime ${v.genTime!.toISOString()}`,
      );
      expect(v.ok).to.equal(false);
    });

    it("untrusted: a token signed by another CA's TSA of the same name fails tsa.chain", async () => {
      tsa.misbehave("untrusted");
      const { verification: v } = await stampAndVerify();
      expect(failed(v)).to.deep.equal(["tsa.chain"]);
      expect(v.tsa!.subject).to.equal("O=Evidence Anchor Tests, CN=Test TSA");
      expect(v.tsa!.issuer).to.equal("O=Someone Else, CN=Other Root CA");
      expect(check(v, "tsa.chain").detail).to.match(
        /^O=Evidence Anchor Tests, CN=Test TSA does not chain to a trust anchor \(O=Evidence Anchor Tests, CN=Test Root CA\) at genTime .+: no path of valid CA certificates, each signing the next, leads from the TSA certificate to a trust anchor$/,
      );
      expect(v.ok).to.equal(false);
    });

    it("rejection: the reply is refused with the TSA's status, text and failure bits", async () => {
      tsa.misbehave("rejection");
      const { reply, request } = await stamp();
      expect(reply).to.deep.equal({
        failure: `the TSA answered the request with nonce 0x${request.nonce.toString(16)} with status rejection ("Requested policy is not supported.", failInfo unacceptedPolicy)`,
      });
    });

    it("garbage: an answer that is not DER is no reply, and as a token fails tsa.parse", async () => {
      tsa.misbehave("garbage");
      const { reply, replyDer, request } = await stamp();
      expect(reply).to.deep.equal({
        failure: `the TSA's answer to the request with nonce 0x${request.nonce.toString(16)} is not a TimeStampResp (31 bytes)`,
      });
      const v = await verifyTimestampToken(replyDer, { data: ROOT, trustAnchors: [tsa.caPem] });
      expect(v.checks.map((c) => [c.id, c.status])).to.deep.equal(CHECK_IDS.map((id) => [id, id === "tsa.parse" ? "fail" : "skip"]));
      expect(check(v, "tsa.parse").detail).to.equal("not a DER ContentInfo (31 bytes)");
      expect([v.ok, v.genTime, v.serialNumber, v.tsa]).to.deep.equal([false, null, null, null]);
    });
  });

  describe("the client", () => {
    it("rejects with TSA_UNAVAILABLE at once when the TSA is down, and works again when it is up", async () => {
      const request = buildTimestampRequest(ROOT);
      tsa.down();
      const before = tsa.requests;
      const started = Date.now();
      const error = await rejection(requestTimestamp(tsa.url, request.der, { timeoutMs: 5000 }));
      expect(Date.now() - started).to.be.below(5000);
      expect(error.message).to.equal(`The time-stamp authority ${tsa.url} is unavailable: connection failed (ECONNREFUSED)`);
      expect(tsa.requests).to.equal(before);
      tsa.up();
      const reply = await readTimestampReply(await requestTimestamp(tsa.url, request.der, { timeoutMs: 5000 }), request);
      expect(Object.keys(reply)).to.deep.equal(["token"]);
    });

    it("rejects with TSA_UNAVAILABLE within its deadline when the TSA accepts and never answers", async () => {
      const frozen = await startFrozenServer();
      try {
        const started = Date.now();
        const error = await rejection(tsaClient(frozen.url, { timeoutMs: 1000 }).request(buildTimestampRequest(ROOT).der));
        const took = Date.now() - started;
        expect(error.message).to.equal(`The time-stamp authority ${frozen.url} is unavailable: no answer within 1000 ms`);
        expect(took).to.be.within(950, 3000);
        expect(frozen.connections()).to.equal(1);
      } finally {
        await frozen.close();
      }
    });

    it("passes the caller's own abort through as it is", async () => {
      const frozen = await startFrozenServer();
      try {
        const controller = new AbortController();
        const reason = new Error("the service is stopping");
        setTimeout(() => controller.abort(reason), 100);
        const attempt = tsaClient(frozen.url, { timeoutMs: 10_000 }).request(buildTimestampRequest(ROOT).der, {
          signal: controller.signal,
        });
        expect(
          await attempt.then(
            () => null,
            (e: unknown) => e,
          ),
        ).to.equal(reason);
      } finally {
        await frozen.close();
      }
    });

    it("rejects an answer larger than its cap", async () => {
      const error = await rejection(requestTimestamp(tsa.url, buildTimestampRequest(ROOT).der, { timeoutMs: 5000, maxBytes: 100 }));
      expect(error.message).to.equal(`The time-stamp authority ${tsa.url} is unavailable: the answer is larger than 100 bytes`);
    });

    it("rejects an HTTP error, or an answer that is not a time-stamp reply, as TSA_UNAVAILABLE", async () => {
      // Not a TSA: a server in maintenance, then a web page where the TSA should be.
      const server = createServer((req, res) => {
        if (req.url === "/busy") res.writeHead(503, { "content-type": "text/plain" }).end("maintenance\n");
        else res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end("<p>hello</p>");
      }).listen(0, "127.0.0.1");
      await once(server, "listening");
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      try {
        const der = buildTimestampRequest(ROOT).der;
        const busy = await rejection(requestTimestamp(`${base}/busy`, der, { timeoutMs: 5000 }));
        expect(busy.message).to.equal(`The time-stamp authority ${base}/busy is unavailable: HTTP 503 Service Unavailable`);
        const page = await rejection(requestTimestamp(`${base}/page`, der, { timeoutMs: 5000 }));
        expect(page.message).to.equal(
          `The time-stamp authority ${base}/page is unavailable: the answer is text/html, not application/timestamp-reply`,
        );
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });
});

describe("RFC 3161 time-stamps from a TSA that names its certificate by SHA-1 (ESS signingCertificate)", function () {
  this.timeout(60_000);
  let tsa: OpensslTsa;
  before(async () => {
    tsa = await startOpensslTsa({ essCertIdAlg: "sha1" });
  });
  after(async () => {
    await tsa?.stop();
  });

  it("verifies: tsa.signing-certificate reads the ESSCertID", async () => {
    const request = buildTimestampRequest(ROOT);
    const reply = await readTimestampReply(await requestTimestamp(tsa.url, request.der, { timeoutMs: 10_000 }), request);
    if (!("token" in reply)) throw new Error(reply.failure);
    const v = await verifyTimestampToken(reply.token, { imprint: request.imprint, nonce: request.nonce, trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal([]);
    expect(v.ok).to.equal(true);
    expect(check(v, "tsa.signing-certificate").detail).to.equal("signingCertificate (SHA-1) matches the signer certificate");
  });
});

/** The token's TSTInfo and each of its fields, as encoded. */
function tstInfoBytes(token: Uint8Array): { tstInfo: Uint8Array; fields: Uint8Array[] } {
  const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(token).content });
  const tstInfo = new Uint8Array(signedData.encapContentInfo.eContent!.getValue());
  const fields = (asn1js.fromBER(tstInfo).result as asn1js.Sequence).valueBlock.value.map((f) => new Uint8Array(f.valueBeforeDecodeView));
  return { tstInfo, fields };
}
