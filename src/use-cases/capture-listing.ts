/**
 * capture → hash → store → queue, for a listing URL rather than a file: the page is captured in a clean
 * browser (screenshot, MHTML, HTML, HAR), each artifact becomes an evidence item, and a capture manifest
 * (RFC 8785 JSON) lists them all with how, when and from where they were taken. The manifest is
 * anchored with the artifacts: its receipt proves the whole capture.
 */
import { checkEgress, endpointOf, type EgressPolicy } from "../adapters/capture/egress-proxy.ts";
import { canonicalJson } from "../domain/canonical-json.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { PACKAGE } from "../package-info.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { PageCapture, PageCapturer } from "../ports/page-capturer.ts";
import type { CaptureRecord, CaptureRepository, EvidenceRecord, EvidenceRepository } from "../ports/repositories.ts";
import { prepareEvidence, receivedBytes } from "./submit-evidence.ts";

export const MANIFEST_VERSION = "capture-manifest/v1";

export interface CaptureDeps {
  captures: CaptureRepository;
  evidence: EvidenceRepository;
  store: ContentStore;
  capturer: PageCapturer;
  policy: EgressPolicy;
  timeoutMs: number;
  maxBytes: number;
}

export interface CaptureRequest {
  accountId: string;
  url: string;
  caseRef?: string;
  listingId?: string;
  note?: string;
}

/** Checks the URL (scheme, and that its host is public) and queues the capture. */
export async function requestCapture(deps: Pick<CaptureDeps, "captures" | "policy">, request: CaptureRequest): Promise<CaptureRecord> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new AppError(Errors.CAPTURE_URL_INVALID, { reason: "it is not a URL" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new AppError(Errors.CAPTURE_URL_INVALID, { reason: `${url.protocol} URLs cannot be captured; use http or https` });
  if (url.username || url.password) throw new AppError(Errors.CAPTURE_URL_INVALID, { reason: "URLs with credentials are not captured" });
  const decision = await checkEgress(url.hostname, endpointOf(url).port, deps.policy);
  // A name that does not resolve is queued: the capture records the DNS failure as its outcome.
  if ("refused" in decision && decision.addresses.length > 0) {
    throw new AppError(Errors.CAPTURE_URL_FORBIDDEN, { reason: decision.refused });
  }
  const capture: CaptureRecord = {
    id: newId.capture(),
    accountId: request.accountId,
    url: url.href,
    caseRef: request.caseRef,
    listingId: request.listingId,
    note: request.note,
    status: "queued",
    requestedAt: new Date().toISOString(),
  };
  deps.captures.createCapture(capture);
  return capture;
}

/** Runs one claimed capture to its end: completed or failed, its evidence indexed either way. */
export async function runCapture(deps: CaptureDeps, capture: CaptureRecord, options: { signal?: AbortSignal } = {}): Promise<void> {
  const page = await deps.capturer.capture(capture.url, { timeoutMs: deps.timeoutMs, maxBytes: deps.maxBytes, signal: options.signal });
  if (options.signal?.aborted) return; // shutting down: left running, captured again at the next start

  const manifestId = newId.evidence();
  const claims = { sourceUrl: capture.url, capturedAt: page.startedAt, caseRef: capture.caseRef, relatedTo: manifestId };
  const artifacts: EvidenceRecord[] = [];
  for (const artifact of page.artifacts) {
    artifacts.push(
      await prepareEvidence(deps, {
        accountId: capture.accountId,
        kind: "capture-artifact",
        file: receivedBytes(artifact.bytes),
        claims: { ...claims, fileName: artifact.fileName, description: `${artifact.role} of ${capture.url}` },
      }),
    );
  }
  const manifest = buildManifest(capture, page, artifacts.map((record, i) => ({ record, role: page.artifacts[i]!.role, fileName: page.artifacts[i]!.fileName })));
  const bytes = Buffer.from(canonicalJson(manifest));
  const manifestRecord = await prepareEvidence(
    deps,
    {
      accountId: capture.accountId,
      kind: "capture-manifest",
      file: receivedBytes(bytes),
      claims: { sourceUrl: capture.url, capturedAt: page.startedAt, caseRef: capture.caseRef, fileName: "capture-manifest.json", description: `capture ${capture.id} of ${capture.url}` },
    },
    manifestId,
  );
  const failed = page.error !== null;
  deps.captures.finishCapture(
    capture.id,
    {
      status: failed ? "failed" : "completed",
      failureReason: page.error ?? undefined,
      manifestId,
      summary: {
        finalUrl: page.finalUrl,
        httpStatus: page.http?.status ?? null,
        serverAddress: page.server?.address ?? null,
        listing: manifest.listing,
        listingNote: manifest.listingNote,
        refusedRequests: page.refused,
        artifacts: artifacts.map((a, i) => ({ role: page.artifacts[i]!.role, evidenceId: a.id, sha256: a.sha256, cid: a.cid, size: a.size, mediaType: a.mediaType })),
        manifest: { evidenceId: manifestId, sha256: manifestRecord.sha256, cid: manifestRecord.cid },
      },
    },
    [...artifacts, manifestRecord],
  );
}

function buildManifest(capture: CaptureRecord, page: PageCapture, artifacts: { record: EvidenceRecord; role: string; fileName: string }[]) {
  const l = page.listing;
  const host = page.finalUrl ? new URL(page.finalUrl).hostname : new URL(capture.url).hostname;
  const listing = l
    ? stripEmpty({
        url: page.finalUrl ?? capture.url,
        platform: host,
        listingId: l.listingId ?? capture.listingId,
        title: l.title,
        price: l.price !== undefined || l.currency !== undefined ? stripEmpty({ amount: l.price, currency: l.currency }) : undefined,
        seller: l.seller ? stripEmpty({ id: l.seller.id, name: l.seller.name }) : undefined,
        brand: l.brand,
        images: l.images.length ? l.images : undefined,
        capturedAt: page.startedAt,
        source: `schema.org Product (${l.source})`,
      })
    : null;
  return stripEmpty({
    version: MANIFEST_VERSION,
    captureId: capture.id,
    requestedUrl: capture.url,
    finalUrl: page.finalUrl,
    redirects: page.redirects,
    http: page.http,
    server: page.server,
    tls: page.tls,
    startedAt: page.startedAt,
    endedAt: page.endedAt,
    browser: page.browser,
    service: { name: PACKAGE.name, version: PACKAGE.version },
    requestedBy: { account: capture.accountId, caseRef: capture.caseRef, listingId: capture.listingId, note: capture.note },
    listing,
    listingNote: listing ? undefined : "the page has no schema.org Product data (JSON-LD or microdata); the capture is complete without it",
    refusedRequests: page.refused,
    outcome: page.error ? { status: "failed", reason: page.error } : { status: "completed" },
    artifacts: artifacts.map(({ record, role, fileName }) => ({
      role,
      fileName,
      evidenceId: record.id,
      mediaType: record.mediaType,
      size: record.size,
      sha256: record.sha256,
      cid: record.cid,
    })),
  }) as Record<string, unknown> & { listing: unknown; listingNote?: string };
}

/** Drops undefined values (canonical JSON has no undefined); null stays, meaning "looked, found none". */
function stripEmpty<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
