/**
 * capture → hash → store → queue, for a listing URL rather than a file: the page is captured in a clean
 * browser (screenshot, MHTML, HTML, HAR, WACZ, video), each artifact becomes an evidence item, and a capture manifest
 * (RFC 8785 JSON) lists them all with how, when and from where they were taken. The manifest is
 * anchored with the artifacts: its receipt proves the whole capture.
 */
import { canonicalJson } from "../domain/canonical-json.ts";
import { endpointOf } from "../domain/endpoint.ts";
import { wellFormedJson } from "../domain/well-formed.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import { PACKAGE } from "../package-info.ts";
import type { ContentStore } from "../ports/content-store.ts";
import type { CaptureDevice, PageCapture, PageCapturer } from "../ports/page-capturer.ts";
import type { CaptureRecord, CaptureRepository } from "../ports/capture-repository.ts";
import type { EgressGuard } from "../ports/egress-guard.ts";
import type { EvidenceRecord } from "../ports/evidence-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";
import { LeaseLostError } from "../ports/leases.ts";
import { outboxEvents } from "./outbox-events.ts";
import { storedEntry } from "./record-custody.ts";
import { prepareEvidence, receivedBytes } from "./submit-evidence.ts";

export const MANIFEST_VERSION = "capture-manifest/v1";

export interface CaptureDeps {
  index: Pick<IndexStore, "transaction" | "captures">;
  store: ContentStore;
  capturer: PageCapturer;
  egress: EgressGuard;
  timeoutMs: number;
  maxBytes: number;
}

export interface CaptureRequest {
  accountId: string;
  url: string;
  caseRef?: string;
  listingId?: string;
  note?: string;
  /** @default "desktop" */
  device?: CaptureDevice;
}

/**
 * Throws CAPTURE_QUEUE_FULL when `adding` more would leave the account over its share of the queue: the
 * queue is one for all, and one account's thousands of captures would hold up every other's.
 */
export async function requireQueueRoom(captures: Pick<CaptureRepository, "countWaiting">, accountId: string, adding: number, max: number) {
  if (adding === 0) return;
  const waiting = await captures.countWaiting(accountId);
  if (waiting + adding > max) throw new AppError(Errors.CAPTURE_QUEUE_FULL, { waiting, limit: max });
}

/** Checks the URL (scheme, and that its host is public) and the account's room in the queue, and queues the capture. */
export async function requestCapture(
  deps: Pick<CaptureDeps, "index" | "egress"> & { maxWaiting: number },
  request: CaptureRequest,
): Promise<CaptureRecord> {
  await requireQueueRoom(deps.index.captures, request.accountId, 1, deps.maxWaiting);
  const capture = await checkedCapture(deps, request);
  await deps.index.captures.create(capture);
  return capture;
}

/** The record of a capture whose URL may be captured, to be queued (in the caller's transaction). */
export async function checkedCapture(deps: Pick<CaptureDeps, "egress">, request: CaptureRequest, at = new Date()): Promise<CaptureRecord> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new AppError(Errors.CAPTURE_URL_INVALID, { reason: "it is not a URL" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new AppError(Errors.CAPTURE_URL_INVALID, { reason: `${url.protocol} URLs cannot be captured; use http or https` });
  if (url.username || url.password) throw new AppError(Errors.CAPTURE_URL_INVALID, { reason: "URLs with credentials are not captured" });
  const decision = await deps.egress.check(url.hostname, endpointOf(url).port);
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
    device: request.device ?? "desktop",
    status: "queued",
    requestedAt: at.toISOString(),
    attempts: 0,
  };
  return capture;
}

/**
 * Runs one capture `owner` claimed to its end: captured or failed, its evidence indexed either way.
 * Whatever the page held and whatever fails after the browser returned, the capture ends (only a stop,
 * through `signal`, leaves it unfinished, to be captured again). If `owner` lost its lease meanwhile
 * (another instance took the capture over), nothing is recorded: the other run records it.
 */
export async function runCapture(
  deps: CaptureDeps,
  capture: CaptureRecord,
  options: { owner: string; signal?: AbortSignal },
): Promise<void> {
  const page = await deps.capturer.capture(capture.url, {
    timeoutMs: deps.timeoutMs,
    maxBytes: deps.maxBytes,
    device: capture.device,
    signal: options.signal,
  });
  if (options.signal?.aborted) return; // shutting down: left running, captured again at the next start

  const manifestId = newId.evidence();
  const { stored, failures } = await storeArtifacts(deps, capture, page, manifestId);
  const error = [page.error, ...failures].filter((e) => e !== null).join("; ") || null;
  try {
    await recordCapture(deps, capture, options.owner, { ...page, error }, stored, manifestId);
  } catch (cause) {
    if (cause instanceof LeaseLostError) throw cause;
    const reason = `the capture could not be recorded: ${messageOf(cause)}`;
    // Once more without what the page supplied (it may be what could not be recorded); else without a manifest.
    await recordCapture(deps, capture, options.owner, withoutPageContent(page, reason), stored, manifestId, {
      pageContentOmitted: true,
    }).catch((again) => {
      if (again instanceof LeaseLostError) throw again;
      return deps.index.captures.fail(capture.id, reason, new Date().toISOString());
    });
  }
}

interface StoredArtifact {
  record: EvidenceRecord;
  role: string;
  fileName: string;
}

