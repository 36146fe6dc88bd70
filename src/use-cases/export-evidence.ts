/**
 * receipt → the documents a lawyer files: the court certificate (PDF) and the evidence bundle (zip).
 * Both exist only once the evidence is anchored; the bundle's content is checked against the receipt
 * before it is packed.
 */
import type { Readable } from "node:stream";
import { renderCertificate } from "../documents/certificate-pdf.ts";
import { bundleFileName, bundleZip } from "../documents/evidence-bundle.ts";
import type { ContentStore } from "../ports/content-store.ts";
import { getEvidence, getReceipt, openVerifiedContent, receiptOf, type ReadDeps } from "./read-evidence.ts";

export interface ExportDeps extends ReadDeps {
  store: ContentStore;
  /** Where users reach this service (the certificate links to its verification page). */
  publicUrl: () => string;
}

export async function evidenceCertificate(deps: ExportDeps, accountId: string, id: string): Promise<Buffer> {
  return renderCertificate({ receipt: await getReceipt(deps, accountId, id), publicUrl: deps.publicUrl() });
}

export async function evidenceBundle(
  deps: ExportDeps,
  accountId: string,
  id: string,
  options: { signal?: AbortSignal } = {},
): Promise<{ zip: Readable; fileName: string }> {
  const record = await getEvidence(deps.evidence, accountId, id);
  const receipt = await receiptOf(deps, record);
  const content = await openVerifiedContent(deps.store, record, options);
  const certificate = await renderCertificate({ receipt, publicUrl: deps.publicUrl() });
  const zip = bundleZip({ receipt, certificate, content, car: deps.store.car(record.cid, options) });
  return { zip, fileName: bundleFileName(receipt) };
}
