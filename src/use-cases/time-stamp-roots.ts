/**
 * batch root → RFC 3161 time-stamp tokens, one per configured TSA. A batch asks for them when it is
 * formed (anchor-batch.ts); this fetches what is due: request (SHA-256 of the root's 32 bytes, a random
 * nonce, the TSA's certificate asked for), read the reply, check the token as a verifier would (status,
 * nonce, imprint, signature, ESS signing certificate, timeStamping usage, chain to the TSA's CA, genTime
 * near our clock) and only then store it. A TSA that is down or answers badly is retried with backoff,
 * and never holds up the chain anchor, which does not wait for this.
 */
import { buildTimestampRequest, readTimestampReply, verifyTimestampToken } from "../domain/timestamp-token.ts";
import type { TimestampAuthority } from "../ports/timestamp-authority.ts";
import type { TimestampRepository } from "../ports/timestamp-repository.ts";

export interface TrustedAuthority {
  authority: TimestampAuthority;
  /** PEM of the CA this TSA's certificate must chain to (TSA_CA_FILES). */
  trustAnchors: string[];
}

export interface StampDeps {
  timestamps: Pick<TimestampRepository, "claimDue" | "recordToken" | "recordFailure" | "release">;
  authorities: readonly TrustedAuthority[];
  /** This instance's name, for claims. */
  owner: string;
  /** How long a claim lasts: longer than a TSA's deadline. */
  leaseMs: number;
  /** The first retry's delay (TSA_RETRY_MS); it doubles at each failure, to an hour at most. */
  retryBaseMs?: number;
  now?: () => Date;
  log?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface StampResult {
  stamped: number;
  failed: number;
}

/** Retry delays: the base (5 s by default), doubling with each attempt, at most an hour. */
export function retryDelayMs(attempts: number, baseMs = 5000): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 3_600_000);
}

export async function stampDueRoots(deps: StampDeps, options: { max?: number; signal?: AbortSignal } = {}): Promise<StampResult> {
  const result: StampResult = { stamped: 0, failed: 0 };
  const byUrl = new Map(deps.authorities.map((a) => [a.authority.url, a]));
  const due = await deps.timestamps.claimDue([...byUrl.keys()], deps.owner, deps.leaseMs, options.max ?? 20);
  // One TSA's stamps in sequence (it is one server), different TSAs side by side.
  const perTsa = Map.groupBy(due, (d) => d.tsa);
  await Promise.all(
    [...perTsa].map(async ([url, stamps]) => {
      const trusted = byUrl.get(url)!;
      // Stopping: what was claimed and not finished is given back, so the next start asks at once.
      const giveBack = (root: string) => deps.timestamps.release(root, url, deps.owner).catch(() => undefined);
      for (const stamp of stamps) {
        if (options.signal?.aborted) {
          await giveBack(stamp.root);
          continue;
        }
        // Whatever goes wrong with one stamp (an answer no parser expected, say) is that stamp's failure,
        // recorded, so that it is asked again later, never left claimed.
        const problem = await stampOne(deps, trusted, stamp.root, options.signal).catch(
          (error: unknown) => `could not be checked: ${messageOf(error)}`,
        );
        if (problem === null) {
          result.stamped += 1;
          continue;
        }
        if (options.signal?.aborted) {
          await giveBack(stamp.root);
          continue;
        }
        result.failed += 1;
        const retryInMs = retryDelayMs(stamp.attempts, deps.retryBaseMs);
        deps.log?.warn({ tsa: url, root: stamp.root, attempts: stamp.attempts, retryInMs, problem }, "time-stamp not obtained; will retry");
        await deps.timestamps.recordFailure(stamp.root, url, deps.owner, problem, retryInMs);
      }
    }),
  );
  return result;
}

/** Fetches, checks and stores one token; null when stored, else what went wrong. */
async function stampOne(deps: StampDeps, trusted: TrustedAuthority, root: string, signal?: AbortSignal): Promise<string | null> {
  const data = Buffer.from(root.slice(2), "hex");
  const request = buildTimestampRequest(data);
  let replyDer: Uint8Array;
  try {
    replyDer = await trusted.authority.request(request.der, { signal });
  } catch (error) {
    return messageOf(error);
  }
  const reply = await readTimestampReply(replyDer, request);
  if ("failure" in reply) return reply.failure;
  const receivedAt = deps.now?.() ?? new Date();
  const verification = await verifyTimestampToken(reply.token, {
    data,
    nonce: request.nonce,
    trustAnchors: trusted.trustAnchors,
    receivedAt,
  });
  if (!verification.ok) {
    const failed = verification.checks.filter((c) => c.status !== "pass" && c.status !== "skip");
    const chain = verification.checks.find((c) => c.id === "tsa.chain");
    const reasons = failed.length ? failed : chain ? [chain] : [];
    return `the token does not verify: ${reasons.map((c) => `${c.id}: ${c.detail}`).join("; ")}`;
  }
  const stored = await deps.timestamps.recordToken(
    root,
    trusted.authority.url,
    deps.owner,
    { token: reply.token, genTime: verification.genTimeIso!, serialNumber: verification.serialNumber! },
    receivedAt.toISOString(),
  );
  if (stored) deps.log?.info({ tsa: trusted.authority.url, root, genTime: verification.genTime }, "root time-stamped");
  return null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
