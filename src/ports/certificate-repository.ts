/**
 * Fixed certificates: the one PDF made for an evidence item's anchor, kept in the content store, and here
 * what was recorded when it was made. The first certificate recorded for an anchor is the one; it is never
 * replaced (an item anchored again, after its chain lost the first anchor, gets one for its new anchor).
 */
export interface StoredCertificate {
  evidenceId: string;
  /** The anchoring transaction the certificate states. */
  anchorTxHash: string;
  /** SHA-256 of the PDF's bytes, lowercase hex: what every download must hash to. */
  sha256: string;
  /** Where the bytes are in the content store. */
  cid: string;
  size: number;
  createdAt: string;
  /** Whether the PDF carries the operator's electronic signature. */
  signed: boolean;
}

export interface CertificateRepository {
  /** The certificate recorded for this item's anchor, if any. */
  get(evidenceId: string, anchorTxHash: string): Promise<StoredCertificate | null>;
  /**
   * Records `certificate` unless one is already recorded for its item's anchor, and returns the one
   * recorded: of several instances that made a certificate at once, the first to record it wins.
   */
  record(certificate: StoredCertificate): Promise<StoredCertificate>;
}
