/**
 * anchored item → its fixed certificate: made once, when the item is final, kept in the content store
 * with its SHA-256 recorded in the index, and the same bytes given out on every download (and packed in
 * every bundle). Final means anchored, with every RFC 3161 time-stamp authority answered, or asked longer
 * ago than `timestampWaitMs` (a TSA down for days does not hold certificates back; the certificate then
 * names it as pending). Before that: 409 CERTIFICATE_NOT_READY, with when to try again.
 *
 * Several instances may be asked at once: each makes a certificate, the first recorded is the one, and
 * the others give that one out (theirs is released from the store). A crash before the record leaves no
 * certificate, only content to be reclaimed; the next request makes it again. The index and the store are
 * not trusted: the bytes are re-hashed against the recorded SHA-256, and must name the item, before they
 * are given out (500 CERTIFICATE_INTEGRITY otherwise).
 */
import { fileFacts } from "../domain/content-id.ts";
import { isLoopbackUrl } from "../domain/endpoint.ts";
import { sha256Hex } from "../domain/hashing.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import { certificateTitle, renderCertificate } from "../documents/certificate/render-certificate.ts";
import { AppError, Errors } from "../errors.ts";
import type { CertificateRepository, StoredCertificate } from "../ports/certificate-repository.ts";
import type { ContentReleaseQueue } from "../ports/content-releases.ts";
import { ContentIntegrityError, type ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { PdfSigner } from "../ports/pdf-signer.ts";
import { captureFactsOf } from "./capture-facts.ts";
import { itemCustody, type CustodyReadDeps } from "./read-custody.ts";
import { getEvidence, receiptOf, type ReadDeps } from "./read-evidence.ts";
import { requestRelease } from "./release-content.ts";
import { verifiedForDocuments, type DocumentVerifyDeps } from "./verify-for-documents.ts";

export interface CertificateSettings {
  /** Who issues the certificates (OPERATOR_NAME, OPERATOR_CONTACT, OPERATOR_STATEMENT). */
  issuer: { name?: string; contact?: string; statement?: string };
  /** PUBLIC_URL as configured: printed, with a QR code to its /verify page, unless it is a loopback address. */
  publicUrl?: string;
  /** Signs each certificate (CERTIFICATE_SIGNING_P12); absent: unsigned. */
  signer?: PdfSigner;
  /** Longest a certificate waits for a TSA that has not answered, from when it was asked. @default 600_000 */
  timestampWaitMs: number;
}

export interface CertificateDeps extends ReadDeps, DocumentVerifyDeps {
  store: ContentStore;
  /** The item's chain of custody, as it stands when the certificate is made. */
  custody: CustodyReadDeps["custody"];
  /** The PEM CA certificate configured for each TSA, by its URL (the bundle carries them). */
  tsaCaByUrl: ReadonlyMap<string, string>;
  certificates: CertificateRepository;
  releases: ContentReleaseQueue;
  certificate: CertificateSettings;
  now?: () => Date;
}

export interface FixedCertificate {
  bytes: Buffer;
  /** Lowercase hex; the download's ETag. */
  sha256: string;
  signed: boolean;
  createdAt: string;
}

/** The item's certificate: the one made before, or made now if the item is final. */
export async function fixedCertificate(
  deps: CertificateDeps,
  accountId: string,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<FixedCertificate> {
  const record = await getEvidence(deps.evidence, accountId, id);
  const receipt = await receiptOf(deps, record);
  const stored =
    (await deps.certificates.get(id, receipt.anchor.txHash)) ??
    // Made to the end even if this request goes away: the next one finds it.
    (await onceAtATime(deps.certificates, `${id} ${receipt.anchor.txHash}`, () => makeCertificate(deps, accountId, record, receipt)));
  return { ...(await storedBytes(deps.store, stored, options)), signed: stored.signed, createdAt: stored.createdAt };
}

async function makeCertificate(
  deps: CertificateDeps,
  accountId: string,
  record: EvidenceRecord,
  receipt: EvidenceReceipt,
): Promise<StoredCertificate> {
  const now = deps.now?.() ?? new Date();
  await requireFinal(deps, record, now);
  const verification = await verifiedForDocuments(deps, receipt);
  // A log that does not check out stops the certificate (CUSTODY_INTEGRITY), as it stops the bundle.
  const custodyLog = await itemCustody(deps, accountId, record.id);
  const { issuer, publicUrl, signer } = deps.certificate;
  let pdf = await renderCertificate({
    receipt,
    verification,
    developmentChainIds: deps.timeTrust.developmentChainIds,
    verifyUrl: publicUrl && !isLoopbackUrl(publicUrl) ? `${publicUrl}/verify` : undefined,
    issuer,
    signedBy: signer?.certificate,
    capture: await captureFactsOf(deps, record),
    custody: {
      entries: custodyLog.entries.flatMap((link) => (link.entry ? [link.entry] : [])),
      anchored: custodyLog.entries.filter((link) => link.entry && typeof link.anchoredBy === "number").length,
    },
    tsaCaInBundle: (receipt.timestamps ?? []).map((t) => deps.tsaCaByUrl.has(t.tsa)),
    generatedAt: now,
  });
  if (signer) {
    pdf = await signer.sign(pdf, {
      signingTime: now,
      reason: `Certificate of evidence ${record.id}`,
      name: issuer.name ?? signer.certificate.subject,
      contactInfo: issuer.contact,
    });
  }
  const facts = await fileFacts([pdf]);
  const cid = await deps.store.addBytes(pdf);
  const made: StoredCertificate = {
    evidenceId: record.id,
    anchorTxHash: receipt.anchor.txHash,
    sha256: facts.sha256,
    cid,
    size: facts.size,
    createdAt: now.toISOString(),
    signed: signer !== undefined,
  };
  const kept = await deps.certificates.record(made);
  // Another instance recorded its certificate first: that one is given out, and this one's bytes released.
  if (kept.cid !== made.cid) await requestRelease(deps, [made.cid]).catch(() => undefined);
  return kept;
}

/** Anchored (receiptOf saw to that), and every TSA answered or asked longer ago than the wait. */
async function requireFinal(deps: CertificateDeps, record: EvidenceRecord, now: Date): Promise<void> {
  const pending = (await deps.timestamps.forRoot(record.merkle!.root)).filter((t) => t.status === "pending");
  if (!pending.length) return;
  const lastAsked = Math.max(...pending.map((t) => Date.parse(t.requestedAt)));
  const until = lastAsked + deps.certificate.timestampWaitMs;
  if (now.getTime() >= until) return;
  throw new AppError(Errors.CERTIFICATE_NOT_READY, {
    id: record.id,
    reason: `the time-stamp of ${pending.map((t) => t.tsa).join(", ")} is still pending; the certificate is made once every time-stamp authority has answered, or at ${new Date(until).toISOString()} at the latest`,
    retryAfterSeconds: Math.min(30, Math.max(1, Math.ceil((until - now.getTime()) / 1000))),
  });
}

/** The recorded certificate's bytes, if they still are what was recorded. */
async function storedBytes(
  store: ContentStore,
  stored: StoredCertificate,
  options: { signal?: AbortSignal },
): Promise<{ bytes: Buffer; sha256: string }> {
  const refuse = (reason: string, cause?: unknown) => new AppError(Errors.CERTIFICATE_INTEGRITY, { id: stored.evidenceId, reason }, cause);
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of store.cat(stored.cid, options)) chunks.push(chunk);
  } catch (error) {
    if (error instanceof ContentIntegrityError) throw refuse(error.message, error);
    throw error;
  }
  const bytes = Buffer.concat(chunks);
  const sha256 = sha256Hex(bytes);
  if (sha256 !== stored.sha256 || bytes.length !== stored.size) {
    throw refuse(`its bytes hash to ${sha256} (${bytes.length} bytes); ${stored.sha256} (${stored.size} bytes) was recorded`);
  }
  // A recorded hash and store that agree, but for another item's certificate, are caught by its title.
  if (!bytes.includes(`(${certificateTitle(stored.evidenceId)})`)) throw refuse("it is not this item's certificate");
  return { bytes, sha256 };
}

/** Per certificate store: the certificates being made in this process, so that one request makes each. */
const making = new WeakMap<object, Map<string, Promise<StoredCertificate>>>();

function onceAtATime(owner: object, key: string, make: () => Promise<StoredCertificate>): Promise<StoredCertificate> {
  let flights = making.get(owner);
  if (!flights) making.set(owner, (flights = new Map()));
  let flight = flights.get(key);
  if (!flight) {
    flight = make().finally(() => flights.delete(key));
    flights.set(key, flight);
  }
  return flight;
}
