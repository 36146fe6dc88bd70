/** The receipt verified as a court's expert would: a document is made only from a receipt that holds. */
import type { EvidenceReceipt } from "../domain/receipt.ts";
import { AppError, Errors } from "../errors.ts";
import type { ChainReader } from "../ports/chain-reader.ts";
import { verifyReceipt, type TimeTrust, type Verification } from "./verify-receipt.ts";

export interface DocumentVerifyDeps {
  /** A reader of this service's chain. */
  chainReader: () => ChainReader;
  timeTrust: TimeTrust;
}

export async function verifiedForDocuments(deps: DocumentVerifyDeps, receipt: EvidenceReceipt): Promise<Verification> {
  const chain = deps.chainReader();
  try {
    const verification = await verifyReceipt({
      receipt,
      chains: [chain],
      tsaTrustAnchors: deps.timeTrust.tsaTrustAnchors,
      developmentChainIds: deps.timeTrust.developmentChainIds,
    });
    const failed = verification.checks.filter((c) => c.status === "fail");
    const unreachable = failed.find((c) => c.unreachable);
    if (unreachable) throw new AppError(Errors.CHAIN_UNAVAILABLE, { reason: unreachable.detail });
    if (failed.length) {
      throw new AppError(Errors.RECORD_INTEGRITY, {
        id: receipt.evidence.id,
        reason: `its receipt does not verify: ${failed.map((c) => `${c.id}: ${c.detail}`).join("; ")}`,
      });
    }
    return verification;
  } finally {
    chain.close();
  }
}
