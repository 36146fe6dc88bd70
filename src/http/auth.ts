/** Bearer API keys. The account is attached to the request; its key is never logged. */
import type { Request, RequestHandler } from "express";
import { AppError, Errors } from "../errors.ts";
import type { Account, AccountRepository, Caller } from "../ports/account-repository.ts";
import { authenticate } from "../use-cases/accounts.ts";

const callers = new WeakMap<Request, Caller>();

export function requireApiKey(repository: AccountRepository): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    callers.set(req, await authenticate(repository, match?.[1]));
    next();
  };
}

export function requireAdmin(action = "manage accounts"): RequestHandler {
  return (req, _res, next) => {
    if (accountOf(req).role !== "admin") throw new AppError(Errors.FORBIDDEN, { action });
    next();
  };
}

export function accountOf(req: Request): Account {
  return callerOf(req).account;
}

/** The account and the key the request was made with. */
export function callerOf(req: Request): Caller {
  const caller = callers.get(req);
  if (!caller) throw new AppError(Errors.UNAUTHENTICATED);
  return caller;
}
