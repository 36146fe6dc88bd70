/**
 * RFC 3161 time-stamp tokens over the 32 bytes of a batch's Merkle root: a second clock, independent of
 * the chain anchor. Build the request, read the TSA's reply, and verify a token on its own, one check per
 * property, each saying what was expected and what was found. Pure (no I/O): the TSA client
 * (adapters/tsa), the service and the verifier CLI all use it. PKI.js reads and writes every structure.
 *
 * A token proves a time only through its TSA certificate's chain to a root the verifier trusts: without a
 * trust anchor, `tsa.chain` is skipped and `ok` is false, whatever else passed.
 */
import { randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { sha256Bytes } from "./hashing.ts";
import { readTokenTime, type TokenTime } from "./timestamp-time.ts";
import {
  checkChain,
  checkSignature,
  checkSigningCertificate,
  checkTimeStampingUsage,
  describeCertificate,
  fail,
  findSignerCertificate,
  hex,
  OID,
  type CertificateFacts,
  MAX_TOKEN_CERTIFICATES,
  type Outcome,
  parseDer,
  pass,
} from "./timestamp-signer.ts";

export interface TimestampRequest {
  /** The TimeStampReq, DER: the body of the `application/timestamp-query` POST. */
  der: Uint8Array;
  nonce: bigint;
  /** SHA-256 of the stamped data, as the request carries it. */
  imprint: Uint8Array;
}

const MAX_NONCE = 2n ** 64n;

/** A TimeStampReq v1 for SHA-256(data), asking for the TSA's certificate, with a random 64-bit nonce, and no policy. */
export function buildTimestampRequest(data: Uint8Array, options: { nonce?: bigint } = {}): TimestampRequest {
  const nonce = options.nonce ?? randomBytes(8).readBigUInt64BE();
  if (nonce < 0n || nonce >= MAX_NONCE) throw new RangeError(`a nonce is a 64-bit unsigned integer, not ${nonce}`);
  const imprint = sha256Bytes(data);
  const request = new pkijs.TimeStampReq({
    version: 1,
    // Parameters absent, as RFC 5754 §2 prefers for SHA-2.
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: imprint }),
    }),
    nonce: asn1js.Integer.fromBigInt(nonce),
    certReq: true,
  });
  return { der: new Uint8Array(request.toSchema().toBER()), nonce, imprint };
}

export type TimestampReply = { token: Uint8Array } | { failure: string };

const STATUS_NAMES = ["granted", "grantedWithMods", "rejection", "waiting", "revocationWarning", "revocationNotification"];
/** PKIFailureInfo bits that RFC 3161 §2.4.2 names. */
const FAILURE_BITS: Record<number, string> = {
  0: "badAlg",
  2: "badRequest",
  5: "badDataFormat",
  14: "timeNotAvailable",
  15: "unacceptedPolicy",
  16: "unacceptedExtension",
  17: "addInfoNotAvailable",
  25: "systemFailure",
};

/**
 * The token of a TimeStampResp whose status is granted or grantedWithMods, byte for byte as the TSA sent
 * it; otherwise why not. Whether the token answers `request` (imprint, nonce) and is genuine is
 * verifyTimestampToken's to say; the request's nonce names the exchange in the failure.
 */
export async function readTimestampReply(replyDer: Uint8Array, request: Pick<TimestampRequest, "nonce">): Promise<TimestampReply> {
  const exchange = `the request with nonce 0x${request.nonce.toString(16)}`;
  const reply = parseDer(replyDer, pkijs.TimeStampResp);
  if (!reply) return { failure: `the TSA's answer to ${exchange} is not a TimeStampResp (${replyDer.length} bytes)` };
  const { status, statusStrings, failInfo } = reply.status;
  if (status !== pkijs.PKIStatus.granted && status !== pkijs.PKIStatus.grantedWithMods) {
    const text = statusStrings?.map((s) => s.valueBlock.value).join(" ");
    const bits = failInfo ? failureBits(failInfo) : [];
    const why = [text && `"${text}"`, bits.length && `failInfo ${bits.join(", ")}`].filter(Boolean).join(", ");
    return { failure: `the TSA answered ${exchange} with status ${STATUS_NAMES[status] ?? status}${why ? ` (${why})` : ""}` };
  }
  // The token's own bytes: re-encoding a structure someone signed is how signatures get broken.
  const token = (asn1js.fromBER(replyDer).result as asn1js.Sequence).valueBlock.value[1];
  if (!reply.timeStampToken || !token) return { failure: `the TSA granted ${exchange} but sent no token` };
  if (reply.timeStampToken.contentType !== OID.signedData) {
    return { failure: `the TSA's token for ${exchange} is a ${reply.timeStampToken.contentType}, not a CMS SignedData` };
  }
  return { token: new Uint8Array(token.valueBeforeDecodeView) };
}

