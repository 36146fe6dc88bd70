/**
 * What the certificate of a capture item shows of its capture: the manifest (the item itself, or the
 * one an artifact belongs to) and the screenshot, each read back from the store and checked against the
 * hashes the index and the manifest give before a byte of it is used.
 */
import { parseCaptureManifest } from "../domain/capture-manifest.ts";
import type { CaptureFacts } from "../documents/certificate/render-certificate.ts";
import { AppError, Errors } from "../errors.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { EvidenceRecord, EvidenceRepository } from "../ports/evidence-repository.ts";
import { checked, openVerifiedContent } from "./read-evidence.ts";

export interface CaptureFactsDeps {
  evidence: Pick<EvidenceRepository, "get">;
  store: ContentStore;
}

/** The capture behind a capture item; undefined for an upload, or when no readable manifest names it. */
export async function captureFactsOf(
  deps: CaptureFactsDeps,
  record: EvidenceRecord,
  options: { signal?: AbortSignal } = {},
): Promise<CaptureFacts | undefined> {
  const manifestRecord =
    record.kind === "capture-manifest"
      ? record
      : record.kind === "capture-artifact" && record.metadata.relatedTo
        ? await deps.evidence.get(record.accountId, record.metadata.relatedTo)
        : null;
  if (manifestRecord?.kind !== "capture-manifest") return undefined;
  const parsed = parseCaptureManifest(await verifiedBytes(deps.store, checked(manifestRecord), options));
  if (!("manifest" in parsed)) return undefined;
  const { manifest } = parsed;
  // An artifact is shown with its capture only if the manifest lists it, with its hash.
  if (record !== manifestRecord && !manifest.artifacts.some((a) => a.evidenceId === record.id && a.sha256 === record.sha256))
    return undefined;

  let screenshot: Uint8Array | undefined;
  const entry = manifest.artifacts.find((a) => a.role === "screenshot");
  const screenshotRecord = entry && (await deps.evidence.get(record.accountId, entry.evidenceId));
  if (entry && screenshotRecord) {
    if (screenshotRecord.sha256 !== entry.sha256) {
      throw new AppError(Errors.RECORD_INTEGRITY, {
        id: screenshotRecord.id,
        reason: `its SHA-256 is not the one capture manifest ${manifestRecord.id} lists`,
      });
    }
    screenshot = await verifiedBytes(deps.store, checked(screenshotRecord), options);
  }
  const { id, sha256, cid, status } = manifestRecord;
  return { manifest, manifestEvidence: { id, sha256, cid, anchored: status === "anchored" }, screenshot };
}

async function verifiedBytes(store: ContentStore, record: EvidenceRecord, options: { signal?: AbortSignal }): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await openVerifiedContent(store, record, options)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
