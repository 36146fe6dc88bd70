/**
 * Checking a custody document (`custody-log/v1`: the answer of GET /v1/evidence/:id/custody, a bundle's
 * custody.json) with nothing but the document: every entry shown hashes to its entrySha256, every link
 * to its hash, each entry's prev is the hash of the one before, each anchored head's leaf is made from
 * its entry and its Merkle proof leads to its root. What is left to a chain is to confirm each root's
 * anchor (`anchorOf(root)` gives the anchor's time and block): `anchors` lists them.
 *
 * For one item's entries the document must also be complete: every run of entries starts at entry 1 or
 * at an anchored head, so that no entry between that point and the item's entries can have been removed
 * (removing one breaks a prev; rewriting the chain after it changes an anchored head).
 */
import { z } from "zod";
import {
  CUSTODY_FORMAT,
  GENESIS_HASH,
  custodyChainHash,
  custodyEntryJson,
  custodyHeadLeaf,
  type CustodyDocument,
  type CustodyEntry,
} from "./custody-log.ts";
import { sha256Hex } from "./hashing.ts";
import { verifyMerkleProof } from "./merkle-batch.ts";
import type { AnchorFacts } from "./receipt.ts";
import { AnchorFactsSchema, bytes32, sha256Hex as hex64 } from "./receipt-schema.ts";

const seq = z.number().int().positive();
const text = (max: number) => z.string().min(1).max(max);

// Entries keep unknown fields: the hash covers the entry as it is, so a later version's fields still verify.
const CustodyEntrySchema = z.looseObject({
  seq,
  at: text(64),
  evidenceId: text(200).optional(),
  accountId: text(200),
  keyId: text(200).optional(),
  method: text(16).optional(),
  route: text(200),
  client: text(200).optional(),
  captureId: text(200).optional(),
  status: z.number().int().min(100).max(599),
  code: text(100).optional(),
});

export const CustodyDocumentSchema = z.object({
  format: z.literal(CUSTODY_FORMAT),
  evidenceId: text(200).optional(),
  entries: z.array(
    z.object({
      seq,
      prev: hex64,
      hash: hex64,
      entrySha256: hex64,
      entry: CustodyEntrySchema.optional(),
      anchoredBy: seq.nullable().optional(),
    }),
  ),
  heads: z.array(
    z.object({
      seq,
      hash: hex64,
      leaf: z.tuple([bytes32, bytes32]),
      proof: z.array(bytes32).max(256),
      root: bytes32,
      anchor: AnchorFactsSchema,
    }),
  ),
});

export interface CustodyVerification {
  ok: boolean;
  /** What does not check out, one sentence each (empty when ok). */
  problems: string[];
  /** The entries shown in full, each with the seq of the anchored head covering it, or null: not yet anchored. */
  entries: { seq: number; evidenceId?: string; anchoredBy: number | null }[];
  /** Each head's anchor, to confirm on its chain: the registry's anchorOf(root) gives this time and block. */
  anchors: { seq: number; root: string; anchor: AnchorFacts }[];
}

export function verifyCustodyLog(value: unknown): CustodyVerification {
  const parsed = CustodyDocumentSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, problems: [`${issue.path.join(".") || "document"}: ${issue.message}`], entries: [], anchors: [] };
  }
  const document = parsed.data as CustodyDocument;
  const problems: string[] = [];
  const heads = new Map(document.heads.map((h) => [h.seq, h]));

  for (const head of document.heads) {
    const leaf = custodyHeadLeaf(head);
    if (leaf.some((v, i) => v.toLowerCase() !== head.leaf[i]!.toLowerCase())) {
      problems.push(`head ${head.seq}: its leaf is not [0x hash, 0x SHA-256 of its custody-head statement]`);
    } else if (!verifyMerkleProof(head.root, leaf, head.proof)) {
      problems.push(`head ${head.seq}: its Merkle proof does not lead from its leaf to root ${head.root}`);
    }
    if (!document.entries.some((link) => link.seq === head.seq)) problems.push(`head ${head.seq}: the document has no entry ${head.seq}`);
  }

  // Runs of consecutive entries; within a run each entry's prev is the hash of the one before.
  const runs: { bound: boolean; links: CustodyDocument["entries"] }[] = [];
  for (const [i, link] of document.entries.entries()) {
    const previous = document.entries[i - 1];
    if (previous && link.seq <= previous.seq) {
      problems.push(`entry ${link.seq}: out of order (after entry ${previous.seq})`);
      continue;
    }
    if (previous?.seq === link.seq - 1) {
      if (link.prev !== previous.hash) problems.push(`entry ${link.seq}: its prev is not the hash of entry ${previous.seq}`);
      runs.at(-1)!.links.push(link);
    } else {
      // A run is tied down when it starts at the log's first entry or at an anchored head.
      runs.push({ bound: link.seq === 1 || heads.has(link.seq), links: [link] });
    }
    if (link.seq === 1 && link.prev !== GENESIS_HASH) problems.push("entry 1: its prev is not 64 zeros");
    problems.push(...linkProblems(link, document.evidenceId));
    const head = heads.get(link.seq);
    if (head && head.hash !== link.hash) problems.push(`head ${head.seq}: its hash is not entry ${link.seq}'s`);
  }

  const entries: CustodyVerification["entries"] = [];
  for (const run of runs) {
    const runHeads = run.links.filter((l) => heads.has(l.seq)).map((l) => l.seq);
    for (const link of run.links) {
      if (!link.entry) continue;
      const anchoredBy = runHeads.find((s) => s >= link.seq) ?? null;
      entries.push({ seq: link.seq, ...(link.entry.evidenceId ? { evidenceId: link.entry.evidenceId } : {}), anchoredBy });
      if (link.anchoredBy !== undefined && link.anchoredBy !== anchoredBy) {
        problems.push(
          `entry ${link.seq}: said to be anchored by head ${link.anchoredBy}, but ${anchoredBy === null ? "no head" : `head ${anchoredBy}`} covers it`,
        );
      }
    }
    if (document.evidenceId && !run.bound) {
      const [first, last] = [run.links[0]!.seq, run.links.at(-1)!.seq];
      problems.push(`entries ${first}–${last}: not tied to the log's start or to an anchored head, so an entry before them may be missing`);
    }
  }
  return {
    ok: problems.length === 0,
    problems,
    entries,
    anchors: document.heads.map((h) => ({ seq: h.seq, root: h.root, anchor: h.anchor })),
  };
}

function linkProblems(link: CustodyDocument["entries"][number], evidenceId: string | undefined): string[] {
  const problems: string[] = [];
  if (link.entry) {
    const entry = link.entry as CustodyEntry;
    if (entry.seq !== link.seq) problems.push(`entry ${link.seq}: its seq says ${entry.seq}`);
    if (sha256Hex(custodyEntryJson(entry)) !== link.entrySha256)
      problems.push(`entry ${link.seq}: its content does not hash to its entrySha256`);
    if (evidenceId && entry.evidenceId !== evidenceId) problems.push(`entry ${link.seq}: shown, but it is not an entry of ${evidenceId}`);
  } else if (!evidenceId) {
    problems.push(`entry ${link.seq}: a page of the whole log must show every entry`);
  }
  if (custodyChainHash(link.prev, link.entrySha256) !== link.hash)
    problems.push(`entry ${link.seq}: its hash is not SHA-256(prev ‖ entrySha256)`);
  return problems;
}
