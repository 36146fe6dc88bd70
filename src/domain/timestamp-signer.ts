/**
 * The signer's side of an RFC 3161 time-stamp token: is the SignerInfo's signature good and over this
 * TSTInfo, is it bound to the certificate it names (ESS signingCertificate, RFC 2634 / RFC 5035 / RFC
 * 5816), is that certificate issued for time-stamping only (RFC 3161 §2.3), and does it chain to a root
 * the verifier trusts, every certificate valid at the token's time. Pure (no I/O): PKI.js on Node's
 * WebCrypto. Each check returns an outcome that says what was expected and what was found; none throws.
 */
import { createHash, webcrypto, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";

export const OID = {
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  signedData: "1.2.840.113549.1.7.2",
  tstInfo: "1.2.840.113549.1.9.16.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingCertificate: "1.2.840.113549.1.9.16.2.12",
  signingCertificateV2: "1.2.840.113549.1.9.16.2.47",
  subjectKeyIdentifier: "2.5.29.14",
  extKeyUsage: "2.5.29.37",
  keyUsage: "2.5.29.15",
  basicConstraints: "2.5.29.19",
  timeStamping: "1.3.6.1.5.5.7.3.8",
} as const;

type EngineCrypto = NonNullable<ConstructorParameters<typeof pkijs.CryptoEngine>[0]>["crypto"];
type Bytes = ArrayBuffer | ArrayBufferView;
type Algorithm = { name: string };

/** PKI.js on Node's WebCrypto, handed to every call rather than read from PKI.js's process-wide engine. */
export const cryptoEngine = new pkijs.CryptoEngine({ name: "node-webcrypto", crypto: webcrypto as unknown as EngineCrypto });

export interface Outcome {
  status: "pass" | "fail" | "skip";
  detail: string;
}

export const pass = (detail: string): Outcome => ({ status: "pass", detail });
export const fail = (detail: string): Outcome => ({ status: "fail", detail });

/** One whole DER value read as a PKI.js type, or null (not BER, trailing bytes, or not of that shape). */
export function parseDer<T>(input: Bytes, Type: new (parameters: { schema: unknown }) => T): T | null {
  const bytes = view(input);
  const asn1 = asn1js.fromBER(bytes);
  if (asn1.offset !== bytes.length || asn1.result.error) return null;
  try {
    return new Type({ schema: asn1.result });
  } catch {
    return null;
  }
}

const view = (bytes: Bytes): Uint8Array =>
  ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);

export const hex = (bytes: Bytes): string => Buffer.from(view(bytes)).toString("hex");

const der = (certificate: pkijs.Certificate): Uint8Array<ArrayBuffer> => new Uint8Array(certificate.toSchema().toBER());

export interface CertificateFacts {
  subject: string;
  issuer: string;
  sha256Fingerprint: string;
}

/** Subject and issuer as OpenSSL prints them one attribute a line, here joined by commas. */
export function describeCertificate(certificate: pkijs.Certificate): CertificateFacts {
  const bytes = der(certificate);
  const sha256Fingerprint = createHash("sha256").update(bytes).digest("hex");
  try {
    const x509 = new X509Certificate(bytes);
    return { subject: x509.subject.split("\n").join(", "), issuer: x509.issuer.split("\n").join(", "), sha256Fingerprint };
  } catch {
    return { subject: "(unreadable)", issuer: "(unreadable)", sha256Fingerprint };
  }
}

/** The certificate a SignerInfo names (by issuer and serial, or by subject key identifier), if the token carries it. */
export function findSignerCertificate(signedData: pkijs.SignedData, signerInfo: pkijs.SignerInfo): pkijs.Certificate | null {
  const certificates = (signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const sid = signerInfo.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return certificates.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber)) ?? null;
  }
  const tagged = sid as asn1js.Constructed | asn1js.Primitive;
  const keyId =
    tagged instanceof asn1js.Constructed ? (tagged.valueBlock.value[0] as asn1js.OctetString)?.valueBlock.valueHexView : undefined;
  const wanted = keyId ?? (tagged as asn1js.Primitive).valueBlock?.valueHexView;
  if (!wanted) return null;
  return (
    certificates.find((c) => {
      const ski = c.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier)?.parsedValue as asn1js.OctetString | undefined;
      const own =
        ski?.valueBlock.valueHexView ?? createHash("sha1").update(c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest();
      return Buffer.from(own).equals(Buffer.from(wanted));
    }) ?? null
  );
}

