/**
 * Time-stamp tokens an attacker can make with no CA's help, to send to the public POST /v1/verify: small,
 * well-formed and signed, but carrying certificates that make a certificate-path builder work without
 * end. Nothing here chains to a trusted CA; the question is only how much work it takes to find that out.
 */
import { randomBytes } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { certificate, generate, signToken, type KeyPair } from "./memory-tsa.ts";

/** A self-made "TSA" certificate issued under `issuerName` by `issuerKeys`, and a token it signs over `data`. */
async function tokenUnder(data: Uint8Array, issuerName: string, issuerKeys: KeyPair, certificates: pkijs.Certificate[]) {
  const keys = await generate();
  const tsa = await certificate({ subject: "Attacker TSA", issuer: { name: issuerName, keys: issuerKeys }, keys, serial: 99, ca: false });
  return signToken({ data, certificates }, { certificate: tsa, keys, other: tsa });
}

/**
 * Two CA certificates that issued each other (X by Y's key, Y by X's key), and the signer issued by X: a
 * path builder that does not remember where it has been goes X → Y → X → … for ever. 1.3 KB.
 */
export async function cyclicIssuersToken(data: Uint8Array): Promise<Uint8Array> {
  const [x, y] = await Promise.all([generate(), generate()]);
  const xCert = await certificate({ subject: "X", issuer: { name: "Y", keys: y }, keys: x, serial: 10, ca: true });
  const yCert = await certificate({ subject: "Y", issuer: { name: "X", keys: x }, keys: y, serial: 11, ca: true });
  return tokenUnder(data, "X", x, [xCert, yCert]);
}

/**
 * No cycle: `layers` layers of `width` CA certificates each, every certificate of a layer issued (under
 * one key per layer) by the next layer's name, so that each one has `width` valid issuers. On top, the
 * attacker's own self-signed root. A path builder that lists every path meets width^layers of them: 8
 * layers of 8 is 16.7 million paths, in 20 KB.
 */
export async function ladderOfIssuersToken(data: Uint8Array, layers = 8, width = 8): Promise<Uint8Array> {
  const keys = await Promise.all(Array.from({ length: layers + 1 }, () => generate()));
  // The attacker's own self-signed root on top: every path ends somewhere, so none is given up early.
  const top = { name: `Layer ${layers}`, keys: keys[layers]! };
  const certificates = [await certificate({ subject: top.name, issuer: top, keys: top.keys, serial: 1_000_000, ca: true })];
  for (let layer = 0; layer < layers; layer++) {
    for (let i = 0; i < width; i++) {
      certificates.push(
        await certificate({
          subject: `Layer ${layer}`,
          issuer: { name: `Layer ${layer + 1}`, keys: keys[layer + 1]! },
          keys: keys[layer]!,
          serial: layer * 1000 + i + 1,
          ca: true,
        }),
      );
    }
  }
  return tokenUnder(data, "Layer 0", keys[0]!, certificates);
}

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const SHA256_WITH_RSA = "1.2.840.113549.1.1.11";

function commonName(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [new pkijs.AttributeTypeAndValue({ type: "2.5.4.3", value: new asn1js.Utf8String({ value: cn }) })],
  });
}

/** An RSA public key of 3072 bits with a 3072-bit public exponent: random, and costly to verify with. */
function heavyRsaKey(): pkijs.PublicKeyInfo {
  const unsigned = (bytes: Buffer) => new asn1js.Integer({ valueHex: Buffer.concat([Buffer.from([0]), bytes]) });
  const odd = (bytes: Buffer) => {
    bytes[0]! |= 0x80; // full length
    bytes[bytes.length - 1]! |= 1;
    return bytes;
  };
  const key = new asn1js.Sequence({ value: [unsigned(odd(randomBytes(384))), unsigned(odd(randomBytes(384)))] });
  return new pkijs.PublicKeyInfo({
    algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: RSA_ENCRYPTION, algorithmParams: new asn1js.Null() }),
    subjectPublicKey: new asn1js.BitString({ valueHex: key.toBER() }),
  });
}

/** A certificate whose RSA "signature" is random bytes: checking it costs what checking a real one does. */
function unsignedCertificate(subject: string, issuer: string, serial: number, key: pkijs.PublicKeyInfo): pkijs.Certificate {
  const c = new pkijs.Certificate();
  c.version = 2;
  c.serialNumber = new asn1js.Integer({ value: serial });
  c.issuer = commonName(issuer);
  c.subject = commonName(subject);
  c.notBefore.value = new Date(Date.now() - 86_400_000);
  c.notAfter.value = new Date(Date.now() + 86_400_000);
  c.subjectPublicKeyInfo = key;
  c.signature = new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_WITH_RSA, algorithmParams: new asn1js.Null() });
  c.signatureAlgorithm = c.signature;
  c.tbsView = new Uint8Array(c.encodeTBS().toBER());
  c.signatureValue = new asn1js.BitString({ valueHex: randomBytes(384) });
  return pkijs.Certificate.fromBER(c.toSchema().toBER());
}

/**
 * No cycle, no ladder: a signer whose certificate names an issuer, and `count` certificates of that name
 * with heavy RSA keys, every one of which a path builder tries. 36 fill the receipt's 64 KiB of base64.
 */
export async function manyHeavyIssuersToken(data: Uint8Array, count = 36): Promise<Uint8Array> {
  const keys = await generate();
  const own = await certificate({ subject: "Attacker TSA", issuer: { name: "Heavy", keys }, keys, serial: 5, ca: false });
  const signer = unsignedCertificate("Attacker TSA", "Heavy", 5, own.subjectPublicKeyInfo);
  const issuers = Array.from({ length: count }, (_, i) => unsignedCertificate("Heavy", "Heavy Root", 100 + i, heavyRsaKey()));
  return signToken({ data, certificates: issuers }, { certificate: signer, keys, other: signer });
}