function failureBits(bits: asn1js.BitString): string[] {
  const bytes = bits.valueBlock.valueHexView;
  const set: string[] = [];
  for (let i = 0; i < bytes.length * 8 - bits.valueBlock.unusedBits; i++) {
    if (bytes[i >> 3] & (0x80 >> (i & 7))) set.push(FAILURE_BITS[i] ?? `bit ${i}`);
  }
  return set;
}

/** A token wrapped in a TimeStampResp with status granted, so that `openssl ts -verify -in file.tsr` reads it. */
export function timestampResponseFromToken(tokenDer: Uint8Array): Uint8Array {
  const timeStampToken = parseDer(tokenDer, pkijs.ContentInfo);
  if (!timeStampToken) throw new TypeError("not a time-stamp token (a DER ContentInfo)");
  const status = new pkijs.PKIStatusInfo({ status: pkijs.PKIStatus.granted });
  const response = new Uint8Array(new pkijs.TimeStampResp({ status, timeStampToken }).toSchema().toBER());
  // The token must go in as the TSA signed it: DER re-encodes to itself, anything else would not.
  const wrapped = (asn1js.fromBER(response).result as asn1js.Sequence).valueBlock.value[1];
  if (!Buffer.from(wrapped.valueBeforeDecodeView).equals(tokenDer))
    throw new TypeError("the token is not DER: it would not be wrapped byte for byte");
  return response;
}

export type TokenCheckId =
  | "tsa.parse"
  | "tsa.imprint"
  | "tsa.nonce"
  | "tsa.signature"
  | "tsa.signing-certificate"
  | "tsa.eku"
  | "tsa.chain"
  | "tsa.time";

export interface TokenCheck {
  /** Stable: scripts and the receipt verifier look for it. */
  id: TokenCheckId;
  label: string;
  status: "pass" | "fail" | "skip";
  detail: string;
}

export interface TokenVerification {
  /** No check failed, the token stamps the expected imprint, and its certificate chains to a trust anchor. */
  ok: boolean;
  /** genTime to the millisecond, rounded down; genTimeIso has every digit the token gives. */
  genTime: Date | null;
  genTimeIso: string | null;
  /** The last instant the token allows, genTime plus its accuracy, Unix ms rounded up. */
  latestMs: number | null;
  /** The TSA's serial number of the token, lowercase hex. */
  serialNumber: string | null;
  /** The TSA policy OID the token was issued under. */
  policy: string | null;
  accuracyMs: number | null;
  tsa: CertificateFacts | null;
  checks: TokenCheck[];
}

export interface TokenExpectation {
  /** The stamped data (a Merkle root's 32 bytes): its SHA-256 is the expected imprint. */
  data?: Uint8Array;
  /** The expected SHA-256 imprint, when the data is not at hand. */
  imprint?: Uint8Array;
  /** The nonce of the request this token answers; a stored token is checked without one. */
  nonce?: bigint;
  /** PEM certificates of the roots trusted for time-stamping. Without any, the time is not proven. */
  trustAnchors?: string[];
  /** When the token was received: genTime must be within toleranceMs of it. */
  receivedAt?: Date;
  /** @default 300000 (5 minutes: transit, the TSA's accuracy, and both clocks' drift) */
  toleranceMs?: number;
}

export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

