/**
 * Leases: one holder at a time for a named duty (anchoring), across instances. A lease expires unless
 * renewed, so a dead holder's duty passes to another instance. Each new holder gets a higher fencing
 * token; a write made under a lease first checks, in the same transaction, that the token still holds,
 * so a holder that stalled past its lease (paused, cut off) can no longer write.
 */
export interface LeaseRepository {
  /** Takes or renews the lease for `ttlMs`; its fencing token while `holder` holds it, or null. */
  acquire(name: string, holder: string, ttlMs: number): Promise<number | null>;
  /** Throws LeaseLostError unless `token` is still the lease's, unexpired. Use inside the transaction it guards. */
  assertHeld(name: string, token: number): Promise<void>;
  release(name: string, holder: string): Promise<void>;
}

export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}
