/**
 * The RFC 3161 building blocks on their own: the request as OpenSSL reads it, replies the TSA refuses,
 * and tokens from an in-memory TSA (PKI.js) that break one rule at a time, each failing the check that
 * names that rule. Tokens from OpenSSL's own TSA: test/integration/timestamp-token.test.ts.
 */
import { expect } from "chai";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { sha256Bytes, sha256Hex } from "../../src/domain/hashing.ts";
import {
  buildTimestampRequest,
  readTimestampReply,
  timestampResponseFromToken,
  verifyTimestampToken,
  type TokenVerification,
} from "../../src/domain/timestamp-token.ts";
import { memoryTsa, type MemoryTsa } from "../helpers/memory-tsa.ts";

const ROOT = new Uint8Array(32);
const failed = (v: TokenVerification) => v.checks.filter((c) => c.status === "fail").map((c) => c.id);
const detail = (v: TokenVerification, id: string) => v.checks.find((c) => c.id === id)!.detail;

function replyOf(status: number, extra: { text?: string; failBits?: number[]; token?: pkijs.ContentInfo } = {}): Uint8Array {
  let failInfo: asn1js.BitString | undefined;
  if (extra.failBits) {
    const bytes = new Uint8Array(4);
    for (const bit of extra.failBits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
    failInfo = new asn1js.BitString({ valueHex: bytes, unusedBits: 0 });
  }
  const statusInfo = new pkijs.PKIStatusInfo({
    status,
    ...(extra.text ? { statusStrings: [new asn1js.Utf8String({ value: extra.text })] } : {}),
    ...(failInfo ? { failInfo } : {}),
  });
  const response = new pkijs.TimeStampResp({ status: statusInfo, ...(extra.token ? { timeStampToken: extra.token } : {}) });
  return new Uint8Array(response.toSchema().toBER());
}

describe("buildTimestampRequest", () => {
  it("makes a TimeStampReq v1 for SHA-256 of the data, with the nonce, asking for the certificate, without a policy", () => {
    const request = buildTimestampRequest(ROOT, { nonce: 2n ** 63n + 5n });
    // As `openssl ts -query -in req.tsq -text` reads it: Version 1, sha256, Message data 66687aad…,
    // Policy OID unspecified, Nonce 0x8000000000000005, Certificate required: yes, no extensions.
    expect(Buffer.from(request.der).toString("hex")).to.equal(
      "3042020101302f300b0609608648016503040201042066687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925" +
        "02090080000000000000050101ff",
    );
    expect(Buffer.from(request.imprint).toString("hex")).to.equal(sha256Hex(ROOT));
    expect(request.nonce).to.equal(2n ** 63n + 5n);
  });

  it("draws a fresh 64-bit nonce for each request", () => {
    const nonces = Array.from({ length: 20 }, () => buildTimestampRequest(ROOT).nonce);
    expect(new Set(nonces).size).to.equal(20);
    for (const nonce of nonces) expect(nonce >= 0n && nonce < 2n ** 64n, String(nonce)).to.equal(true);
    const parsed = pkijs.TimeStampReq.fromBER(buildTimestampRequest(ROOT, { nonce: nonces[0] }).der);
    expect(parsed.nonce!.toBigInt()).to.equal(nonces[0]);
  });

  it("refuses a nonce that is not a 64-bit unsigned integer", () => {
    expect(() => buildTimestampRequest(ROOT, { nonce: -1n })).to.throw(RangeError, "a nonce is a 64-bit unsigned integer, not -1");
    expect(() => buildTimestampRequest(ROOT, { nonce: 2n ** 64n })).to.throw(RangeError);
  });
});

describe("readTimestampReply", () => {
  const request = { nonce: 0xabcn };

  it("gives the TSA's refusal: its status, text and failure bits", async () => {
    const reply = replyOf(2, { text: "unsupported algorithm", failBits: [0, 5] });
    expect(await readTimestampReply(reply, request)).to.deep.equal({
      failure:
        'the TSA answered the request with nonce 0xabc with status rejection ("unsupported algorithm", failInfo badAlg, badDataFormat)',
    });
    expect(await readTimestampReply(replyOf(3), request)).to.deep.equal({
      failure: "the TSA answered the request with nonce 0xabc with status waiting",
    });
  });

  it("fails a granted reply without a token, one whose token is not SignedData, and bytes that are not a reply", async () => {
    expect(await readTimestampReply(replyOf(0), request)).to.deep.equal({
      failure: "the TSA granted the request with nonce 0xabc but sent no token",
    });
    const data = new pkijs.ContentInfo({ contentType: "1.2.840.113549.1.7.1", content: new asn1js.OctetString({ valueHex: ROOT }) });
    expect(await readTimestampReply(replyOf(1, { token: data }), request)).to.deep.equal({
      failure: "the TSA's token for the request with nonce 0xabc is a 1.2.840.113549.1.7.1, not a CMS SignedData",
    });
    expect(await readTimestampReply(new Uint8Array([0x30, 0x03, 0x02]), request)).to.deep.equal({
      failure: "the TSA's answer to the request with nonce 0xabc is not a TimeStampResp (3 bytes)",
    });
  });

  it("gives the token of a granted reply byte for byte, and timestampResponseFromToken wraps it back", async () => {
    const tsa = await memoryTsa();
    const token = await tsa.token({ data: ROOT });
    const reply = replyOf(0, { token: pkijs.ContentInfo.fromBER(token) });
    expect(await readTimestampReply(reply, request)).to.deep.equal({ token });
    expect(Buffer.from(timestampResponseFromToken(token)).equals(reply)).to.equal(true);
    expect(() => timestampResponseFromToken(new Uint8Array([1, 2, 3]))).to.throw(TypeError, "not a time-stamp token");
  });
});

describe("verifyTimestampToken", () => {
  let tsa: MemoryTsa;
  const genTime = new Date("2026-03-01T12:00:00.250Z");
  before(async () => {
    tsa = await memoryTsa({
      caValidity: { notBefore: new Date("2025-01-01T00:00:00Z"), notAfter: new Date("2035-01-01T00:00:00Z") },
      notBefore: new Date("2026-01-01T00:00:00Z"),
      notAfter: new Date("2027-01-01T00:00:00Z"),
    });
  });

  it("passes every check of a good token, and reads its facts", async () => {
    const token = await tsa.token({ data: ROOT, nonce: 42n, genTime, serial: 0x1234 });
    const receivedAt = new Date(genTime.getTime() + 800);
    const v = await verifyTimestampToken(token, { data: ROOT, nonce: 42n, trustAnchors: [tsa.caPem], receivedAt, toleranceMs: 1000 });
    expect(failed(v)).to.deep.equal([]);
    expect(v.checks.every((c) => c.status === "pass")).to.equal(true);
    expect(v.ok).to.equal(true);
    expect([v.genTime!.toISOString(), v.serialNumber, v.policy, v.accuracyMs]).to.deep.equal([
      genTime.toISOString(),
      "1234",
      "1.2.3.4.1",
      1000,
    ]);
    expect([v.tsa!.subject, v.tsa!.issuer]).to.deep.equal(["CN=Unit TSA", "CN=Unit Root CA"]);
    expect(detail(v, "tsa.signature")).to.equal(
      "ECDSA with SHA-256 signature by CN=Unit TSA over the signed attributes; their messageDigest is the TSTInfo's SHA-256",
    );
    expect(detail(v, "tsa.nonce")).to.equal("0x2a");
    expect(detail(v, "tsa.time")).to.equal("genTime 2026-03-01T12:00:00.250Z, received 2026-03-01T12:00:01.050Z, tolerance 1000 ms");
  });

  it("takes the expected imprint instead of the data, and finds a signer named by subject key identifier", async () => {
    const token = await tsa.token({ data: ROOT, genTime, bySubjectKeyIdentifier: true });
    const v = await verifyTimestampToken(token, { imprint: sha256Bytes(ROOT), trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal([]);
    expect(v.ok).to.equal(true);
    expect(detail(v, "tsa.nonce")).to.equal("no nonce expected (the token's: none)");
  });

  it("is not ok when nothing says what the token should stamp", async () => {
    const v = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime }), { trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal([]);
    expect(detail(v, "tsa.imprint")).to.equal(`no data or imprint given: the token stamps SHA-256 ${sha256Hex(ROOT)}`);
    expect(v.ok).to.equal(false);
  });

  it("fails tsa.imprint when the data and the imprint given disagree", async () => {
    const v = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime }), {
      data: ROOT,
      imprint: new Uint8Array(32),
      trustAnchors: [tsa.caPem],
    });
    expect(failed(v)).to.deep.equal(["tsa.imprint"]);
  });

  it("fails tsa.nonce when the token has none but one was expected", async () => {
    const v = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime }), { data: ROOT, nonce: 7n, trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal(["tsa.nonce"]);
    expect(detail(v, "tsa.nonce")).to.equal("the token's nonce is none; the request's was 0x7");
  });

  it("fails tsa.time when genTime is after reception by more than the tolerance", async () => {
    const receivedAt = new Date(genTime.getTime() - 10_000);
    const v = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime }), {
      data: ROOT,
      trustAnchors: [tsa.caPem],
      receivedAt,
      toleranceMs: 5000,
    });
    expect(failed(v)).to.deep.equal(["tsa.time"]);
    expect(detail(v, "tsa.time")).to.equal(
      "genTime is 10000 ms after reception: genTime 2026-03-01T12:00:00.250Z, received 2026-03-01T11:59:50.250Z, tolerance 5000 ms",
    );
  });

  it("fails tsa.chain at a genTime outside the TSA certificate's validity", async () => {
    const late = new Date("2027-06-01T00:00:00Z");
    const v = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime: late }), { data: ROOT, trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal(["tsa.chain"]);
    expect(detail(v, "tsa.chain")).to.equal(
      "the TSA certificate CN=Unit TSA is valid from 2026-01-01T00:00:00.000Z to 2027-01-01T00:00:00.000Z, not at genTime 2027-06-01T00:00:00.000Z",
    );
  });

  it("fails tsa.chain when the root was not valid at genTime, and names it", async () => {
    const lapsed = await memoryTsa({
      caValidity: { notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2026-02-01T00:00:00Z") },
      notBefore: new Date("2026-01-01T00:00:00Z"),
      notAfter: new Date("2027-01-01T00:00:00Z"),
    });
    const v = await verifyTimestampToken(await lapsed.token({ data: ROOT, genTime }), { data: ROOT, trustAnchors: [lapsed.caPem] });
    expect(failed(v)).to.deep.equal(["tsa.chain"]);
    expect(detail(v, "tsa.chain")).to.equal(
      "CN=Unit TSA does not chain to a trust anchor (CN=Unit Root CA) at genTime 2026-03-01T12:00:00.250Z: " +
        "no path of valid CA certificates, each signing the next, leads from the TSA certificate to a trust anchor; CN=Unit Root CA is valid from 2020-01-01T00:00:00.000Z to 2026-02-01T00:00:00.000Z",
    );
  });

  it("fails tsa.chain with a trust anchor that is not a PEM certificate", async () => {
    const v = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime }), { data: ROOT, trustAnchors: ["not a certificate"] });
    expect(failed(v)).to.deep.equal(["tsa.chain"]);
    expect(detail(v, "tsa.chain")).to.equal("trust anchor 1 is not a PEM certificate");
  });

  it("fails tsa.signing-certificate without an ESS attribute, or with one naming another certificate", async () => {
    const none = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime, ess: "none" }), {
      data: ROOT,
      trustAnchors: [tsa.caPem],
    });
    expect(failed(none)).to.deep.equal(["tsa.signing-certificate"]);
    expect(detail(none, "tsa.signing-certificate")).to.equal(
      "neither signingCertificate nor signingCertificateV2 is among the signed attributes (RFC 3161 §2.4.2, RFC 5816)",
    );
    const other = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime, ess: "other-certificate" }), {
      data: ROOT,
      trustAnchors: [tsa.caPem],
    });
    expect(failed(other)).to.deep.equal(["tsa.signing-certificate"]);
    expect(detail(other, "tsa.signing-certificate")).to.match(
      /^the signingCertificateV2 attribute names a certificate whose SHA-256 is [0-9a-f]{64}; the signer certificate's is [0-9a-f]{64}$/,
    );
    const v1 = await verifyTimestampToken(await tsa.token({ data: ROOT, genTime, ess: "v1" }), { data: ROOT, trustAnchors: [tsa.caPem] });
    expect(detail(v1, "tsa.signing-certificate")).to.equal("signingCertificate (SHA-1) matches the signer certificate");
  });

  it("fails every signer check when the token leaves out the signer's certificate", async () => {
    const token = await tsa.token({ data: ROOT, genTime, withoutCertificate: true });
    const v = await verifyTimestampToken(token, { data: ROOT, trustAnchors: [tsa.caPem] });
    expect(failed(v)).to.deep.equal(["tsa.signature", "tsa.signing-certificate", "tsa.eku", "tsa.chain"]);
    expect(detail(v, "tsa.signature")).to.equal(
      "the token does not carry the certificate its SignerInfo names: the signature cannot be checked",
    );
    expect(v.tsa).to.equal(null);
  });

  for (const [what, options, expected] of [
    [
      "a non-critical timeStamping usage",
      { ekuCritical: false },
      "extendedKeyUsage id-kp-timeStamping is not marked critical (RFC 3161 §2.3 requires it)",
    ],
    [
      "a usage besides timeStamping",
      { purposes: ["1.3.6.1.5.5.7.3.8", "1.3.6.1.5.5.7.3.1"] },
      "extendedKeyUsage is [1.3.6.1.5.5.7.3.8, 1.3.6.1.5.5.7.3.1]; expected id-kp-timeStamping (1.3.6.1.5.5.7.3.8) alone",
    ],
    [
      "no extendedKeyUsage",
      { purposes: [] },
      "the signer certificate has 0 extendedKeyUsage extensions; expected one with id-kp-timeStamping",
    ],
  ] as const) {
    it(`fails tsa.eku for a TSA certificate with ${what}`, async () => {
      const other = await memoryTsa(options);
      const v = await verifyTimestampToken(await other.token({ data: ROOT }), { data: ROOT, trustAnchors: [other.caPem] });
      expect(failed(v)).to.deep.equal(["tsa.eku"]);
      expect(detail(v, "tsa.eku")).to.equal(expected);
      expect(v.ok).to.equal(false);
    });
  }

  it("fails tsa.parse, and never throws, on anything that is not a token", async () => {
    const data = new pkijs.ContentInfo({ contentType: "1.2.840.113549.1.7.1", content: new asn1js.OctetString({ valueHex: ROOT }) });
    const good = await tsa.token({ data: ROOT, genTime });
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(), "not a DER ContentInfo (0 bytes)"],
      [new Uint8Array(data.toSchema().toBER()), "a ContentInfo of type 1.2.840.113549.1.7.1, not id-signedData"],
      [Buffer.concat([good, new Uint8Array([0])]), `not a DER ContentInfo (${good.length + 1} bytes)`],
      [good.subarray(0, good.length - 10), `not a DER ContentInfo (${good.length - 10} bytes)`],
    ];
    for (const [bytes, expected] of cases) {
      const v = await verifyTimestampToken(bytes, { data: ROOT, trustAnchors: [tsa.caPem] });
      expect(v.checks.map((c) => c.status)).to.deep.equal(["fail", "skip", "skip", "skip", "skip", "skip", "skip", "skip"]);
      expect(detail(v, "tsa.parse")).to.equal(expected);
      expect(v.ok).to.equal(false);
    }
  });

  it("fails tsa.parse for a SignedData that does not encapsulate a TSTInfo", async () => {
    const token = await tsa.token({ data: ROOT, genTime });
    const signedData = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(token).content });
    signedData.encapContentInfo.eContentType = "1.2.840.113549.1.7.1";
    const content = new pkijs.ContentInfo({ contentType: "1.2.840.113549.1.7.2", content: signedData.toSchema() });
    const v = await verifyTimestampToken(new Uint8Array(content.toSchema().toBER()), { data: ROOT, trustAnchors: [tsa.caPem] });
    expect(detail(v, "tsa.parse")).to.equal(
      "the SignedData encapsulates 1.2.840.113549.1.7.1, not id-ct-TSTInfo (1.2.840.113549.1.9.16.1.4)",
    );
  });
});
