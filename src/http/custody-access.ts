/**
 * Every access to evidence goes into the custody log with its outcome (use-cases/record-custody.ts).
 * A logged route names what it reads (`item`, `name`, or `wholeLog`), records its answer just before sending
 * it (`record`: nothing leaves unless the entry is committed), and `failed`, the router's error
 * middleware, records a failed access to an item the caller may see. A request that never reached an
 * item (no key, a malformed id, another account's item: 404) is not an access and is not recorded.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from "express";
import { Errors, type ErrorCode } from "../errors.ts";
import type { CustodyLog } from "../ports/custody-log.ts";
import type { EvidenceRepository } from "../ports/evidence-repository.ts";
import { recordAccess, type Access } from "../use-cases/record-custody.ts";
import { callerOf } from "./auth.ts";
import { statusOf, toAppError } from "./errors.ts";

/** The request's part of a custody entry. `req.ip` is the client's address as TRUST_PROXY has Express read it. */
export function accessOf(req: Request, res: Response): Access {
  const { account, keyId } = callerOf(req);
  return { accountId: account.id, keyId, method: req.method, route: String(res.locals.route), client: req.ip };
}

const NOT_AN_ACCESS = new Set<ErrorCode>([
  Errors.UNAUTHENTICATED.code,
  Errors.FORBIDDEN.code,
  Errors.INVALID_REQUEST.code,
  Errors.EVIDENCE_NOT_FOUND.code,
  Errors.INDEX_UNAVAILABLE.code, // the log is in the index: nothing can be recorded
]);

interface Logged {
  /** The item read; undefined for the whole log. */
  evidenceId: string | undefined;
  recorded: boolean;
}

const logged = (res: Response): Logged | undefined => res.locals.custody as Logged | undefined;

export function custodyRecorder(deps: { custody: Pick<CustodyLog, "append">; evidence: Pick<EvidenceRepository, "get"> }) {
  return {
    /** Before a route that reads the item `:id`. */
    item: ((req, res, next) => {
      res.locals.custody = { evidenceId: String(req.params.id), recorded: false } satisfies Logged;
      next();
    }) as RequestHandler,

    /** Names the item from within a route that learns it late (a capture's bundle: its manifest). */
    name(res: Response, evidenceId: string): void {
      res.locals.custody = { evidenceId, recorded: false } satisfies Logged;
    },

    /** Before a route that reads the whole log. */
    wholeLog: ((_req, res, next) => {
      res.locals.custody = { evidenceId: undefined, recorded: false } satisfies Logged;
      next();
    }) as RequestHandler,

    /** Records the answer the route is about to send: for the item named, or for each item it hands out (a bundle). */
    async record(req: Request, res: Response, status = 200, evidenceIds?: readonly string[]): Promise<void> {
      const noted = logged(res)!;
      for (const id of evidenceIds ?? [noted.evidenceId]) await recordAccess(deps.custody, accessOf(req, res), id, { status });
      noted.recorded = true;
    },

    failed: (async (error, req, res, next) => {
      const noted = logged(res);
      const failure = toAppError(error);
      if (!noted || noted.recorded || NOT_AN_ACCESS.has(failure.code)) return next(error);
      try {
        const access = accessOf(req, res);
        const allowed =
          noted.evidenceId === undefined
            ? callerOf(req).account.role === "admin"
            : await deps.evidence.get(access.accountId, noted.evidenceId);
        if (allowed) await recordAccess(deps.custody, access, noted.evidenceId, { status: statusOf(failure), code: failure.code });
      } catch (cause) {
        req.log?.error({ err: cause, evidence: noted.evidenceId }, "a failed access could not be recorded in the custody log");
      }
      next(error);
    }) as ErrorRequestHandler,
  };
}

export type CustodyRecorder = ReturnType<typeof custodyRecorder>;