function signedAttribute(signerInfo: pkijs.SignerInfo, type: string): unknown[] | undefined {
  return signerInfo.signedAttrs?.attributes.find((a) => a.type === type)?.values;
}

/** The SignerInfo's signature over its signed attributes, whose messageDigest must be the TSTInfo's. */
export async function checkSignature(signedData: pkijs.SignedData, signerInfo: pkijs.SignerInfo, signer: pkijs.Certificate | null) {
  if (!signer) return fail("the token does not carry the certificate its SignerInfo names: the signature cannot be checked");
  if (!signerInfo.signedAttrs) return fail("the SignerInfo has no signed attributes (RFC 3161 requires them)");
  const contentType = signedAttribute(signerInfo, OID.contentType)?.[0];
  const contentTypeValue = contentType instanceof asn1js.ObjectIdentifier ? contentType.getValue() : "none";
  if (contentTypeValue !== OID.tstInfo)
    return fail(`the content-type attribute is ${contentTypeValue}; expected id-ct-TSTInfo (${OID.tstInfo})`);
  const digestAlgorithm = cryptoEngine.getAlgorithmByOID<Algorithm>(signerInfo.digestAlgorithm.algorithmId);
  if (!("name" in digestAlgorithm)) return fail(`unsupported digest algorithm ${signerInfo.digestAlgorithm.algorithmId}`);
  const messageDigest = signedAttribute(signerInfo, OID.messageDigest)?.[0];
  if (!(messageDigest instanceof asn1js.OctetString)) return fail("the SignerInfo has no messageDigest attribute");
  const eContent = signedData.encapContentInfo.eContent!.getValue();
  const digest = hex(await cryptoEngine.digest(digestAlgorithm, eContent));
  const claimed = hex(messageDigest.valueBlock.valueHexView);
  if (digest !== claimed) {
    return fail(`the messageDigest attribute is ${claimed}; the TSTInfo's ${digestAlgorithm.name} is ${digest}: the TSTInfo was altered`);
  }
  const signatureAlgorithm = signerInfo.signatureAlgorithm;
  let valid: boolean;
  try {
    // rsaEncryption names no hash: the SignerInfo's digest algorithm is the one (as PKI.js's SignedData.verify does).
    const hash = signatureAlgorithm.algorithmId === OID.rsaEncryption ? digestAlgorithm.name : undefined;
    valid = await cryptoEngine.verifyWithPublicKey(
      signerInfo.signedAttrs.encodedValue,
      signerInfo.signature,
      signer.subjectPublicKeyInfo,
      signatureAlgorithm,
      hash,
    );
  } catch (error) {
    return fail(`the signature could not be checked: ${(error as Error).message}`);
  }
  const named = `${signatureName(signatureAlgorithm.algorithmId)} with ${digestAlgorithm.name}`;
  const by = describeCertificate(signer).subject;
  if (!valid) return fail(`the ${named} signature over the signed attributes does not verify with the key of ${by}`);
  return pass(`${named} signature by ${by} over the signed attributes; their messageDigest is the TSTInfo's ${digestAlgorithm.name}`);
}

function signatureName(oid: string): string {
  if (oid === OID.rsaEncryption) return "RSASSA-PKCS1-v1_5"; // PKI.js names the key's OID for encryption
  const algorithm = cryptoEngine.getAlgorithmByOID<Algorithm>(oid);
  return "name" in algorithm ? algorithm.name : oid;
}

