/**
 * A time-stamp authority made in memory with PKI.js, for unit tests: a root CA and a TSA certificate
 * (ECDSA P-256, made in milliseconds), and tokens signed the way a TSA should, or in ways OpenSSL's TSA
 * refuses to (a certificate without a critical timeStamping usage, no ESS attribute, an ESS attribute
 * that names another certificate). The real TSA of the integration tests is OpenSSL's (openssl-tsa.ts).
 */
import { webcrypto } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { sha256Bytes } from "../../src/domain/hashing.ts";
import { cryptoEngine, OID } from "../../src/domain/timestamp-signer.ts";

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const DAY = 86_400_000;

/** WebCrypto's key, as PKI.js's types name it. */
type Key = Parameters<pkijs.PublicKeyInfo["importKey"]>[0];

export interface KeyPair {
  privateKey: Key;
  publicKey: Key;
}

export interface CertificateOptions {
  /** The root CA's validity. @default from a day ago to 30 days ahead */
  caValidity?: { notBefore: Date; notAfter: Date };
  /** extendedKeyUsage purposes of the TSA certificate. @default [id-kp-timeStamping] */
  purposes?: readonly string[];
  /** @default true */
  ekuCritical?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** The TSA certificate is a CA too: basicConstraints cA, keyUsage keyCertSign and digitalSignature. */
  tsaIsCa?: boolean;
  /** keyUsage bits of the TSA certificate (0 digitalSignature … 5 keyCertSign); none: no keyUsage. */
  tsaKeyUsage?: readonly number[];
}

function name(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: commonName }) })],
  });
}

function extension(extnID: string, critical: boolean, value: { toSchema(): asn1js.AsnType } | asn1js.BaseBlock): pkijs.Extension {
  const schema = "toSchema" in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

/** A certificate as a CA would issue it: a CA's (basicConstraints cA, keyCertSign) or a TSA's (see CertificateOptions). */
export async function certificate(options: {
  subject: string;
  issuer: { name: string; keys: KeyPair };
  keys: KeyPair;
  serial: number;
  ca: boolean;
  validity?: { notBefore?: Date; notAfter?: Date };
  tsa?: CertificateOptions;
}): Promise<pkijs.Certificate> {
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: options.serial });
  cert.issuer = name(options.issuer.name);
  cert.subject = name(options.subject);
  cert.notBefore.value = options.validity?.notBefore ?? new Date(Date.now() - DAY);
  cert.notAfter.value = options.validity?.notAfter ?? new Date(Date.now() + 30 * DAY);
  const tsaIsCa = !options.ca && options.tsa?.tsaIsCa === true;
  cert.extensions = [extension("2.5.29.19", true, new pkijs.BasicConstraints({ cA: options.ca || tsaIsCa }))];
  const keyUsage = tsaIsCa ? [0, 5] : options.ca ? undefined : options.tsa?.tsaKeyUsage;
  if (keyUsage?.length) {
    const bits = new Uint8Array([keyUsage.reduce((byte, bit) => byte | (0x80 >> bit), 0)]);
    cert.extensions.push(extension("2.5.29.15", true, new asn1js.BitString({ valueHex: bits, unusedBits: 0 })));
  }
  if (options.ca) {
    cert.extensions.push(extension("2.5.29.15", true, new asn1js.BitString({ valueHex: new Uint8Array([0x06]), unusedBits: 1 })));
  } else {
    const purposes = options.tsa?.purposes ?? [OID.timeStamping];
    if (purposes.length) {
      cert.extensions.push(
        extension(OID.extKeyUsage, options.tsa?.ekuCritical ?? true, new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] })),
      );
    }
  }
  await cert.subjectPublicKeyInfo.importKey(options.keys.publicKey, cryptoEngine);
  await cert.sign(options.issuer.keys.privateKey, "SHA-256", cryptoEngine);
  // Read back from DER, as a verifier meets it.
  return pkijs.Certificate.fromBER(cert.toSchema().toBER());
}

export const generate = () => webcrypto.subtle.generateKey(EC, false, ["sign", "verify"]) as unknown as Promise<KeyPair>;

export interface TokenOptions {
  /** The stamped data. */
  data: Uint8Array;
  nonce?: bigint;
  genTime?: Date;
  serial?: number;
  /** The ESS attribute: v2 (SHA-256), v1 (SHA-1), none, or one naming another certificate. @default "v2" */
  ess?: "v2" | "v1" | "none" | "other-certificate";
  /** Name the signer by subject key identifier rather than by issuer and serial. */
  bySubjectKeyIdentifier?: boolean;
  /** Leave the signer's certificate out of the token. */
  withoutCertificate?: boolean;
  /** The TSTInfo's accuracy, as encoded (RFC 3161 allows seconds ≥ 0, millis and micros 1 to 999). @default { seconds: 1 } */
  accuracy?: { seconds?: number; millis?: number; micros?: number };
  /** genTime as the GeneralizedTime's exact characters, for encodings a conforming TSA never makes. */
  genTimeText?: string;
  /** More certificates the token carries, after the signer's. */
  certificates?: readonly pkijs.Certificate[];
}