/** Stores each artifact as its own evidence item; one that cannot be stored does not stop the others. */
async function storeArtifacts(deps: CaptureDeps, capture: CaptureRecord, page: PageCapture, manifestId: string) {
  const claims = { sourceUrl: capture.url, capturedAt: page.startedAt, caseRef: capture.caseRef, relatedTo: manifestId };
  const stored: StoredArtifact[] = [];
  const failures: string[] = [];
  for (const artifact of page.artifacts) {
    try {
      const record = await prepareEvidence(deps, {
        accountId: capture.accountId,
        kind: "capture-artifact",
        file: receivedBytes(artifact.bytes, artifact.mediaType),
        claims: { ...claims, fileName: artifact.fileName, description: `${artifact.role} of ${capture.url}` },
      });
      stored.push({ record, role: artifact.role, fileName: artifact.fileName });
    } catch (cause) {
      failures.push(`the ${artifact.role} could not be stored: ${messageOf(cause)}`);
    }
  }
  return { stored, failures };
}

/** Builds, stores and indexes the manifest, and ends the capture with it. */
async function recordCapture(
  deps: CaptureDeps,
  capture: CaptureRecord,
  owner: string,
  page: PageCapture,
  artifacts: StoredArtifact[],
  manifestId: string,
  options: { pageContentOmitted?: boolean } = {},
) {
  const manifest = buildManifest(capture, page, artifacts, options.pageContentOmitted === true);
  const manifestRecord = await prepareEvidence(
    deps,
    {
      accountId: capture.accountId,
      kind: "capture-manifest",
      file: receivedBytes(Buffer.from(canonicalJson(manifest))),
      claims: {
        sourceUrl: capture.url,
        capturedAt: page.startedAt,
        caseRef: capture.caseRef,
        fileName: "capture-manifest.json",
        description: `capture ${capture.id} of ${capture.url}`,
      },
    },
    manifestId,
  );
  const outcome = {
    status: page.error === null ? ("captured" as const) : ("failed" as const),
    failureReason: page.error ?? undefined,
    manifestId,
    startedAt: page.startedAt,
    finishedAt: new Date().toISOString(),
    summary: {
      finalUrl: manifest.finalUrl,
      httpStatus: page.http?.status ?? null,
      serverAddress: page.server?.address ?? null,
      // The browser that made it (none when it failed before the browser started).
      browser: page.browser.version ? { name: page.browser.name, version: page.browser.version } : undefined,
      listing: manifest.listing,
      listingNote: manifest.listingNote,
      refusedRequests: manifest.refusedRequests,
      artifacts: artifacts.map(({ record: a, role }) => ({
        role,
        evidenceId: a.id,
        sha256: a.sha256,
        cid: a.cid,
        size: a.size,
        mediaType: a.mediaType,
      })),
      manifest: { evidenceId: manifestId, sha256: manifestRecord.sha256, cid: manifestRecord.cid },
    },
  };
  // The evidence, the capture's end and the event, together: all of them or none.
  const records = [...artifacts.map((a) => a.record), manifestRecord];
  const storedBy = { capture: { id: capture.id, accountId: capture.accountId } };
  await deps.index.transaction(async (tx) => {
    await tx.evidence.insert(records);
    for (const record of records) await tx.custody.append(storedEntry(record.id, storedBy));
    if (!(await tx.captures.finish(capture.id, owner, outcome))) {
      throw new LeaseLostError(`capture ${capture.id} was taken over by another instance`);
    }
    await tx.outbox.append(
      outboxEvents("capture.finished", [{ id: capture.id, accountId: capture.accountId }], {
        status: outcome.status,
        failureReason: outcome.failureReason ?? null,
        manifestId,
        url: capture.url,
      }),
    );
  });
}

/** What the service itself knows of a capture, without anything the page supplied. */
function withoutPageContent(page: PageCapture, reason: string): PageCapture {
  return {
    ...page,
    finalUrl: null,
    redirects: [],
    navigations: [],
    http: null,
    server: null,
    tls: null,
    listing: null,
    refused: [],
    refusedNotListed: 0,
    error: reason,
  };
}

function buildManifest(capture: CaptureRecord, page: PageCapture, artifacts: StoredArtifact[], pageContentOmitted: boolean) {
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
  const manifest = stripEmpty({
    version: MANIFEST_VERSION,
    captureId: capture.id,
    requestedUrl: capture.url,
    finalUrl: page.finalUrl,
    redirects: page.redirects,
    navigations: page.navigations,
    http: page.http,
    server: page.server,
    tls: page.tls,
    startedAt: page.startedAt,
    endedAt: page.endedAt,
    browser: page.browser,
    device: page.device,
    scroll: page.scroll,
    service: stripEmpty({ name: PACKAGE.name, version: PACKAGE.version, commit: page.environment?.serviceCommit }),
    environment: page.environment && environmentRecord(page.environment),
    video: page.video ?? null,
    requestedBy: { account: capture.accountId, caseRef: capture.caseRef, listingId: capture.listingId, note: capture.note },
    listing,
    listingNote: listing
      ? undefined
      : pageContentOmitted
        ? "not recorded: what the page held was left out of this manifest (see outcome)"
        : "the page has no schema.org Product data (JSON-LD or microdata); the capture is complete without it",
    refusedRequests: page.refused,
    refusedRequestsNotListed: page.refusedNotListed || undefined,
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
    missingArtifacts: page.missingArtifacts,
  });
  // Page text may hold lone surrogates, which canonical JSON cannot carry; the artifacts keep the bytes as sent.
  const { value, repaired } = wellFormedJson(manifest);
  return { ...value, ...(repaired.length ? { loneSurrogatesReplaced: repaired } : {}) } as Record<string, unknown> & {
    finalUrl: string | null;
    listing: unknown;
    listingNote?: string;
    refusedRequests: unknown;
  };
}

/** The machine and network the capture ran on (the service's commit is under `service`). */
function environmentRecord({ serviceCommit: _, ...environment }: NonNullable<PageCapture["environment"]>) {
  return environment;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Drops undefined values (canonical JSON has no undefined); null stays, meaning "looked, found none". */
function stripEmpty<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