interface EssCertId {
  hashAlgorithm: string;
  certHash: Uint8Array;
  issuerSerial?: pkijs.IssuerSerial;
}

/** The first ESSCertID(v2) of a SigningCertificate(V2) value: the one that names the signer (RFC 5035 §3). */
function firstEssCertId(value: unknown, v2: boolean): EssCertId | string {
  const certs = value instanceof asn1js.Sequence ? value.valueBlock.value[0] : undefined;
  const id = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(id instanceof asn1js.Sequence)) return "it holds no certificate identifier";
  const parts = [...id.valueBlock.value];
  // ESSCertIDv2's hashAlgorithm is DEFAULT sha256 (left out in DER); ESSCertID's hash is always SHA-1.
  let hashAlgorithm: string = v2 ? OID.sha256 : OID.sha1;
  if (v2 && parts[0] instanceof asn1js.Sequence) hashAlgorithm = new pkijs.AlgorithmIdentifier({ schema: parts.shift() }).algorithmId;
  const certHash = parts.shift();
  if (!(certHash instanceof asn1js.OctetString)) return "its certificate identifier has no certHash";
  try {
    const issuerSerial = parts[0] ? new pkijs.IssuerSerial({ schema: parts[0] }) : undefined;
    return { hashAlgorithm, certHash: certHash.valueBlock.valueHexView, issuerSerial };
  } catch {
    return "its issuerSerial is malformed";
  }
}

/** ESS signingCertificate (SHA-1) or signingCertificateV2 (RFC 5816): the signature names this very certificate. */
export async function checkSigningCertificate(signerInfo: pkijs.SignerInfo, signer: pkijs.Certificate | null): Promise<Outcome> {
  if (!signer) return fail("the token does not carry the certificate its SignerInfo names");
  const found: string[] = [];
  for (const [type, name, v2] of [
    [OID.signingCertificateV2, "signingCertificateV2", true],
    [OID.signingCertificate, "signingCertificate", false],
  ] as const) {
    const values = signedAttribute(signerInfo, type);
    if (!values) continue;
    const id = firstEssCertId(values[0], v2);
    if (typeof id === "string") return fail(`the ${name} attribute is malformed: ${id}`);
    const algorithm = cryptoEngine.getAlgorithmByOID<Algorithm>(id.hashAlgorithm);
    if (!("name" in algorithm)) return fail(`the ${name} attribute uses an unsupported hash ${id.hashAlgorithm}`);
    const actual = hex(await cryptoEngine.digest(algorithm, der(signer)));
    if (actual !== hex(id.certHash)) {
      return fail(
        `the ${name} attribute names a certificate whose ${algorithm.name} is ${hex(id.certHash)}; the signer certificate's is ${actual}`,
      );
    }
    if (id.issuerSerial) {
      const directory = id.issuerSerial.issuer.names.find((n) => n.type === 4)?.value as pkijs.RelativeDistinguishedNames | undefined;
      const sameSerial = id.issuerSerial.serialNumber.isEqual(signer.serialNumber);
      if (!sameSerial || !directory?.isEqual(signer.issuer)) {
        return fail(
          `the ${name} attribute's issuerSerial does not name the signer certificate (issuer and serial ${hex(signer.serialNumber.valueBlock.valueHexView)})`,
        );
      }
    }
    found.push(`${name} (${algorithm.name}${id.issuerSerial ? ", issuer and serial" : ""})`);
  }
  if (!found.length)
    return fail("neither signingCertificate nor signingCertificateV2 is among the signed attributes (RFC 3161 §2.4.2, RFC 5816)");
  return pass(`${found.join(" and ")} matches the signer certificate`);
}

