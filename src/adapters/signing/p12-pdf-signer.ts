/**
 * PdfSigner over a PKCS#12 file (the operator's signing key and certificate, with its CA chain), with
 * @signpdf: a placeholder appended to the finished PDF as an incremental update (placeholder-plain, so
 * the renderer knows nothing of signing), then a detached CMS signature, SHA-256, RSA (signer-p12, over
 * node-forge). The file is opened and a signature tried when the service starts: a wrong password, a
 * key this signer cannot use or a certificate out of its validity stop the start, not the first download.
 */
import { X509Certificate } from "node:crypto";
import { plainAddPlaceholder } from "@signpdf/placeholder-plain";
import { SignPdf } from "@signpdf/signpdf";
import { P12Signer } from "@signpdf/signer-p12";
import forge from "node-forge";
import type { PdfSigner, SignatureDetails, SigningCertificate } from "../../ports/pdf-signer.ts";

/** Room for the CMS SignedData: a 4096-bit signature with a chain of several certificates fits. */
const SIGNATURE_LENGTH = 16_384;

/** Why a PKCS#12 file cannot sign: `field` says whether the file or its password is at fault. */
export class SigningKeyError extends Error {
  override readonly name = "SigningKeyError";
  readonly field: "file" | "password";
  constructor(field: "file" | "password", message: string) {
    super(message);
    this.field = field;
  }
}

export async function p12PdfSigner(p12: Buffer, password: string, now = new Date()): Promise<PdfSigner> {
  const certificate = signingCertificate(p12, password, now);
  const signPdf = new SignPdf();
  const pdfSigner: PdfSigner = {
    certificate,
    async sign(pdf: Buffer, details: SignatureDetails): Promise<Buffer> {
      const prepared = plainAddPlaceholder({
        pdfBuffer: pdf,
        reason: details.reason,
        name: details.name,
        contactInfo: details.contactInfo ?? "",
        location: details.location ?? "",
        signingTime: details.signingTime,
        signatureLength: SIGNATURE_LENGTH,
      });
      // A signer per signature: P12Signer reads its key from a forge buffer that its first signature consumes.
      return signPdf.sign(prepared, new P12Signer(p12, { passphrase: password }), details.signingTime);
    },
  };
  try {
    await pdfSigner.sign(await blankPdf(), { signingTime: now, reason: "check", name: "check" });
  } catch (error) {
    throw new SigningKeyError("file", `it cannot sign a PDF (${error instanceof Error ? error.message : String(error)})`);
  }
  return pdfSigner;
}

/** The certificate that matches the file's private key, checked as signer-p12 will use it. */
function signingCertificate(p12: Buffer, password: string, now: Date): SigningCertificate {
  let pkcs12: forge.pkcs12.Pkcs12Pfx;
  try {
    pkcs12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(p12.toString("binary"))), false, password);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // forge's words for a MAC that does not verify: the password is wrong (it never repeats the password).
    if (/MAC could not be verified|Invalid password/i.test(message)) {
      throw new SigningKeyError("password", "does not open the PKCS#12 file (its integrity check fails with it)");
    }
    throw new SigningKeyError("file", `is not a PKCS#12 file this service can read (${message})`);
  }
  const keys = pkcs12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag })[forge.pki.oids.pkcs8ShroudedKeyBag] ?? [];
  const key = keys[0]?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key?.n) throw new SigningKeyError("file", "holds no RSA private key (the signer supports RSA keys in a shrouded key bag)");
  const certs = pkcs12.getBags({ bagType: forge.pki.oids.certBag })[forge.pki.oids.certBag] ?? [];
  const own = certs.find((bag) => {
    const publicKey = bag.cert?.publicKey as forge.pki.rsa.PublicKey | undefined;
    return publicKey?.n && publicKey.n.compareTo(key.n) === 0 && publicKey.e.compareTo(key.e) === 0;
  });
  if (!own?.cert) throw new SigningKeyError("file", "holds no certificate for its private key");
  const x509 = new X509Certificate(forge.pki.certificateToPem(own.cert));
  const validFrom = new Date(x509.validFrom);
  const validTo = new Date(x509.validTo);
  if (now < validFrom || now > validTo) {
    throw new SigningKeyError(
      "file",
      `its certificate (${oneLine(x509.subject)}) is valid from ${validFrom.toISOString()} to ${validTo.toISOString()}, not now`,
    );
  }
  return {
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    serialNumber: x509.serialNumber.toLowerCase(),
    validFrom: validFrom.toISOString(),
    validTo: validTo.toISOString(),
  };
}

/** Node gives a name's attributes one per line. */
const oneLine = (name: string) => name.split("\n").join(", ");

async function blankPdf(): Promise<Buffer> {
  const { default: PDFDocument } = await import("pdfkit");
  const doc = new PDFDocument({ size: "A6" });
  const chunks: Buffer[] = [];
  doc.on("data", (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve) => doc.on("end", () => resolve(Buffer.concat(chunks))));
  doc.end();
  return done;
}