export interface TokenSigner {
  certificate: pkijs.Certificate;
  keys: KeyPair;
  /** The certificate an "other-certificate" ESS attribute names. */
  other: pkijs.Certificate;
}

export interface MemoryTsa {
  caPem: string;
  tsaCertificate: pkijs.Certificate;
  token(options: TokenOptions): Promise<Uint8Array>;
}

export async function memoryTsa(options: CertificateOptions = {}): Promise<MemoryTsa> {
  const [caKeys, tsaKeys] = await Promise.all([generate(), generate()]);
  const issuer = { name: "Unit Root CA", keys: caKeys };
  const ca = await certificate({ subject: "Unit Root CA", issuer, keys: caKeys, serial: 1, ca: true, validity: options.caValidity });
  const tsa = await certificate({ subject: "Unit TSA", issuer, keys: tsaKeys, serial: 2, ca: false, validity: options, tsa: options });
  const caPem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(ca.toSchema().toBER()).toString("base64")}\n-----END CERTIFICATE-----\n`;

  const token = (t: TokenOptions) => signToken(t, { certificate: tsa, keys: tsaKeys, other: ca });
  return { caPem, tsaCertificate: tsa, token };
}

/** A TimeStampToken over `t.data`, signed by `signer`. */
export async function signToken(t: TokenOptions, signer: TokenSigner): Promise<Uint8Array> {
  const { certificate: tsa, keys: tsaKeys, other: ca } = signer;
  const tstInfo = new pkijs.TSTInfo({
    version: 1,
    policy: "1.2.3.4.1",
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: sha256Bytes(t.data) }),
    }),
    serialNumber: new asn1js.Integer({ value: t.serial ?? 7 }),
    genTime: t.genTime ?? new Date(),
    accuracy: new pkijs.Accuracy(t.accuracy ?? { seconds: 1 }),
    ...(t.nonce === undefined ? {} : { nonce: asn1js.Integer.fromBigInt(t.nonce) }),
  });
  const tstSchema = tstInfo.toSchema();
  if (t.genTimeText) {
    // PKI.js writes a Date; this writes the characters given, as a non-conforming TSA would.
    tstSchema.valueBlock.value[4] = new asn1js.Primitive({
      idBlock: { tagClass: 1, tagNumber: 24 },
      valueHex: Buffer.from(t.genTimeText, "ascii"),
    });
  }
  const eContent = new Uint8Array(tstSchema.toBER());
  const tsaDer = new Uint8Array(tsa.toSchema().toBER());
  const attributes = [
    new pkijs.Attribute({ type: OID.contentType, values: [new asn1js.ObjectIdentifier({ value: OID.tstInfo })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: sha256Bytes(eContent) })] }),
  ];
  const ess = t.ess ?? "v2";
  if (ess !== "none") {
    const named = ess === "other-certificate" ? new Uint8Array(ca.toSchema().toBER()) : tsaDer;
    const hash = ess === "v1" ? new Uint8Array(await webcrypto.subtle.digest("SHA-1", named)) : sha256Bytes(named);
    // SigningCertificate(V2) ::= SEQUENCE { certs SEQUENCE OF ESSCertID(v2) }; ESSCertIDv2's hash is SHA-256 by default.
    const certId = new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: hash })] });
    const value = new asn1js.Sequence({ value: [new asn1js.Sequence({ value: [certId] })] });
    attributes.push(new pkijs.Attribute({ type: ess === "v1" ? OID.signingCertificate : OID.signingCertificateV2, values: [value] }));
  }
  const ski = await webcrypto.subtle.digest("SHA-1", tsa.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView);
  const sid = t.bySubjectKeyIdentifier
    ? new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: ski })
    : new pkijs.IssuerAndSerialNumber({ issuer: tsa.issuer, serialNumber: tsa.serialNumber });
  const certificates = [...(t.withoutCertificate ? [] : [tsa]), ...(t.certificates ?? [])];
  const signedData = new pkijs.SignedData({
    version: 3,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.tstInfo,
      eContent: new asn1js.OctetString({ valueHex: eContent }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: t.bySubjectKeyIdentifier ? 3 : 1,
        sid,
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
      }),
    ],
    ...(certificates.length ? { certificates } : {}),
  });
  await signedData.sign(tsaKeys.privateKey, 0, "SHA-256", undefined, cryptoEngine);
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER());
}
