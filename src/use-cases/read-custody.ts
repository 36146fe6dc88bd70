/**
 * Showing the chain of custody: an item's entries, or a page of the whole log (admins), each with what
 * checks it (its hash inputs and its link to the entry before) and the anchored heads that cover it.
 * Nothing is served on the index's word alone: the document is verified as any verifier would
 * (verifyCustodyLog), its rows must be complete, and each head's anchor is confirmed on the chain; an
 * edited or deleted row answers CUSTODY_INTEGRITY.
 *
 * An item's document holds, for each of its entries, the whole stretch of the log from the anchored
 * head before it (or the log's start) to the anchored head at or after it (or the log's present head),
 * other items' entries by their digest only: a removed entry breaks a link, a rewritten stretch an
 * anchored head.
 */
import {
  CUSTODY_FORMAT,
  type AnchoredCustodyHead,
  type CustodyDocument,
  type CustodyEntry,
  type CustodyLink,
} from "../domain/custody-log.ts";
import { verifyCustodyLog } from "../domain/custody-verification.ts";
import { sha256Hex } from "../domain/hashing.ts";
import { AppError, Errors, isAppError } from "../errors.ts";
import type { CustodyLog, StoredCustodyEntry } from "../ports/custody-log.ts";
import type { EvidenceRepository } from "../ports/evidence-repository.ts";
import { anchorState, recheckRecentAnchors, type AnchorCheckDeps } from "./confirm-anchors.ts";
import { getEvidence } from "./read-evidence.ts";

export interface CustodyReadDeps {
  evidence: Pick<EvidenceRepository, "get">;
  custody: Pick<CustodyLog, "head" | "range" | "seqsOf" | "anchoredHeadFrom" | "anchoredHeadBefore" | "anchoredHeadsIn">;
  anchors: AnchorCheckDeps;
}

/** An item's custody document; the item must be the account's (another's reads as not found). */
export async function itemCustody(deps: CustodyReadDeps, accountId: string, evidenceId: string): Promise<CustodyDocument> {
  await getEvidence(deps.evidence, accountId, evidenceId);
  return checked(deps, () => itemStretches(deps.custody, evidenceId));
}

/** Entries after `after`, at most `limit`, every one shown (for admins). */
export async function custodyPage(
  deps: CustodyReadDeps,
  page: { after: number; limit: number },
): Promise<{ document: CustodyDocument; nextCursor: string | null }> {
  let end = 0;
  const document = await checked(deps, async () => {
    const head = await deps.custody.head(); // first: entries appended meanwhile wait for the next page
    const to = Math.min(page.after + page.limit, head.seq);
    end = head.seq;
    const rows = to > page.after ? await deps.custody.range(page.after + 1, to) : [];
    const heads = to > page.after ? await deps.custody.anchoredHeadsIn(page.after + 1, to) : [];
    const stretches: [number, number][] = to > page.after ? [[page.after + 1, to]] : [];
    return { rows, heads, stretches, evidenceId: undefined };
  });
  const last = document.entries.at(-1)?.seq;
  return { document, nextCursor: last !== undefined && last < end ? String(last) : null };
}

interface Stretches {
  rows: StoredCustodyEntry[];
  heads: AnchoredCustodyHead[];
  /** The seqs the rows must cover without a gap. */
  stretches: [number, number][];
  evidenceId: string | undefined;
}

async function itemStretches(custody: CustodyReadDeps["custody"], evidenceId: string): Promise<Stretches> {
  const seqs = await custody.seqsOf(evidenceId);
  const head = await custody.head(); // after the seqs: it is at or past every one of them
  const rows = new Map<number, StoredCustodyEntry>();
  const heads = new Map<number, AnchoredCustodyHead>();
  const stretches: [number, number][] = [];
  let covered = 0;
  for (const seq of seqs) {
    if (seq <= covered) continue;
    if (seq > head.seq) refuse(`entry ${seq} is past the log's head, ${head.seq}`);
    const [lower, upper] = await Promise.all([custody.anchoredHeadBefore(seq), custody.anchoredHeadFrom(seq)]);
    const [from, to] = [lower?.seq ?? 1, upper?.seq ?? head.seq];
    for (const h of [lower, upper]) if (h) heads.set(h.seq, h);
    for (const row of await custody.range(from, to)) rows.set(row.seq, row);
    stretches.push([from, to]);
    covered = to;
  }
  return {
    rows: [...rows.values()].sort((a, b) => a.seq - b.seq),
    heads: [...heads.values()].sort((a, b) => a.seq - b.seq),
    stretches,
    evidenceId,
  };
}

