/**
 * A custody document (custody.json, or the answer of GET /v1/evidence/:id/custody) checked as a court's
 * expert would, without the service: the document on its own (domain/custody-verification.ts), then
 * each anchored head on the chain it names: the registry's anchorOf(root) must give the anchor's time
 * and block. Entries before the last such head cannot have been rewritten since it was anchored.
 */
import type { CustodyDocument } from "../domain/custody-log.ts";
import { verifyCustodyLog, type CustodyVerification } from "../domain/custody-verification.ts";
import type { EvidenceReceipt } from "../domain/receipt.ts";
import type { Check } from "../domain/verification.ts";
import { Errors, isAppError } from "../errors.ts";
import type { ChainReader } from "../ports/chain-reader.ts";

export interface CustodyChainCheck {
  /** The head's seq. */
  seq: number;
  root: string;
  status: "pass" | "fail";
  detail: string;
}

export async function verifyCustody(
  document: unknown,
  chain: Pick<ChainReader, "chainId" | "anchorOf">,
): Promise<CustodyVerification & { chainChecks: CustodyChainCheck[] }> {
  const verification = verifyCustodyLog(document);
  const chainChecks: CustodyChainCheck[] = [];
  const chainId = verification.anchors.length ? await chain.chainId() : undefined;
  for (const { seq, root, anchor } of verification.anchors) {
    const check = (status: CustodyChainCheck["status"], detail: string) => chainChecks.push({ seq, root, status, detail });
    if (anchor.chainId !== chainId) {
      check("fail", `anchored on chain ${anchor.chainId}; this endpoint serves chain ${chainId}`);
      continue;
    }
    const onChain = await chain.anchorOf(anchor.registry, root);
    if (onChain.timestamp === anchor.timestamp && onChain.blockNumber === anchor.blockNumber) {
      check("pass", `anchorOf(root) = time ${onChain.timestamp}, block ${onChain.blockNumber}`);
    } else if (onChain.timestamp === 0) {
      check("fail", `the registry ${anchor.registry} has no anchor for root ${root}`);
    } else {
      check("fail", `the registry anchored root ${root} at ${onChain.timestamp} in block ${onChain.blockNumber}, not as the document says`);
    }
  }
  const failed = chainChecks.filter((c) => c.status === "fail").map((c) => `head ${c.seq}: ${c.detail}`);
  return { ...verification, ok: verification.ok && failed.length === 0, problems: [...verification.problems, ...failed], chainChecks };
}

const LOG = { id: "custody.log", label: "custody log" } as const;
const ANCHORS = { id: "custody.anchors", label: "custody anchors" } as const;

/**
 * A bundle item's custody.json, as the bundle's verifiers check it: the log by itself, that it is this
 * item's log, then each anchored head (verifyCustody) on an endpoint of the item's chain. `read` gives
 * custody.json's bytes (undefined: the folder has none); `chains`, endpoints already found to serve the
 * item's chain (empty: offline, or the chain was not reached).
 */
export async function verifyBundledCustody(
  receipt: EvidenceReceipt,
  read: (() => Promise<Uint8Array>) | undefined,
  chains: readonly ChainReader[],
): Promise<Check[]> {
  if (!read) return [{ ...LOG, status: "skip", detail: "this item's folder has no custody.json" }];
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(await read()));
  } catch (error) {
    return [{ ...LOG, status: "fail", detail: `custody.json ${error instanceof SyntaxError ? "is not JSON" : "cannot be read"}` }];
  }
  const result = verifyCustodyLog(document);
  const id = receipt.evidence.id;
  if (result.ok && (document as { evidenceId?: unknown }).evidenceId !== id) result.problems.push(`it is not the log of ${id}`);
  if (result.problems.length) {
    const more = result.problems.length > 3 ? ` (and ${result.problems.length - 3} more)` : "";
    return [{ ...LOG, status: "fail", detail: `${result.problems.slice(0, 3).join("; ")}${more}` }];
  }
  const shown = (document as CustodyDocument).entries.flatMap((l) => (l.entry ? [l.entry] : []));
  const unanchored = result.entries.filter((e) => e.anchoredBy === null).length;
  const heads = result.anchors.length;
  const span = shown.length ? `, ${shown[0]!.at} to ${shown.at(-1)!.at}` : "";
  const log: Check = {
    ...LOG,
    status: "pass",
    detail:
      `${shown.length} ${shown.length === 1 ? "access" : "accesses"} of this item${span}, each hashed and chained to the entry before; ` +
      `${shown.length - unanchored} covered by ${heads} anchored log head${heads === 1 ? "" : "s"}` +
      (unanchored ? `, ${unanchored} recorded after the last anchored head` : ""),
  };
  return [log, await checkHeads(document, heads, chains[0])];
}

async function checkHeads(document: unknown, heads: number, chain: ChainReader | undefined): Promise<Check> {
  if (!heads) return { ...ANCHORS, status: "skip", detail: "no log head covering these entries is anchored yet" };
  if (!chain) {
    const which = heads === 1 ? "the log head's anchor is" : `the anchors of the ${heads} log heads are`;
    return { ...ANCHORS, status: "skip", detail: `not checked: ${which} checked on the chain (--rpc)` };
  }
  try {
    const { chainChecks } = await verifyCustody(document, chain);
    const failed = chainChecks.find((c) => c.status === "fail");
    if (failed) return { ...ANCHORS, status: "fail", detail: `head ${failed.seq}: ${failed.detail}` };
    return { ...ANCHORS, status: "pass", detail: chainChecks.map((c) => `head ${c.seq}: ${c.detail}`).join("; ") };
  } catch (error) {
    if (!isAppError(error, Errors.CHAIN_UNAVAILABLE)) throw error;
    return { ...ANCHORS, status: "fail", unreachable: true, detail: `the chain could not be read: ${String(error.params.reason)}` };
  }
}