const CHECKS: readonly (readonly [TokenCheckId, string])[] = [
  ["tsa.parse", "time-stamp token"],
  ["tsa.imprint", "time-stamp imprint"],
  ["tsa.nonce", "time-stamp nonce"],
  ["tsa.signature", "TSA signature"],
  ["tsa.signing-certificate", "TSA signing certificate (ESS)"],
  ["tsa.eku", "TSA certificate usage"],
  ["tsa.chain", "TSA certificate chain"],
  ["tsa.time", "time-stamp time"],
];

interface ParsedToken {
  signedData: pkijs.SignedData;
  signerInfo: pkijs.SignerInfo;
  tstInfo: pkijs.TSTInfo;
  time: TokenTime;
  signer: pkijs.Certificate | null;
}

/** A CMS SignedData over one id-ct-TSTInfo, with one signer (RFC 3161 §2.4.2); or what it is instead. */
function readToken(tokenDer: Uint8Array): ParsedToken | string {
  const carried = certificateCount(tokenDer);
  if (carried > MAX_TOKEN_CERTIFICATES) {
    return `the token carries ${carried} certificates; this verifier reads at most ${MAX_TOKEN_CERTIFICATES}`;
  }
  const contentInfo = parseDer(tokenDer, pkijs.ContentInfo);
  if (!contentInfo) return `not a DER ContentInfo (${tokenDer.length} bytes)`;
  if (contentInfo.contentType !== OID.signedData) return `a ContentInfo of type ${contentInfo.contentType}, not id-signedData`;
  let signedData: pkijs.SignedData;
  try {
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
  } catch {
    return "its content is not a CMS SignedData";
  }
  const { eContentType, eContent } = signedData.encapContentInfo;
  if (eContentType !== OID.tstInfo) return `the SignedData encapsulates ${eContentType}, not id-ct-TSTInfo (${OID.tstInfo})`;
  const tstInfo = eContent ? parseDer(eContent.getValue(), pkijs.TSTInfo) : null;
  if (!tstInfo) return "the SignedData's eContent is not a TSTInfo";
  if (tstInfo.version !== 1) return `TSTInfo version ${tstInfo.version}; expected 1`;
  const time = readTokenTime(eContent!.getValue());
  if (typeof time === "string") return time;
  if (signedData.signerInfos.length !== 1) return `${signedData.signerInfos.length} SignerInfos; a token has exactly one`;
  const [signerInfo] = signedData.signerInfos;
  return { signedData, signerInfo, tstInfo, time, signer: findSignerCertificate(signedData, signerInfo) };
}

/**
 * How many certificates the SignedData carries, counted on the bare ASN.1 before PKI.js reads them: a
 * token stuffed with certificates is refused at the cost of one parse, not of reading each one.
 */
function certificateCount(tokenDer: Uint8Array): number {
  const parsed = asn1js.fromBER(tokenDer);
  const content = (parsed.result as asn1js.Sequence).valueBlock?.value?.[1];
  const signedData = (content as asn1js.Constructed | undefined)?.valueBlock?.value?.[0] as asn1js.Sequence | undefined;
  const fields = signedData?.valueBlock?.value ?? [];
  const certificates = fields.find((f) => f.idBlock.tagClass === 3 && f.idBlock.tagNumber === 0) as asn1js.Constructed | undefined;
  return certificates?.valueBlock?.value?.length ?? 0;
}

function checkImprint(tstInfo: pkijs.TSTInfo, expect: TokenExpectation): Outcome {
  const { hashAlgorithm, hashedMessage } = tstInfo.messageImprint;
  const stamped = hex(hashedMessage.valueBlock.valueHexView);
  if (hashAlgorithm.algorithmId !== OID.sha256) return fail(`the token stamps a ${hashAlgorithm.algorithmId} digest; expected SHA-256`);
  const fromData = expect.data && hex(sha256Bytes(expect.data));
  const given = expect.imprint && hex(expect.imprint);
  if (fromData && given && fromData !== given) return fail(`the data's SHA-256 is ${fromData} but the expected imprint is ${given}`);
  const expected = fromData ?? given;
  if (!expected) return { status: "skip", detail: `no data or imprint given: the token stamps SHA-256 ${stamped}` };
  if (stamped !== expected) return fail(`the token stamps SHA-256 ${stamped}; expected ${expected}`);
  return pass(`SHA-256 ${stamped}`);
}

