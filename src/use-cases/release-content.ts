/**
 * Content stored for a request that was then refused (a bad field after the file, a client that hung
 * up, a failed commit) is released: on Kubo, its pin is removed so the node's garbage collector may
 * reclaim it. Not at once: the same bytes may belong to another request still in flight, whose record is
 * not yet committed; a release waits `delayMs`, and content any record uses is never released.
 */
import type { ContentStore } from "../ports/content-store.ts";
import type { ContentReleaseQueue } from "../ports/content-releases.ts";
import type { EvidenceRepository } from "../ports/evidence-repository.ts";

export interface ReleaseDeps {
  releases: ContentReleaseQueue;
  evidence: Pick<EvidenceRepository, "isContentReferenced">;
  store: Pick<ContentStore, "unpin">;
  now?: () => Date;
}

/** How long a refused upload's content waits before it is released (CONTENT_RELEASE_DELAY_MS). */
export const RELEASE_DELAY_MS = 10 * 60_000;

export async function requestRelease(deps: Pick<ReleaseDeps, "releases" | "now">, cids: string[]): Promise<void> {
  if (cids.length) await deps.releases.request([...new Set(cids)], (deps.now?.() ?? new Date()).toISOString());
}

/** Releases what has waited long enough; returns the CIDs unpinned. */
export async function releaseDueContent(
  deps: ReleaseDeps,
  options: { delayMs?: number; max?: number; signal?: AbortSignal } = {},
): Promise<string[]> {
  const before = new Date((deps.now?.() ?? new Date()).getTime() - (options.delayMs ?? RELEASE_DELAY_MS)).toISOString();
  const released: string[] = [];
  for (const cid of await deps.releases.due(before, options.max ?? 100)) {
    if (options.signal?.aborted) break;
    if (!(await deps.evidence.isContentReferenced(cid))) {
      await deps.store.unpin(cid, { signal: options.signal });
      released.push(cid);
    }
    await deps.releases.forget(cid);
  }
  return released;
}
