/**
 * The time-stamps' half of verifying a receipt: each RFC 3161 token on its own, over the 32 bytes of the
 * receipt's Merkle root, chained to a CA the verifier trusts (domain/timestamp-token.ts), then checked
 * against the receipt: the same genTime and serial as it states, and not before the service received
 * the file. A token proves a time only when all of that holds; a sound token with no trusted CA given
 * is a warning, not a proof.
 */
import { verifyTimestampToken, type TokenVerification } from "../domain/timestamp-token.ts";
import type { EvidenceReceipt, TimestampProof } from "../domain/receipt.ts";
import { receivedAt, type AddCheck, type Check, type ProvenTime } from "../domain/verification.ts";

/** The service's clock and the TSA's may differ by this much beyond the token's stated accuracy. */
export const CLOCK_TOLERANCE_MS = 1000;

type Part = NonNullable<Check["parts"]>[number];

/** Adds one check per token; returns the times the tokens prove. */
export async function checkTimestamps(r: EvidenceReceipt, trustAnchors: readonly string[], add: AddCheck): Promise<ProvenTime[]> {
  const proven: ProvenTime[] = [];
  const root = Buffer.from(r.merkle.root.slice(2), "hex");
  for (const [i, stamp] of (r.timestamps ?? []).entries()) {
    const id = `timestamp.${i + 1}`;
    const label = `time-stamp ${i + 1}`;
    const verification = await verifyTimestampToken(new Uint8Array(Buffer.from(stamp.token, "base64")), {
      data: root,
      trustAnchors: [...trustAnchors],
    });
    const parts: Part[] = [...verification.checks, receiptAgrees(stamp, verification), afterReception(r, verification)];
    const failed = parts.filter((p) => p.status === "fail");
    const where = `${stamp.tsa}`;
    if (failed.length) {
      add({ id, label, status: "fail", detail: `${where}: ${failed.map((p) => `${p.id} failed: ${p.detail}`).join("; ")}`, parts });
      continue;
    }
    const genTime = verification.genTimeIso!;
    const accuracy = verification.accuracyMs ?? 0;
    const facts = `${where}: genTime ${genTime}${accuracy ? ` ±${accuracy} ms` : ""}, serial ${verification.serialNumber}, signed by ${verification.tsa?.subject}`;
    if (!verification.ok) {
      add({
        id,
        label,
        status: "warn",
        detail: `${facts}; no trusted CA for this TSA was given, so who signed it, and so its time, is not established`,
        parts,
      });
      continue;
    }
    add({ id, label, status: "pass", detail: `${facts}, chained to a trusted CA`, parts });
    proven.push({
      source: "rfc3161",
      by: `the RFC 3161 time-stamp of ${stamp.tsa} (${verification.tsa?.subject}, serial ${verification.serialNumber})`,
      noLaterThan: new Date(verification.latestMs!).toISOString(),
      precision: accuracy
        ? `genTime ${genTime}, plus the TSA's stated accuracy of ${accuracy} ms`
        : `genTime ${genTime}, with no accuracy stated in the token`,
      trusted: true,
    });
  }
  if (r.timestampsPending?.length) {
    add({
      id: "timestamp.pending",
      label: "time-stamps pending",
      status: "skip",
      detail: `not yet answered when the receipt was made: ${r.timestampsPending.join(", ")}`,
    });
  }
  return proven;
}

/** The receipt's `genTime` and `serialNumber` are the token's own, not another token's. */
function receiptAgrees(stamp: TimestampProof, v: TokenVerification): Part {
  const base = { id: "tsa.receipt", label: "receipt agrees with the token" };
  if (!v.genTime) return { ...base, status: "skip", detail: "the token could not be read" };
  const stated = Date.parse(stamp.genTime);
  if (stated !== v.genTime.getTime() || stamp.serialNumber !== v.serialNumber) {
    return {
      ...base,
      status: "fail",
      detail: `the receipt says genTime ${stamp.genTime}, serial ${stamp.serialNumber}; the token says ${v.genTime.toISOString()}, serial ${v.serialNumber}`,
    };
  }
  return { ...base, status: "pass", detail: `genTime ${stamp.genTime}, serial ${stamp.serialNumber}` };
}

/** The root was stamped after its items were received: a genTime before `receivedAt` is impossible. */
function afterReception(r: EvidenceReceipt, v: TokenVerification): Part {
  const base = { id: "tsa.reception", label: "time-stamp after reception" };
  const received = receivedAt(r);
  if (!v.genTime || v.latestMs === null || !received) return { ...base, status: "skip", detail: "no genTime or reception time to compare" };
  const tolerance = (v.accuracyMs ?? 0) + CLOCK_TOLERANCE_MS;
  const lead = received.getTime() - v.latestMs! + (v.accuracyMs ?? 0);
  const facts = `genTime ${v.genTimeIso}, received ${received.toISOString()}, tolerance ${tolerance} ms (the token's accuracy and 1 s for the clocks)`;
  return received.getTime() - v.latestMs! > CLOCK_TOLERANCE_MS
    ? { ...base, status: "fail", detail: `the time-stamp precedes the service's reception of the file by ${lead} ms: ${facts}` }
    : { ...base, status: "pass", detail: facts };
}

/**
 * What is wrong with a stored token, before it goes into a receipt (null: nothing): it must be a signed
 * token over this root, with the genTime and serial stored beside it. Its CA is checked when it is fetched.
 */
export async function storedTokenProblem(
  token: Uint8Array,
  root: string,
  stored: { genTime: string; serialNumber: string },
): Promise<string | null> {
  const v = await verifyTimestampToken(token, { data: Buffer.from(root.slice(2), "hex") });
  const parts: Part[] = [
    ...v.checks.filter((c) => c.id !== "tsa.chain"),
    receiptAgrees({ type: "rfc3161", tsa: "", token: "", ...stored }, v),
  ];
  const failed = parts.find((p) => p.status === "fail");
  return failed ? `${failed.id}: ${failed.detail}` : null;
}
