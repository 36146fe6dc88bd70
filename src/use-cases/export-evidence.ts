/**
 * receipt → the documents a lawyer files: the court certificate (PDF) and the evidence bundle (zip).
 * Both exist only once the evidence is anchored, and both state only what was verified when they were
 * made: the receipt is checked as any verifier would check it, against this service's chain and the
 * CAs of its TSAs, and the bundle's content against the receipt, before either is produced.
 */
import type { Readable } from "node:stream";
import { renderCertificate } from "../documents/certificate-pdf.ts";
import { bundleFileName, bundleZip } from "../documents/evidence-bundle.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import { AppError, Errors } from "../errors.ts";
import type { ChainReader } from "../ports/chain-reader.ts";
import type { ContentStore } from "../ports/content-store.ts";
import { getEvidence, getReceipt, openVerifiedContent, receiptOf, type ReadDeps } from "./read-evidence.ts";
import { verifyReceipt, type TimeTrust, type Verification } from "./verify-receipt.ts";

export interface ExportDeps extends ReadDeps {
  store: ContentStore;
  /** Where users reach this service (the certificate links to its verification page). */
  publicUrl: () => string;
  /** A reader of this service's chain, to verify the receipt before a document states it. */
  chainReader: () => ChainReader;
  timeTrust: TimeTrust;
  /** The PEM CA certificate configured for each TSA, by its URL (for the bundle). */
  tsaCaByUrl: ReadonlyMap<string, string>;
}

export async function evidenceCertificate(deps: ExportDeps, accountId: string, id: string): Promise<Buffer> {
  const receipt = await getReceipt(deps, accountId, id);
  return certificateOf(deps, receipt, await verifiedForDocuments(deps, receipt));
}

export async function evidenceBundle(
  deps: ExportDeps,
  accountId: string,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<{ zip: Readable; fileName: string }> {
  const record = await getEvidence(deps.evidence, accountId, id);
  const receipt = await receiptOf(deps, record);
  const verification = await verifiedForDocuments(deps, receipt);
  const content = await openVerifiedContent(deps.store, record, options);
  const certificate = await certificateOf(deps, receipt, verification);
  const zip = bundleZip({
    receipt,
    certificate,
    content,
    car: deps.store.car(record.cid, options),
    verification,
    tsaCas: (receipt.timestamps ?? []).map((t) => deps.tsaCaByUrl.get(t.tsa)),
    developmentChainIds: deps.timeTrust.developmentChainIds,
  });
  return { zip, fileName: bundleFileName(receipt) };
}

function certificateOf(deps: ExportDeps, receipt: EvidenceReceipt, verification: Verification): Promise<Buffer> {
  return renderCertificate({ receipt, verification, publicUrl: deps.publicUrl(), developmentChainIds: deps.timeTrust.developmentChainIds });
}

/** The receipt verified as a court's expert would: a document is made only from a receipt that holds. */
export async function verifiedForDocuments(deps: ExportDeps, receipt: EvidenceReceipt): Promise<Verification> {
  const chain = deps.chainReader();
  try {
    const verification = await verifyReceipt({
      receipt,
      chains: [chain],
      tsaTrustAnchors: deps.timeTrust.tsaTrustAnchors,
      developmentChainIds: deps.timeTrust.developmentChainIds,
    });
    const failed = verification.checks.filter((c) => c.status === "fail");
    const unreachable = failed.find((c) => c.unreachable);
    if (unreachable) throw new AppError(Errors.CHAIN_UNAVAILABLE, { reason: unreachable.detail });
    if (failed.length) {
      throw new AppError(Errors.RECORD_INTEGRITY, {
        id: receipt.evidence.id,
        reason: `its receipt does not verify: ${failed.map((c) => `${c.id}: ${c.detail}`).join("; ")}`,
      });
    }
    return verification;
  } finally {
    chain.close();
  }
}
