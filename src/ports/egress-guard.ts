/**
 * The capture browser's rule for where it may connect (the SSRF guard), as the capture request asks it:
 * a host and port either resolve to addresses the browser may reach (the first is the one connected
 * to), or are refused, with why.
 */
export type EgressDecision = { address: string; addresses: string[] } | { refused: string; addresses: string[] };

export interface EgressGuard {
  check(host: string, port: number): Promise<EgressDecision>;
}