function checkNonce(tstInfo: pkijs.TSTInfo, expected: bigint | undefined): Outcome {
  const found = tstInfo.nonce?.toBigInt();
  const shown = found === undefined ? "none" : `0x${found.toString(16)}`;
  if (expected === undefined) return { status: "skip", detail: `no nonce expected (the token's: ${shown})` };
  if (found !== expected) return fail(`the token's nonce is ${shown}; the request's was 0x${expected.toString(16)}`);
  return pass(shown);
}

function checkTime(genTime: Date, receivedAt: Date | undefined, toleranceMs: number): Outcome {
  if (!receivedAt) return { status: "skip", detail: `no reception time given (genTime ${genTime.toISOString()})` };
  const lead = receivedAt.getTime() - genTime.getTime();
  const what = `genTime ${genTime.toISOString()}, received ${receivedAt.toISOString()}, tolerance ${toleranceMs} ms`;
  if (lead > toleranceMs) return fail(`genTime is ${lead} ms before reception: ${what}`);
  if (-lead > toleranceMs) return fail(`genTime is ${-lead} ms after reception: ${what}`);
  return pass(what);
}

/** Verifies a token on its own. Never throws: anything unreadable fails `tsa.parse`. */
export async function verifyTimestampToken(tokenDer: Uint8Array, expect: TokenExpectation = {}): Promise<TokenVerification> {
  const outcomes = new Map<TokenCheckId, Outcome>();
  const result: Omit<TokenVerification, "ok" | "checks"> = {
    genTime: null,
    genTimeIso: null,
    latestMs: null,
    serialNumber: null,
    policy: null,
    accuracyMs: null,
    tsa: null,
  };
  const run = async (id: TokenCheckId, check: () => Outcome | Promise<Outcome>) => {
    try {
      outcomes.set(id, await check());
    } catch (error) {
      outcomes.set(id, fail(`could not be checked: ${(error as Error)?.message ?? String(error)}`));
    }
  };

  let token: ParsedToken | string;
  try {
    token = readToken(tokenDer);
  } catch (error) {
    token = `unreadable: ${(error as Error)?.message ?? String(error)}`;
  }
  if (typeof token === "string") {
    outcomes.set("tsa.parse", fail(token));
  } else {
    const { signedData, signerInfo, tstInfo, signer, time } = token;
    outcomes.set("tsa.parse", pass(`a CMS SignedData over an id-ct-TSTInfo (policy ${tstInfo.policy}, serial ${serialHex(tstInfo)})`));
    Object.assign(result, {
      genTime: time.genTime,
      genTimeIso: time.genTimeIso,
      latestMs: time.latestMs,
      serialNumber: serialHex(tstInfo),
      policy: tstInfo.policy,
      accuracyMs: time.accuracyMicros === null ? null : Number(time.accuracyMicros) / 1000,
      tsa: signer && describeCertificate(signer),
    });
    await run("tsa.imprint", () => checkImprint(tstInfo, expect));
    await run("tsa.nonce", () => checkNonce(tstInfo, expect.nonce));
    await run("tsa.signature", () => checkSignature(signedData, signerInfo, signer));
    await run("tsa.signing-certificate", () => checkSigningCertificate(signerInfo, signer));
    await run("tsa.eku", () => checkTimeStampingUsage(signer));
    await run("tsa.chain", () => checkChain(signedData, signer, expect.trustAnchors, time.genTime));
    await run("tsa.time", () => checkTime(time.genTime, expect.receivedAt, expect.toleranceMs ?? DEFAULT_TOLERANCE_MS));
  }

  const checks = CHECKS.map(([id, label]): TokenCheck => {
    const outcome = outcomes.get(id) ?? { status: "skip", detail: "not checked: the token could not be read" };
    return { id, label, ...outcome };
  });
  const status = (id: TokenCheckId) => outcomes.get(id)?.status;
  const ok = checks.every((c) => c.status !== "fail") && status("tsa.chain") === "pass" && status("tsa.imprint") === "pass";
  return { ok, ...result, checks };
}

function serialHex(tstInfo: pkijs.TSTInfo): string {
  return hex(tstInfo.serialNumber.valueBlock.valueHexView).replace(/^(00)+(?=..)/, "");
}
