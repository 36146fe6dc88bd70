/** Bearer API keys. The account is attached to the request; its key is never logged. */
import type { Request, RequestHandler } from "express";
import { AppError, Errors } from "../errors.ts";
import type { Account, AccountRepository } from "../ports/account-repository.ts";
import { authenticate } from "../use-cases/accounts.ts";

const accounts = new WeakMap<Request, Account>();

export function requireApiKey(repository: AccountRepository): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    accounts.set(req, await authenticate(repository, match?.[1]));
    next();
  };
}

export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    if (accountOf(req).role !== "admin") throw new AppError(Errors.FORBIDDEN, { action: "manage accounts" });
    next();
  };
}

export function accountOf(req: Request): Account {
  const account = accounts.get(req);
  if (!account) throw new AppError(Errors.UNAUTHENTICATED);
  return account;
}
