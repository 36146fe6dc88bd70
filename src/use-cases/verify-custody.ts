/**
 * A custody document (custody.json, or the answer of GET /v1/evidence/:id/custody) checked as a court's
 * expert would, without the service: the document on its own (domain/custody-verification.ts), then
 * each anchored head on the chain it names: the registry's anchorOf(root) must give the anchor's time
 * and block. Entries before the last such head cannot have been rewritten since it was anchored.
 */
import { verifyCustodyLog, type CustodyVerification } from "../domain/custody-verification.ts";
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