/** RFC 3161 §2.3: one extendedKeyUsage extension, critical, holding id-kp-timeStamping alone. */
export function checkTimeStampingUsage(signer: pkijs.Certificate | null): Outcome {
  if (!signer) return fail("the token does not carry the certificate its SignerInfo names");
  const usages = signer.extensions?.filter((e) => e.extnID === OID.extKeyUsage) ?? [];
  if (usages.length !== 1)
    return fail(`the signer certificate has ${usages.length} extendedKeyUsage extensions; expected one with id-kp-timeStamping`);
  const [usage] = usages;
  const purposes = usage.parsedValue instanceof pkijs.ExtKeyUsage ? usage.parsedValue.keyPurposes : [];
  if (purposes.length !== 1 || purposes[0] !== OID.timeStamping) {
    return fail(`extendedKeyUsage is [${purposes.join(", ")}]; expected id-kp-timeStamping (${OID.timeStamping}) alone`);
  }
  if (!usage.critical) return fail("extendedKeyUsage id-kp-timeStamping is not marked critical (RFC 3161 §2.3 requires it)");
  // What OpenSSL's time-stamp purpose also asks (openssl ts -verify refuses the token otherwise): the
  // TSA's certificate is not a CA's, and a keyUsage, if any, allows signing.
  if (isCa(signer))
    return fail("the TSA certificate is a CA certificate (basicConstraints cA): a time-stamping certificate may not be one");
  const keyUsage = signer.extensions?.find((e) => e.extnID === OID.keyUsage);
  if (keyUsage) {
    const bits = keyUsageBits(keyUsage);
    if (!bits.includes("digitalSignature") && !bits.includes("nonRepudiation")) {
      return fail(
        `keyUsage is [${bits.join(", ")}]: it allows neither digitalSignature nor nonRepudiation, so the key may not sign a time-stamp`,
      );
    }
  }
  return pass(`extendedKeyUsage id-kp-timeStamping (${OID.timeStamping}), critical; not a CA certificate`);
}

const KEY_USAGE_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];

function keyUsageBits(extension: pkijs.Extension): string[] {
  const parsed = asn1js.fromBER(extension.extnValue.valueBlock.valueHexView).result;
  if (!(parsed instanceof asn1js.BitString)) return [];
  const bytes = parsed.valueBlock.valueHexView;
  return KEY_USAGE_NAMES.filter((_, i) => (bytes[i >> 3] ?? 0) & (0x80 >> (i & 7)));
}

function readPemCertificates(pems: string[]): pkijs.Certificate[] | string {
  const certificates: pkijs.Certificate[] = [];
  for (const [index, pem] of pems.entries()) {
    const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g)];
    if (!blocks.length) return `trust anchor ${index + 1} is not a PEM certificate`;
    for (const [, base64] of blocks) {
      const certificate = parseDer(Buffer.from(base64, "base64"), pkijs.Certificate);
      if (!certificate) return `trust anchor ${index + 1} holds a certificate that cannot be read`;
      certificates.push(certificate);
    }
  }
  return certificates;
}

const validAt = (c: pkijs.Certificate, at: Date) => c.notBefore.value <= at && at <= c.notAfter.value;

