/** The JSON shapes of the API (docs/api.md). */
import type { AnchorFacts } from "../domain/receipt.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { EvidenceView } from "./schemas.ts";

export function evidenceLinks(id: string) {
  const self = `/v1/evidence/${encodeURIComponent(id)}`;
  return {
    self,
    receipt: `${self}/receipt`,
    content: `${self}/content`,
    certificate: `${self}/certificate.pdf`,
    bundle: `${self}/bundle`,
    custody: `${self}/custody`,
  };
}

/** Where and when an item's batch root was anchored (AnchorViewSchema). */
export function anchorView(anchor: AnchorFacts, root: string) {
  return { ...anchor, root };
}

export function evidenceView(record: EvidenceRecord): EvidenceView {
  return {
    id: record.id,
    kind: record.kind,
    status: record.status,
    sha256: record.sha256,
    size: record.size,
    mediaType: record.mediaType,
    cid: record.cid,
    metadataSha256: record.metadataSha256,
    receivedAt: record.receivedAt,
    metadata: { ...record.metadata },
    ...(record.anchor ? { anchor: anchorView(record.anchor, record.merkle!.root) } : {}),
    ...(record.failureReason ? { failureReason: record.failureReason } : {}),
    links: evidenceLinks(record.id),
  };
}
