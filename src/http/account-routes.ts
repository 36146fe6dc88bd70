/** /v1/account (who am I) and /v1/accounts: admins create accounts; keys are shown once, then only their prefix. */
import { Router, json, type Request, type Response } from "express";
import { z } from "zod";
import type { AccountRepository } from "../ports/repositories.ts";
import { createAccount, createApiKey, listApiKeys, revokeApiKey } from "../use-cases/accounts.ts";
import { accountOf, requireAdmin, requireApiKey } from "./auth.ts";
import { parseInput } from "./validation.ts";

const CreateAccountSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  role: z.enum(["admin", "member"]).default("member"),
});
const AccountParams = z.object({ id: z.string().min(1).max(100) });
const KeyParams = AccountParams.extend({ keyId: z.string().min(1).max(100) });

export function accountRoutes(accounts: AccountRepository): Router {
  const router = Router();
  router.use(requireApiKey(accounts), json({ limit: "16kb" }));

  router.get("/account", (req: Request, res: Response) => {
    res.json(accountOf(req));
  });

  router.post("/accounts", requireAdmin(), (req: Request, res: Response) => {
    const input = parseInput(CreateAccountSchema, req.body ?? {});
    const { account, apiKey, keyId } = createAccount(accounts, input);
    res.status(201).location(`/v1/accounts/${account.id}`).json({ ...account, apiKey, keyId });
  });

  router.post("/accounts/:id/keys", (req: Request, res: Response) => {
    const { id } = parseInput(AccountParams, req.params);
    const { apiKey, record } = createApiKey(accounts, accountOf(req), id);
    res.status(201).json({ ...record, apiKey });
  });

  router.get("/accounts/:id/keys", (req: Request, res: Response) => {
    const { id } = parseInput(AccountParams, req.params);
    res.json({ items: listApiKeys(accounts, accountOf(req), id) });
  });

  router.delete("/accounts/:id/keys/:keyId", (req: Request, res: Response) => {
    const { id, keyId } = parseInput(KeyParams, req.params);
    revokeApiKey(accounts, accountOf(req), id, keyId);
    res.status(204).end();
  });

  return router;
}
