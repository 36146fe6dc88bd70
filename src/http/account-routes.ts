/** /v1/account (who am I) and /v1/accounts: admins create accounts; keys are shown once, then only their prefix. */
import { json, type Request, type Response } from "express";
import { z } from "zod";
import type { IndexStore } from "../ports/index-store.ts";
import { createAccount, createApiKey, listApiKeys, revokeApiKey } from "../use-cases/accounts.ts";
import { accountOf, requireAdmin, requireApiKey } from "./auth.ts";
import { IDEMPOTENCY_PROBLEMS, idempotency, IdempotencyHeaderSchema, type IdempotencySettings, withoutShownOnce } from "./idempotency.ts";
import { BEARER, DocumentedRouter, jsonResponse, problems } from "./documented-router.ts";
import { ACCOUNT_ROLES, type PlatformSettings } from "../ports/account-repository.ts";
import { AccountSchema, ApiKeyListSchema, PlatformSettingsSchema, CreatedAccountSchema, CreatedApiKeySchema } from "./schemas.ts";
import { parseInput } from "./validation.ts";

const CreateAccountSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    // "member", the role before cases had parties, is a rights-holder.
    role: z
      .enum([...ACCOUNT_ROLES, "member"])
      .default("rights-holder")
      .transform((role) => (role === "member" ? "rights-holder" : role)),
    platformId: z.string().min(1).max(100).optional().meta({ description: "respondent: its platform's account id" }),
    sellerIds: z
      .array(z.string().trim().min(1).max(200))
      .min(1)
      .max(1000)
      .optional()
      .meta({ description: "respondent: its seller ids there" }),
    settings: PlatformSettingsSchema.partial().optional().meta({ description: "platform: its clocks (defaults from the configuration)" }),
  })
  .meta({ id: "NewAccount", example: { name: "Brand Protection Ltd", role: "rights-holder" } });
const AccountParams = z.object({ id: z.string().min(1).max(100) });
const KeyParams = AccountParams.extend({ keyId: z.string().min(1).max(100) });

const common = { tags: ["Accounts"], security: BEARER };
const unauthenticated = { 401: "No key, an unknown key or a revoked key (UNAUTHENTICATED)" };
const notFound = { 404: "No such account for this key (ACCOUNT_NOT_FOUND), or no such key (API_KEY_NOT_FOUND)" };

export function accountRoutes(
  index: Pick<IndexStore, "transaction" | "accounts">,
  settings: IdempotencySettings,
  platformDefaults: PlatformSettings,
): DocumentedRouter {
  const accounts = index.accounts;
  const idempotent = idempotency(settings, { keep: withoutShownOnce("apiKey") }); // issue another key if it was lost;
  const routes = new DocumentedRouter("/v1");
  routes.router.use(["/account", "/accounts"], requireApiKey(accounts), json({ limit: "16kb" }));

  routes.add(
    {
      ...common,
      method: "get",
      path: "/account",
      summary: "The account of the key in use",
      responses: { 200: jsonResponse("The account", AccountSchema), ...problems(unauthenticated) },
    },
    (req: Request, res: Response) => {
      res.json(accountOf(req));
    },
  );

  routes.add(
    {
      ...common,
      method: "post",
      path: "/accounts",
      summary: "Create an account (admin); its first API key is shown once",
      request: { headers: IdempotencyHeaderSchema, body: { content: { "application/json": { schema: CreateAccountSchema } } } },
      responses: {
        201: jsonResponse("Created (a replay for an Idempotency-Key: the same, without `apiKey`)", CreatedAccountSchema),
        ...problems({
          400: "A field is missing or malformed; a malformed Idempotency-Key",
          ...unauthenticated,
          403: "The key's account is not an admin (FORBIDDEN)",
          ...IDEMPOTENCY_PROBLEMS,
        }),
      },
    },
    requireAdmin(),
    idempotent,
    async (req: Request, res: Response) => {
      const input = parseInput(CreateAccountSchema, req.body ?? {});
      const { account, apiKey, keyId } = await createAccount(index, input, platformDefaults);
      res
        .status(201)
        .location(`/v1/accounts/${account.id}`)
        .json({ ...account, apiKey, keyId });
    },
  );

  routes.add(
    {
      ...common,
      method: "post",
      path: "/accounts/:id/keys",
      summary: "Issue another API key (admin, or the account itself); shown once",
      request: { params: AccountParams, headers: IdempotencyHeaderSchema },
      responses: {
        201: jsonResponse("Created (a replay for an Idempotency-Key: the same, without `apiKey`)", CreatedApiKeySchema),
        ...problems({ 400: "A malformed Idempotency-Key", ...unauthenticated, ...notFound, ...IDEMPOTENCY_PROBLEMS }),
      },
    },
    idempotent,
    async (req: Request, res: Response) => {
      const { id } = parseInput(AccountParams, req.params);
      const { apiKey, record } = await createApiKey(accounts, accountOf(req), id);
      res.status(201).json({ ...record, apiKey });
    },
  );

  routes.add(
    {
      ...common,
      method: "get",
      path: "/accounts/:id/keys",
      summary: "List an account's keys (never the keys themselves)",
      request: { params: AccountParams },
      responses: { 200: jsonResponse("The keys", ApiKeyListSchema), ...problems({ ...unauthenticated, ...notFound }) },
    },
    async (req: Request, res: Response) => {
      const { id } = parseInput(AccountParams, req.params);
      res.json({ items: await listApiKeys(accounts, accountOf(req), id) });
    },
  );

  routes.add(
    {
      ...common,
      method: "delete",
      path: "/accounts/:id/keys/:keyId",
      summary: "Revoke a key: it answers 401 from then on",
      request: { params: KeyParams },
      responses: { 204: { description: "Revoked" }, ...problems({ ...unauthenticated, ...notFound }) },
    },
    async (req: Request, res: Response) => {
      const { id, keyId } = parseInput(KeyParams, req.params);
      await revokeApiKey(accounts, accountOf(req), id, keyId);
      res.status(204).end();
    },
  );

  return routes;
}
