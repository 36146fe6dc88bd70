/**
 * Accounts and API keys. A key is 32 random bytes shown once; only its SHA-256 is stored (a key has
 * enough entropy that a slow hash would add nothing), so a copy of the index grants no access.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { sha256Hex } from "../domain/hashing.ts";
import { AppError, Errors } from "../errors.ts";
import { newId } from "../ids.ts";
import type { Account, AccountRepository, AccountRole, ApiKeyRecord, Caller, PlatformSettings } from "../ports/account-repository.ts";
import type { IndexStore } from "../ports/index-store.ts";

const KEY_PREFIX = "eak_";

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

/** The account and key a presented API key stands for. */
export async function authenticate(accounts: AccountRepository, presented: string | undefined): Promise<Caller> {
  if (!presented) throw new AppError(Errors.UNAUTHENTICATED);
  const caller = await accounts.byKeyHash(hashApiKey(presented));
  if (!caller) throw new AppError(Errors.UNAUTHENTICATED);
  return caller;
}

async function issueKey(
  accounts: AccountRepository,
  accountId: string,
  key = generateApiKey(),
): Promise<{ apiKey: string; record: ApiKeyRecord }> {
  const record: ApiKeyRecord = {
    id: newId.apiKey(),
    accountId,
    prefix: key.slice(0, 12),
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  await accounts.addKey({ ...record, keyHash: hashApiKey(key) });
  return { apiKey: key, record };
}

export interface NewAccount {
  name: string;
  role?: AccountRole;
  platformId?: string;
  sellerIds?: string[];
  settings?: Partial<PlatformSettings>;
}

/**
 * A respondent is bound to a platform account and its seller ids there (the cases about their listings
 * are theirs); a platform has clocks for its cases, the defaults filling what it does not set.
 */
export async function createAccount(
  index: Pick<IndexStore, "transaction">,
  input: NewAccount,
  platformDefaults?: PlatformSettings,
): Promise<{ account: Account; apiKey: string; keyId: string }> {
  const role = input.role ?? "rights-holder";
  if (role !== "respondent" && (input.platformId || input.sellerIds)) {
    throw new AppError(Errors.INVALID_REQUEST, { reason: "platformId and sellerIds belong to respondents only" });
  }
  if (role !== "platform" && input.settings) throw new AppError(Errors.INVALID_REQUEST, { reason: "settings belong to platforms only" });
  if (role === "respondent" && (!input.platformId || !input.sellerIds?.length)) {
    throw new AppError(Errors.INVALID_REQUEST, { reason: "a respondent needs platformId (its platform's account) and sellerIds" });
  }
  const account: Account = {
    id: newId.account(),
    name: input.name,
    role,
    createdAt: new Date().toISOString(),
    ...(role === "respondent" ? { platformId: input.platformId, sellerIds: [...new Set(input.sellerIds)] } : {}),
    ...(role === "platform" && platformDefaults ? { settings: { ...platformDefaults, ...input.settings } } : {}),
  };
  const { apiKey, record } = await index.transaction(async (tx) => {
    if (account.platformId && (await tx.accounts.get(account.platformId))?.role !== "platform") {
      throw new AppError(Errors.INVALID_REQUEST, { reason: `platformId: no platform account ${account.platformId}` });
    }
    await tx.accounts.create(account);
    return issueKey(tx.accounts, account.id);
  });
  return { account, apiKey, keyId: record.id };
}

/** Admins act on any account; a member only on its own. Others' accounts read as not found. */
async function accessibleAccount(accounts: AccountRepository, actor: Account, accountId: string): Promise<Account> {
  const target = actor.id === accountId || actor.role === "admin" ? await accounts.get(accountId) : null;
  if (!target) throw new AppError(Errors.ACCOUNT_NOT_FOUND, { id: accountId });
  return target;
}

export async function createApiKey(accounts: AccountRepository, actor: Account, accountId: string) {
  const target = await accessibleAccount(accounts, actor, accountId);
  return issueKey(accounts, target.id);
}

export async function listApiKeys(accounts: AccountRepository, actor: Account, accountId: string): Promise<ApiKeyRecord[]> {
  return accounts.listKeys((await accessibleAccount(accounts, actor, accountId)).id);
}

export async function revokeApiKey(accounts: AccountRepository, actor: Account, accountId: string, keyId: string): Promise<void> {
  const target = await accessibleAccount(accounts, actor, accountId);
  if (!(await accounts.revokeKey(target.id, keyId, new Date().toISOString()))) {
    throw new AppError(Errors.API_KEY_NOT_FOUND, { id: keyId });
  }
}

/**
 * On first start (no account yet): an admin account whose key is `bootstrapKey`, or a generated key
 * written to `keyFile` with mode 0600 and returned so it can be printed once.
 */
export async function bootstrapAdmin(
  index: Pick<IndexStore, "transaction">,
  options: { bootstrapKey?: string; keyFile: string },
): Promise<{ created: false } | { created: true; account: Account; generatedKey?: string }> {
  const key = options.bootstrapKey ?? generateApiKey();
  const account: Account = { id: newId.account(), name: "admin", role: "admin", createdAt: new Date().toISOString() };
  const created = await index.transaction(async (tx) => {
    // Taking the lease row locks it: instances starting together pass here one at a time, and the
    // later ones count the first one's admin.
    await tx.leases.acquire("bootstrap-admin", account.id, 60_000);
    if ((await tx.accounts.count()) > 0) return false;
    await tx.accounts.create(account);
    await issueKey(tx.accounts, account.id, key);
    return true;
  });
  if (!created) return { created: false };
  if (!options.bootstrapKey) {
    mkdirSync(dirname(options.keyFile), { recursive: true });
    writeFileSync(options.keyFile, key + "\n", { mode: 0o600 });
    chmodSync(options.keyFile, 0o600); // mode is ignored when the file already exists
  }
  return { created: true, account, generatedKey: options.bootstrapKey ? undefined : key };
}
