/**
 * receipt → the evidence bundle (zip) a lawyer files, with the item's fixed certificate
 * (fixed-certificate.ts). It exists only once the evidence is anchored, and states only what was
 * verified when it was made: the receipt is checked as any verifier would check it, against this
 * service's chain and the CAs of its TSAs, and the bundle's content against the receipt.
 */
import type { Readable } from "node:stream";
import { bundleFileName, bundleZip } from "../documents/evidence-bundle.ts";
import { fixedCertificate, type CertificateDeps } from "./fixed-certificate.ts";
import { getEvidence, openVerifiedContent, receiptOf } from "./read-evidence.ts";
import { verifiedForDocuments } from "./verify-for-documents.ts";

export interface ExportDeps extends CertificateDeps {
  /** The PEM CA certificate configured for each TSA, by its URL (for the bundle). */
  tsaCaByUrl: ReadonlyMap<string, string>;
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
  const { bytes: certificate } = await fixedCertificate(deps, accountId, id, options);
  const content = await openVerifiedContent(deps.store, record, options);
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
