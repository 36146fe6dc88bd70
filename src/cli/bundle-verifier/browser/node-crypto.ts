/**
 * What the verification code takes from node:crypto, for verify.html (scripts/build-verifier.ts puts this
 * module in its place): SHA-256 and SHA-1 hashes (@noble/hashes), WebCrypto (the browser's own), and
 * X509Certificate's subject and issuer as Node prints them (OpenSSL's multi-line form: short names,
 * RFC 2253 escapes), read with PKI.js. Only what the verifiers call is here.
 */
import * as asn1js from "asn1js";
import { sha1 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import * as pkijs from "pkijs";

const HASHES = { sha256, sha1 } as const;

export function createHash(algorithm: string) {
  const hash = HASHES[algorithm.toLowerCase() as keyof typeof HASHES]?.create();
  if (!hash) throw new Error(`Digest method not supported: ${algorithm}`);
  return {
    update(data: string | Uint8Array) {
      hash.update(typeof data === "string" ? new TextEncoder().encode(data) : data);
      return this;
    },
    digest(encoding?: "hex") {
      const bytes = Buffer.from(hash.digest());
      return encoding ? bytes.toString(encoding) : bytes;
    },
  };
}

export const webcrypto = globalThis.crypto;

export function randomBytes(size: number): Buffer {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(size)));
}

/** OpenSSL's short names (obj_dat.h) of the attributes certificates name subjects with. */
const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.9": "street",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.12": "title",
  "2.5.4.42": "GN",
  "2.5.4.97": "organizationIdentifier",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.25": "DC",
  "0.9.2342.19200300.100.1.1": "UID",
};

export class X509Certificate {
  readonly subject: string;
  readonly issuer: string;
  constructor(der: Uint8Array) {
    const asn1 = asn1js.fromBER(der);
    if (asn1.offset === -1) throw new Error("not a DER certificate");
    const certificate = new pkijs.Certificate({ schema: asn1.result });
    this.subject = nameOf(certificate.subject);
    this.issuer = nameOf(certificate.issuer);
  }
}

/** One line per RDN, in order; the attributes of a multi-valued RDN joined by " + ". */
function nameOf(name: pkijs.RelativeDistinguishedNames): string {
  const sets = (asn1js.fromBER(name.valueBeforeDecode).result as asn1js.Sequence).valueBlock.value as asn1js.Set[];
  return sets
    .map((set) =>
      (set.valueBlock.value as asn1js.Sequence[])
        .map((attribute) => {
          const [type, value] = attribute.valueBlock.value as [asn1js.ObjectIdentifier, asn1js.BaseStringBlock];
          const oid = type.valueBlock.toString();
          return `${SHORT_NAMES[oid] ?? oid}=${escape2253(String(value.valueBlock.value))}`;
        })
        .join(" + "),
    )
    .join("\n");
}

/** RFC 2253 escapes, as OpenSSL's ASN1_STRFLGS_ESC_2253 and ESC_CTRL make them. */
function escape2253(value: string): string {
  return value
    .replace(/[,+"\\<>;]/g, "\\$&")
    .replace(/[\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`)
    .replace(/^[#\s]/, "\\$&")
    .replace(/\s$/, "\\ ");
}
