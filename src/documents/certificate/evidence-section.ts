/**
 * Section 1, the evidence: what the service knows of the item, each fact labelled by who vouches for it.
 * An uploaded file's name, source, capture time and description are the submitter's statements; a
 * capture's facts were observed by the service itself, and are never labelled as a user's claims.
 */
import type { EvidenceMetadata } from "../../domain/evidence.ts";
import { captureSection, type CaptureFacts } from "./capture-section.ts";
import { bytes, utcMs } from "./format.ts";
import type { Layout } from "./layout.ts";

/** Whether the item was made by the service's own capture (its manifest, or one of its files). */
export const isCaptured = (m: EvidenceMetadata) => m.kind === "capture-manifest" || m.kind === "capture-artifact";

export function evidenceSection(l: Layout, m: EvidenceMetadata, capture: CaptureFacts | undefined): void {
  if (m.kind === "capture-manifest") {
    l.heading("1. The capture (observed by the service)");
    l.para(
      "This service captured the page itself, at a user's request: the facts below were observed by the service, not stated by a user. They are recorded in the capture manifest, the evidence item this certificate is about.",
    );
    if (capture) captureSection(l, capture, "1");
    else capturedWithoutManifest(l, m);
    l.subheading("1.4 The manifest file");
    fileRows(l, m, "given by the service");
    return;
  }
  if (m.kind === "capture-artifact") {
    const role = capture?.manifest.artifacts.find((a) => a.evidenceId === m.id)?.role;
    l.heading(`1. The evidence: ${role ? `the ${role} file` : "a file"} of a capture made by the service`);
    fileRows(l, m, "given by the service");
    l.row("Belongs to the capture manifest", m.relatedTo);
    l.subheading("1.1 The capture (observed by the service)");
    if (capture) captureSection(l, capture, "1");
    else capturedWithoutManifest(l, m);
    return;
  }
  l.heading("1. The evidence (an uploaded file)");
  fileRows(l, m, "as stated by the submitter");
  l.row("Source URL (as stated by the submitter)", m.sourceUrl);
  l.row("Capture time (as stated by the submitter)", m.capturedAt);
  l.row("Case reference (as stated by the submitter)", m.caseRef);
  l.row("Description (as stated by the submitter)", m.description);
  l.row("Belongs to evidence", m.relatedTo);
  l.para(
    "The service vouches for the bytes and for when it received them. What the submitter stated about them (file name, source, capture time, description) is recorded as stated and was not checked.",
    { size: 8.5, color: "#333" },
  );
}

function fileRows(l: Layout, m: EvidenceMetadata, fileNameBy: string) {
  l.row("Kind", m.kind);
  l.row(`File name (${fileNameBy})`, m.fileName);
  l.row("Media type (read from the bytes)", m.mediaType);
  l.row("Size", bytes(m.size));
  l.row("Received by the service", m.receivedAt);
}

/** A capture item whose manifest could not be shown: what its own metadata records, by the service. */
function capturedWithoutManifest(l: Layout, m: EvidenceMetadata) {
  l.row("Requested URL (observed by the service)", m.sourceUrl);
  l.row("Capture started (UTC, the service's clock)", m.capturedAt && utcMs(m.capturedAt));
  l.row("Case reference (as stated by the requester)", m.caseRef);
}
