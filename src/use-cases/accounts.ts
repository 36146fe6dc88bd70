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
import type { Account, AccountRepository, ApiKeyRecord } from "../ports/repositories.ts";

const KEY_PREFIX = "eak_";

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

export function hashApiKey(key: string): string {
  return sha256Hex(key);
}

export function authenticate(accounts: AccountRepository, presented: string | undefined): Account {
  if (!presented) throw new AppError(Errors.UNAUTHENTICATED);
  const account = accounts.accountByKeyHash(hashApiKey(presented));
  if (!account) throw new AppError(Errors.UNAUTHENTICATED);
  return account;
}

function issueKey(accounts: AccountRepository, accountId: string, key = generateApiKey()): { apiKey: string; record: ApiKeyRecord } {
  const record: ApiKeyRecord = {
    id: newId.apiKey(),
    accountId,
    prefix: key.slice(0, 12),
    createdAt: new Date().toISOString(),
    revokedAt: null,
  };
  accounts.addApiKey({ ...record, keyHash: hashApiKey(key) });
  return { apiKey: key, record };
}

export function createAccount(
  accounts: AccountRepository,
  input: { name: string; role?: Account["role"] },
): { account: Account; apiKey: string; keyId: string } {
  const account: Account = {
    id: newId.account(),
    name: input.name,
    role: input.role ?? "member",
    createdAt: new Date().toISOString(),
  };
  accounts.createAccount(account);
  const { apiKey, record } = issueKey(accounts, account.id);
  return { account, apiKey, keyId: record.id };
}

/** Admins act on any account; a member only on its own. Others' accounts read as not found. */
function accessibleAccount(accounts: AccountRepository, actor: Account, accountId: string): Account {
  const target = actor.id === accountId || actor.role === "admin" ? accounts.getAccount(accountId) : null;
  if (!target) throw new AppError(Errors.ACCOUNT_NOT_FOUND, { id: accountId });
  return target;
}

export function createApiKey(accounts: AccountRepository, actor: Account, accountId: string) {
  const target = accessibleAccount(accounts, actor, accountId);
  return issueKey(accounts, target.id);
}

export function listApiKeys(accounts: AccountRepository, actor: Account, accountId: string): ApiKeyRecord[] {
  return accounts.listApiKeys(accessibleAccount(accounts, actor, accountId).id);
}

export function revokeApiKey(accounts: AccountRepository, actor: Account, accountId: string, keyId: string): void {
  const target = accessibleAccount(accounts, actor, accountId);
  if (!accounts.revokeApiKey(target.id, keyId, new Date().toISOString())) {
    throw new AppError(Errors.API_KEY_NOT_FOUND, { id: keyId });
  }
}

/**
 * On first start (no account yet): an admin account whose key is `bootstrapKey`, or a generated key
 * written to `keyFile` with mode 0600 and returned so it can be printed once.
 */
export function bootstrapAdmin(
  accounts: AccountRepository,
  options: { bootstrapKey?: string; keyFile: string },
): { created: false } | { created: true; account: Account; generatedKey?: string } {
  if (accounts.countAccounts() > 0) return { created: false };
  const key = options.bootstrapKey ?? generateApiKey();
  const account: Account = { id: newId.account(), name: "admin", role: "admin", createdAt: new Date().toISOString() };
  if (!options.bootstrapKey) {
    mkdirSync(dirname(options.keyFile), { recursive: true });
    writeFileSync(options.keyFile, key + "\n", { mode: 0o600 });
    chmodSync(options.keyFile, 0o600); // mode is ignored when the file already exists
  }
  accounts.createAccount(account);
  issueKey(accounts, account.id, key);
  return { created: true, account, generatedKey: options.bootstrapKey ? undefined : key };
}

