/**
 * Recording the chain of custody: who did what to which item, from where, and with what outcome. An
 * item stored is recorded in the transaction that indexes it (no record without its entry, no entry for
 * a record rolled back); a read is recorded once its outcome is known, before the answer leaves.
 */
import type { NewCustodyEntry } from "../domain/custody-log.ts";
import type { CustodyLog } from "../ports/custody-log.ts";

/** A request's part of an entry: the account and key, the method and route template, the client's address. */
export interface Access {
  accountId: string;
  keyId: string;
  method: string;
  route: string;
  client?: string;
}

/** What was answered: the HTTP status, and the error code for a failure. */
export interface Outcome {
  status: number;
  code?: string;
}

/** Who stored an item: a request, or a capture the service ran for an account. */
export type StoredBy = Access | { capture: { id: string; accountId: string } } | { service: { accountId: string; route: string } };

export function accessEntry(access: Access, evidenceId: string | undefined, outcome: Outcome, at = new Date()): NewCustodyEntry {
  return {
    at: at.toISOString(),
    evidenceId,
    accountId: access.accountId,
    keyId: access.keyId,
    method: access.method,
    route: access.route,
    client: access.client,
    status: outcome.status,
    code: outcome.code,
  };
}

/** The first entry of an item: stored (201), by a request or by a capture. */
export function storedEntry(evidenceId: string, by: StoredBy, at = new Date()): NewCustodyEntry {
  if ("service" in by) return { at: at.toISOString(), evidenceId, accountId: by.service.accountId, route: by.service.route, status: 201 };
  if ("capture" in by) {
    return { at: at.toISOString(), evidenceId, accountId: by.capture.accountId, route: "capture", captureId: by.capture.id, status: 201 };
  }
  return accessEntry(by, evidenceId, { status: 201 }, at);
}

/** Appends the entry of an access to `evidenceId` (undefined: to the whole log). */
export async function recordAccess(
  custody: Pick<CustodyLog, "append">,
  access: Access,
  evidenceId: string | undefined,
  outcome: Outcome,
): Promise<void> {
  await custody.append(accessEntry(access, evidenceId, outcome));
}
