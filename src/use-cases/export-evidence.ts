/**
 * receipt → the evidence bundle (zip) a lawyer files, with the item's fixed certificate
 * (fixed-certificate.ts) and its chain of custody. It exists only once the evidence is anchored, and
 * states only what was verified when it was made: the receipt is checked as any verifier would check it,
 * against this service's chain and the CAs of its TSAs, the bundle's content against the receipt, and
 * the custody log as read-custody.ts checks it.
 */
import type { Readable } from "node:stream";
import { bundleFileName, bundleZip, type BundleItem } from "../documents/evidence-bundle.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import { fixedCertificate, type CertificateDeps } from "./fixed-certificate.ts";
import { itemCustody } from "./read-custody.ts";
import { getEvidence, openVerifiedContent, receiptOf } from "./read-evidence.ts";
import { verifiedForDocuments } from "./verify-for-documents.ts";

/** A bundle is made with what its certificate is made with: the CAs of the TSAs, each item's custody log. */
export type ExportDeps = CertificateDeps;

type Options = { signal?: AbortSignal };

export async function evidenceBundle(
  deps: ExportDeps,
  accountId: string,
  id: string,
  options: Options = {},
): Promise<{ zip: Readable; fileName: string }> {
  const record = await getEvidence(deps.evidence, accountId, id);
  const item = await bundleItem(deps, accountId, record, options);
  const { bytes: certificate } = await fixedCertificate(deps, accountId, id, options);
  const zip = bundleZip({ ...item, certificate, developmentChainIds: deps.timeTrust.developmentChainIds });
  return { zip, fileName: bundleFileName(item.receipt) };
}

/** One item's part of a bundle: its receipt verified, its content checked against it, its custody log. */
export async function bundleItem(deps: ExportDeps, accountId: string, record: EvidenceRecord, options: Options): Promise<BundleItem> {
  const receipt = await receiptOf(deps, record);
  const verification = await verifiedForDocuments(deps, receipt);
  const custody = await itemCustody(deps, accountId, record.id);
  return {
    receipt,
    verification,
    custody,
    content: await openVerifiedContent(deps.store, record, options),
    car: deps.store.car(record.cid, options),
    tsaCas: (receipt.timestamps ?? []).map((t) => deps.tsaCaByUrl.get(t.tsa)),
  };
}
