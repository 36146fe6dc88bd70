/**
 * What the verifiers print and how they exit, shared by the `evidence-anchor` CLI and the evidence
 * bundle's verify.mjs and verify.html, so that the same receipt reads and exits the same everywhere.
 */
import type { EvidenceReceipt } from "../domain/receipt.ts";
import type { Check, Verification } from "../use-cases/verify-receipt.ts";

/** Stable: scripts branch on them. */
export const EXIT = { ok: 0, failed: 1, usage: 2, untrustedChain: 3, unreachable: 4, noTimeProven: 5 } as const;

/** The exit codes, for a help text. `offline` names how the chain is left out ("--offline", "without --rpc"). */
export function exitCodesHelp(offline: string): string {
  return `Exit codes: 0 verified: every check passed and a time is proven; 1 a check failed: the file,
receipt, anchor or a time-stamp does not match (this wins over the others); 2 bad usage or unreadable
input; 3 every check passed, but the anchor is on a development chain (31337, 1337), which proves
nothing to a third party, or on a chain this verifier does not know (see --allow-development-chain,
--allow-unknown-chain); 4 the chain could not be reached (down, refused, no answer within the timeout,
not JSON-RPC): nothing was found wrong, try again or another endpoint; 5 every check made passed, but
no time is proven: ${offline} the anchor is not checked, and no time-stamp was checked against a
trusted CA of its authority.`;
}

export interface ChainAllowance {
  /** --allow-development-chain */
  development?: boolean;
  /** --allow-unknown-chain */
  unknown?: boolean;
}

export function exitCodeOf(result: Verification, allow: ChainAllowance = {}): number {
  // A mismatch is news about the evidence; an unreachable chain is news about the endpoint only.
  if (result.checks.some((c) => c.status === "fail" && !c.unreachable)) return EXIT.failed;
  if (result.chainReachable === false) return EXIT.unreachable;
  if (result.chainReachable && result.trust === "development" && !allow.development) return EXIT.untrustedChain;
  if (result.chainReachable && result.trust === "unknown" && !allow.unknown) return EXIT.untrustedChain;
  // Nothing wrong, but nothing proves when (offline, with no time-stamp trusted): not "verified".
  if (!result.verified) return EXIT.noTimeProven;
  return EXIT.ok;
}

/** The exit code of several results: the most serious news wins. */
export function worstExitCode(codes: readonly number[]): number {
  const order: number[] = [EXIT.failed, EXIT.usage, EXIT.unreachable, EXIT.untrustedChain, EXIT.noTimeProven];
  return order.find((code) => codes.includes(code)) ?? EXIT.ok;
}

export const MARK = { pass: "✓", fail: "✗", warn: "!", skip: "–" } as const;

/**
 * Text from a receipt reaches the terminal: control characters (a line break, an escape sequence) and
 * bidirectional overrides could forge a line or hide the verdict, so each is shown as its code.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** One receipt's verification as the CLI prints it: each check, the verdict, the proven times. */
export function renderVerification(receipt: EvidenceReceipt, result: Verification): string {
  const width = Math.max(...result.checks.map((c) => c.label.length));
  const lines = [`Evidence ${receipt.evidence.id} (${receipt.version}), chain: ${result.chain.name} (${result.trust})`];
  for (const c of result.checks) {
    lines.push(`  ${MARK[c.status]} ${c.label.padEnd(width)}  ${c.detail}`);
    // A failed composite check shows its steps, so that the failing one is named.
    if (c.status === "fail" && c.parts) for (const p of c.parts) lines.push(`      ${MARK[p.status]} ${p.id}  ${p.detail}`);
  }
  lines.push("", result.summary);
  if (result.times.length) {
    lines.push("", "Proven times, earliest first:");
    for (const t of result.times) lines.push(`  ${t.noLaterThan}  ${t.by}${t.trusted ? "" : " (proves nothing to a third party)"}`);
  }
  return lines.map(printable).join("\n");
}

export function renderCheck(c: Check): string {
  return printable(`${MARK[c.status]} ${c.label}  ${c.detail}`);
}
