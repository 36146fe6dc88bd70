/** Signs PDFs with the operator's signing certificate (an electronic signature any PDF reader checks). */
export interface SigningCertificate {
  /** Distinguished names, as OpenSSL prints them ("CN=…, O=…"). */
  subject: string;
  issuer: string;
  /** Lowercase hex. */
  serialNumber: string;
  validFrom: string;
  validTo: string;
}

export interface SignatureDetails {
  signingTime: Date;
  /** Why the document is signed, as a reader shows it. */
  reason: string;
  /** The signer's name, as a reader shows it. */
  name: string;
  contactInfo?: string;
  location?: string;
}

export interface PdfSigner {
  readonly certificate: SigningCertificate;
  /** The PDF with a detached CMS signature (adbe.pkcs7.detached, SHA-256) over all of its bytes. */
  sign(pdf: Buffer, details: SignatureDetails): Promise<Buffer>;
}
