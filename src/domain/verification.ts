/**
 * What verifying a receipt reports, as every reader of it sees it (the CLI, the API, the page, the
 * certificate, the bundle): the shape of a check and of a proven time, the verdict, and the receipt's own
 * facts the checks start from. Pure values; use-cases/verify-receipt.ts makes them.
 */
import type { ChainTrust } from "./chains.ts";
import type { EvidenceReceipt } from "./receipt.ts";

/** warn: nothing is wrong, but what passed proves less than it seems (a development chain, an untrusted TSA). */
export type CheckStatus = "pass" | "fail" | "warn" | "skip";

export interface Check {
  /** Stable: scripts may look for it. */
  id: string;
  label: string;
  status: CheckStatus;
  detail: string;
  /**
   * Set on a failed check that could not be made because the chain could not be read (the endpoint
   * was down, refused, silent past the deadline or answered something that is not JSON-RPC): nothing
   * was found wrong with the evidence. Absent on every other check.
   */
  unreachable?: true;
  /** The steps of a composite check (a time-stamp token's), each as a check. */
  parts?: Omit<Check, "parts" | "unreachable">[];
}

export type AddCheck = (check: Check) => void;

/** The item's leaf, from its hashes (never the receipt's `merkle.leaf`, which is only compared with it). */
export function itemLeaf(r: EvidenceReceipt): [string, string] {
  return [`0x${r.evidence.sha256}`, `0x${r.evidence.metadataSha256}`];
}

export function receivedAt(r: EvidenceReceipt): Date | null {
  const value = r.metadata.receivedAt;
  const time = typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) ? null : new Date(time);
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

/** One proven "existed no later than", and who proves it. */
export interface ProvenTime {
  source: "anchor" | "rfc3161";
  /** Who vouches for it, in words: "block 12 of Sepolia", "the TSA at https://…". */
  by: string;
  /** The last instant proven, ISO 8601 UTC with milliseconds. */
  noLaterThan: string;
  /** How the instant was reached ("block times are whole seconds", the token's accuracy). */
  precision: string;
  /** Whether it proves anything to a third party: not on a development or unknown chain. */
  trusted: boolean;
}

export interface Verification {
  /** No check failed and a time is proven (by the chain's anchor, or by a trusted time-stamp). */
  verified: boolean;
  /** Who can trust the chain the receipt names: "public" only for a known public chain, its identity checked. */
  trust: ChainTrust;
  chain: { chainId: number; name: string; trust: ChainTrust };
  checks: Check[];
  /**
   * false when the chain could not be read (the check that hit it says `unreachable: true`): try again
   * or another endpoint. true when the endpoints answered every call made; null when no chain was given.
   */
  chainReachable: boolean | null;
  /** The anchor, when the chain confirmed it; `noLaterThan` is the last instant it proves. */
  anchoredAt?: { iso: string; timestamp: number; blockNumber: number; chainId: number; noLaterThan: string };
  /** Every proven time, earliest first. */
  times: ProvenTime[];
  summary: string;
}

/** What a verifier trusts for time, beyond the receipt: CAs of TSAs, and which chains are development chains. */
export interface TimeTrust {
  /** PEM certificates of the CAs whose TSAs are trusted. */
  tsaTrustAnchors: readonly string[];
  /** Chain ids to treat as development chains, beyond 31337 and 1337. */
  developmentChainIds: readonly number[];
}
