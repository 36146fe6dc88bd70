/**
 * capture → one bundle: the capture manifest and every artifact it lists, each with its receipt, CAR and
 * time-stamps, the certificate and one README (documents/evidence-bundle.ts), so that a single zip proves
 * the whole capture. Made, like every document, only once each item is anchored and its receipt verified;
 * the manifest is anchored, and each artifact must be the one it names by SHA-256.
 */
import type { Readable } from "node:stream";
import { captureBundleZip, type BundleItem } from "../documents/evidence-bundle.ts";
import { AppError, Errors } from "../errors.ts";
import type { CaptureRepository } from "../ports/capture-repository.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import { bundleItem, evidenceBundle, type ExportDeps } from "./export-evidence.ts";
import { fixedCertificate } from "./fixed-certificate.ts";
import { getEvidence, openVerifiedContent } from "./read-evidence.ts";

type Options = { signal?: AbortSignal };
/** The zip, the name to download it as, and the items it holds (each export goes into their custody logs). */
export type Bundle = { zip: Readable; fileName: string; itemIds: string[] };

/** GET /v1/evidence/:id/bundle: a capture's whole bundle for its manifest, else the item's own. */
export async function bundleOf(deps: ExportDeps, accountId: string, id: string, options: Options = {}): Promise<Bundle> {
  const record = await getEvidence(deps.evidence, accountId, id);
  if (record.metadata.kind === "capture-manifest") return manifestBundle(deps, accountId, record, options);
  const { zip } = await evidenceBundle(deps, accountId, id, options);
  return { zip, fileName: `${record.id}.bundle.zip`, itemIds: [record.id] };
}

/** GET /v1/captures/:id/bundle: the capture's manifest, whose bundle (bundleOf) is the capture's. */
export async function captureManifestId(captures: Pick<CaptureRepository, "get">, accountId: string, captureId: string): Promise<string> {
  const capture = await captures.get(accountId, captureId);
  if (!capture) throw new AppError(Errors.CAPTURE_NOT_FOUND, { id: captureId });
  if (!capture.manifestId) {
    const reason = capture.status === "failed" ? "it failed before its evidence was recorded" : `it is still ${capture.status}`;
    throw new AppError(Errors.CAPTURE_WITHOUT_EVIDENCE, { id: captureId, reason });
  }
  return capture.manifestId;
}

async function manifestBundle(deps: ExportDeps, accountId: string, manifest: EvidenceRecord, options: Options): Promise<Bundle> {
  const { captureId, main, artifacts } = await captureParts(deps, accountId, manifest, options);
  const zip = captureBundleZip({
    captureId,
    manifest: main,
    artifacts,
    // The manifest's fixed certificate: the certificate of the whole capture (its facts, its artifacts).
    certificate: (await fixedCertificate(deps, accountId, manifest.id, options)).bytes,
    developmentChainIds: deps.timeTrust.developmentChainIds,
  });
  return { zip, fileName: `${captureId}.bundle.zip`, itemIds: [manifest.id, ...artifacts.map((a) => a.receipt.evidence.id)] };
}

/** A capture's parts of a bundle: its manifest and each artifact the manifest lists, in its order (`accountId`: the capture's). */
export async function captureParts(
  deps: ExportDeps,
  accountId: string,
  manifest: EvidenceRecord,
  options: Options,
): Promise<{ captureId: string; main: BundleItem; artifacts: (BundleItem & { role: string })[] }> {
  const main = await bundleItem(deps, accountId, manifest, options);
  const { captureId, listed } = await readManifest(deps, manifest, options);
  const artifacts: (BundleItem & { role: string })[] = [];
  for (const entry of listed) {
    const record = await getEvidence(deps.evidence, accountId, entry.evidenceId);
    if (record.sha256 !== entry.sha256) {
      throw new AppError(Errors.RECORD_INTEGRITY, {
        id: record.id,
        reason: `the capture manifest ${manifest.id} names SHA-256 ${entry.sha256} for it, not ${record.sha256}`,
      });
    }
    artifacts.push({ ...(await bundleItem(deps, accountId, record, options)), role: entry.role });
  }
  return { captureId, main, artifacts };
}

interface ListedArtifact {
  role: string;
  evidenceId: string;
  sha256: string;
}

/** The capture and the artifacts the manifest lists, read from its verified bytes (not from the index). */
async function readManifest(deps: ExportDeps, manifest: EvidenceRecord, options: Options) {
  const chunks: Uint8Array[] = [];
  for await (const chunk of await openVerifiedContent(deps.store, manifest, options)) chunks.push(chunk);
  const json = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { captureId?: unknown; artifacts?: Record<string, unknown>[] };
  const listed: ListedArtifact[] = (Array.isArray(json.artifacts) ? json.artifacts : []).map((a) => ({
    role: String(a.role),
    evidenceId: String(a.evidenceId),
    sha256: String(a.sha256),
  }));
  return { captureId: typeof json.captureId === "string" ? json.captureId : manifest.id, listed };
}