/** Builds the document, refuses it unless it checks out, and confirms its heads on the chain. */
async function checked(deps: CustodyReadDeps, read: () => Promise<Stretches>): Promise<CustodyDocument> {
  try {
    for (let attempt = 0; ; attempt++) {
      const document = documentOf(await read());
      const lost = await unheldHead(deps, document.heads);
      if (!lost) return document;
      // A chain that lost the anchoring block: give those batches up (their heads no longer count), once.
      if (attempt > 0) refuse(`head ${lost.seq}: ${lost.detail}`);
      await recheckRecentAnchors(deps.anchors);
    }
  } catch (error) {
    if (isAppError(error, Errors.CUSTODY_INTEGRITY)) {
      deps.anchors.log.error({ reason: error.params.reason }, "CUSTODY INTEGRITY: the custody log does not check out");
    }
    throw error;
  }
}

function documentOf({ rows, heads, stretches, evidenceId }: Stretches): CustodyDocument {
  for (const [from, to] of stretches) {
    const present = rows.filter((r) => r.seq >= from && r.seq <= to).length;
    if (present !== to - from + 1) refuse(`${to - from + 1 - present} of the entries ${from}–${to} are missing`);
  }
  const document: CustodyDocument = {
    format: CUSTODY_FORMAT,
    ...(evidenceId ? { evidenceId } : {}),
    entries: rows.map((row) => linkOf(row, evidenceId)),
    heads,
  };
  const verification = verifyCustodyLog(document);
  if (!verification.ok) refuse(verification.problems.slice(0, 3).join("; "));
  const anchoredBy = new Map(verification.entries.map((e) => [e.seq, e.anchoredBy]));
  for (const link of document.entries) if (link.entry) link.anchoredBy = anchoredBy.get(link.seq)!;
  return document;
}

/** A row as a link: shown in full when it names the item (or always, for a page of the whole log). */
function linkOf(row: StoredCustodyEntry, evidenceId: string | undefined): CustodyLink {
  let entry: CustodyEntry;
  try {
    entry = JSON.parse(row.entryJson) as CustodyEntry;
  } catch {
    refuse(`entry ${row.seq} is not JSON`);
  }
  // The row is filed under an item for lookups; a filing that differs from the entry hides or plants it.
  if ((entry.evidenceId ?? null) !== row.evidenceId) {
    refuse(`entry ${row.seq} is filed under ${row.evidenceId ?? "no item"} but names ${entry.evidenceId ?? "none"}`);
  }
  const link: CustodyLink = { seq: row.seq, prev: row.prev, hash: row.hash, entrySha256: sha256Hex(row.entryJson) };
  return !evidenceId || entry.evidenceId === evidenceId ? { ...link, entry } : link;
}

/** The first head whose anchor the chain does not hold; one that disagrees with the chain is refused. */
async function unheldHead(deps: CustodyReadDeps, heads: AnchoredCustodyHead[]): Promise<{ seq: number; detail: string } | null> {
  for (const head of heads) {
    const { state, detail } = await anchorState(deps.anchors, head.root, head.anchor);
    if (state === "disagrees") refuse(`head ${head.seq}: ${detail}`);
    if (state === "lost") return { seq: head.seq, detail };
  }
  return null;
}

function refuse(reason: string): never {
  throw new AppError(Errors.CUSTODY_INTEGRITY, { reason });
}
