/**
 * A bundle's verification as verify.mjs prints it and verify.html shows it: each item as the CLI
 * prints one receipt, then the bundle's verdict, whose exit code is the CLI's for the worst item.
 */
import type { BundleItemResult, BundleVerification } from "../../use-cases/verify-bundle.ts";
import { EXIT, exitCodeOf, MARK, renderCheck, renderVerification, worstExitCode, type ChainAllowance } from "../report.ts";

/** Where an item is: its evidence file, or its folder when the file is missing. */
export function itemName(item: BundleItemResult): string {
  return item.files.file ?? (item.files.folder || "(the bundle's root)");
}

export function itemExitCode(item: BundleItemResult, allow: ChainAllowance): number {
  const custody = (item.custody ?? []).map((c) => (c.status !== "fail" ? EXIT.ok : c.unreachable ? EXIT.unreachable : EXIT.failed));
  const checks = worstExitCode([item.verification ? exitCodeOf(item.verification, allow) : EXIT.usage, ...custody]);
  // A missing or unreadable file is unreadable input, as for the CLI; a failed check still says more.
  return item.problem ? worstExitCode([checks, EXIT.usage]) : checks;
}

export interface BundleVerdict {
  exitCode: number;
  /** One sentence. */
  verdict: string;
}

export function bundleVerdict(result: BundleVerification, allow: ChainAllowance): BundleVerdict {
  const codes = result.items.map((i) => itemExitCode(i, allow));
  const capture = result.capture?.status === "fail" ? EXIT.failed : EXIT.ok;
  const steps = result.steps?.status === "fail" ? EXIT.failed : EXIT.ok;
  const exitCode = worstExitCode([...codes, capture, steps]);
  const which = (code: number) =>
    result.items
      .filter((_, i) => codes[i] === code)
      .map(itemName)
      .join(", ");
  const n = result.items.length;
  const all = n === 1 ? "The bundle's item" : `All ${n} items of the bundle`;
  let verdict: string;
  if (n === 0) verdict = "NOT VERIFIED: no receipt.json was found in this bundle.";
  else if (exitCode === EXIT.failed)
    verdict = `NOT VERIFIED: ${[
      which(EXIT.failed),
      capture === EXIT.failed ? "the capture is incomplete" : "",
      steps === EXIT.failed ? "the case's steps are incomplete or out of order" : "",
    ]
      .filter(Boolean)
      .join("; ")} failed the checks above.`;
  else if (exitCode === EXIT.usage) verdict = `NOT VERIFIED: ${result.items.flatMap((i) => (i.problem ? [i.problem] : [])).join("; ")}.`;
  else if (exitCode === EXIT.unreachable)
    verdict = `NOT VERIFIED: the chain could not be read for ${which(EXIT.unreachable)}; nothing checked was found wrong. Try again, or another RPC endpoint.`;
  else if (exitCode === EXIT.untrustedChain)
    verdict = `${all} passed every check, but the anchor is on a development chain or a chain this verifier does not know, which proves nothing to a third party (each verdict above says what is proven).`;
  else if (exitCode === EXIT.noTimeProven)
    verdict = `NOT VERIFIED: no time is proven for ${which(EXIT.noTimeProven)}: nothing checked was found wrong, but the anchor was not checked on the chain (give --rpc) and no time-stamp was checked against a trusted CA.`;
  else
    verdict = `VERIFIED: ${n === 1 ? "the bundle's item passed" : `all ${n} items of the bundle passed`} every check made (see each verdict above).`;
  return { exitCode, verdict };
}

export function renderBundle(result: BundleVerification, allow: ChainAllowance): { text: string; exitCode: number } {
  const blocks = result.items.map((item) => {
    const head = itemName(item);
    const lines = [head, "=".repeat(Math.min(head.length, 100))];
    if (item.problem) lines.push(`${MARK.fail} ${item.problem}`);
    if (item.receipt && item.verification) lines.push(renderVerification(item.receipt, item.verification));
    if (item.custody?.length) lines.push("", "Chain of custody (custody.json):", ...item.custody.map((c) => `  ${renderCheck(c)}`));
    return lines.join("\n");
  });
  const { exitCode, verdict } = bundleVerdict(result, allow);
  const tail = ["The bundle", "=========="];
  if (result.capture) tail.push(renderCheck(result.capture));
  if (result.steps) tail.push(renderCheck(result.steps));
  tail.push(`${result.items.length} evidence item${result.items.length === 1 ? "" : "s"}, exit code ${exitCode}.`, "", verdict);
  return { text: [...blocks, tail.join("\n")].join("\n\n"), exitCode };
}