/** The signer certificate chains to one of the trust anchors, and every certificate on the way is valid at genTime. */
export async function checkChain(
  signedData: pkijs.SignedData,
  signer: pkijs.Certificate | null,
  trustAnchors: string[] | undefined,
  genTime: Date,
): Promise<Outcome> {
  if (!trustAnchors?.length) {
    return {
      status: "skip",
      detail: "no trust anchor given: the TSA certificate was not checked against a trusted root, so the token's time is not proven",
    };
  }
  if (!signer) return fail("the token does not carry the certificate its SignerInfo names");
  const anchors = readPemCertificates(trustAnchors);
  if (typeof anchors === "string") return fail(anchors);
  const { subject } = describeCertificate(signer);
  const at = genTime.toISOString();
  if (!validAt(signer, genTime)) {
    const from = signer.notBefore.value.toISOString();
    const to = signer.notAfter.value.toISOString();
    return fail(`the TSA certificate ${subject} is valid from ${from} to ${to}, not at genTime ${at}`);
  }
  const carried = (signedData.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  if (carried.length > MAX_TOKEN_CERTIFICATES) {
    return fail(`the token carries ${carried.length} certificates; this verifier reads at most ${MAX_TOKEN_CERTIFICATES}`);
  }
  const others = carried.filter((c) => !Buffer.from(c.tbsView).equals(Buffer.from(signer.tbsView)));
  const roots = anchors.map((a) => describeCertificate(a).subject).join("; ");
  const found = await buildPath(signer, others, anchors, genTime);
  if (Array.isArray(found)) {
    return pass(`${found.map((c) => describeCertificate(c).subject).join(" → ")} (trusted); every certificate valid at genTime ${at}`);
  }
  const invalid = [...others, ...anchors]
    .filter((c) => !validAt(c, genTime))
    .map((c) => `${describeCertificate(c).subject} is valid from ${c.notBefore.value.toISOString()} to ${c.notAfter.value.toISOString()}`);
  const why = invalid.length ? `; ${invalid.join("; ")}` : "";
  return fail(`${subject} does not chain to a trust anchor (${roots}) at genTime ${at}: ${found}${why}`);
}

/** A token's certificates are the TSA's own and its chain: a handful. More is refused, not searched. */
export const MAX_TOKEN_CERTIFICATES = 10;
const MAX_PATH_LENGTH = 6;
const MAX_SIGNATURE_CHECKS = 64;

/** basicConstraints with cA true. */
function isCa(c: pkijs.Certificate): boolean {
  const extension = c.extensions?.find((e) => e.extnID === OID.basicConstraints);
  return extension?.parsedValue instanceof pkijs.BasicConstraints && extension.parsedValue.cA === true;
}

/**
 * A path from the signer through the token's certificates to a trust anchor, every certificate valid at
 * genTime, every issuer a CA naming the child's issuer, every signature checked; or why there is none.
 * The search is bounded: a certificate never appears twice on a path, a path has at most
 * MAX_PATH_LENGTH steps, and at most MAX_SIGNATURE_CHECKS signatures are tried, so certificates made to
 * loop or to multiply paths cost a verifier milliseconds, not its CPU. Signatures are checked with
 * WebCrypto (PKI.js), so that verify.html checks in the browser what verify.mjs checks in Node.
 */
async function buildPath(
  signer: pkijs.Certificate,
  pool: pkijs.Certificate[],
  anchors: pkijs.Certificate[],
  at: Date,
): Promise<pkijs.Certificate[] | string> {
  let budget = MAX_SIGNATURE_CHECKS;
  let exhausted = false;
  const same = (a: pkijs.Certificate, b: pkijs.Certificate) => Buffer.from(der(a)).equals(Buffer.from(der(b)));
  const issuedBy = async (child: pkijs.Certificate, parent: pkijs.Certificate) => {
    if (!isCa(parent) || !validAt(parent, at) || !child.issuer.isEqual(parent.subject)) return false;
    if (budget <= 0) {
      exhausted = true;
      return false;
    }
    budget -= 1;
    return child.verify(parent, cryptoEngine).catch(() => false);
  };
  const walk = async (current: pkijs.Certificate, path: pkijs.Certificate[]): Promise<pkijs.Certificate[] | null> => {
    for (const anchor of anchors) {
      if (same(current, anchor) && validAt(anchor, at)) return [...path, current];
      if (await issuedBy(current, anchor)) return [...path, current, anchor];
    }
    if (path.length + 1 >= MAX_PATH_LENGTH) return null;
    for (const candidate of pool) {
      if (candidate === current || path.includes(candidate)) continue;
      if (await issuedBy(current, candidate)) {
        const found = await walk(candidate, [...path, current]);
        if (found) return found;
      }
      if (exhausted) return null;
    }
    return null;
  };
  return (
    (await walk(signer, [])) ??
    (exhausted
      ? `no path found within ${MAX_SIGNATURE_CHECKS} signature checks`
      : "no path of valid CA certificates, each signing the next, leads from the TSA certificate to a trust anchor")
  );
}
