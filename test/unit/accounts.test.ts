import { expect } from "chai";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { Errors, isAppError } from "../../src/errors.ts";
import { authenticate, createAccount, createApiKey, hashApiKey, listApiKeys, revokeApiKey } from "../../src/use-cases/accounts.ts";

async function expectAppError(fn: () => Promise<unknown>, descriptor: (typeof Errors)[keyof typeof Errors]) {
  try {
    await fn();
  } catch (error) {
    expect(isAppError(error, descriptor), String(error)).to.equal(true);
    return;
  }
  throw new Error(`expected ${descriptor.code}`);
}

describe("accounts and API keys", () => {
  it("authenticates a new account's key, and stores only its hash", async () => {
    const index = await openSqliteIndex(":memory:");
    const { account, apiKey, keyId } = await createAccount(index, { name: "Brand Legal" });
    expect(apiKey).to.match(/^eak_[A-Za-z0-9_-]{43}$/);
    expect(await authenticate(index.accounts, apiKey)).to.deep.equal({ account, keyId });
    expect(await index.accounts.byKeyHash(hashApiKey(apiKey))).to.deep.equal({ account, keyId });
    expect(await index.accounts.byKeyHash(apiKey)).to.equal(null);
    const listed = await listApiKeys(index.accounts, account, account.id);
    expect(listed).to.have.length(1);
    expect(JSON.stringify(listed)).not.to.include(apiKey);
    expect(apiKey.startsWith(listed[0]!.prefix)).to.equal(true);
  });

  it("refuses a missing, unknown or revoked key", async () => {
    const index = await openSqliteIndex(":memory:");
    const { account, apiKey, keyId } = await createAccount(index, { name: "a" });
    await expectAppError(() => authenticate(index.accounts, undefined), Errors.UNAUTHENTICATED);
    await expectAppError(() => authenticate(index.accounts, apiKey + "x"), Errors.UNAUTHENTICATED);
    await revokeApiKey(index.accounts, account, account.id, keyId);
    await expectAppError(() => authenticate(index.accounts, apiKey), Errors.UNAUTHENTICATED);
    expect((await listApiKeys(index.accounts, account, account.id))[0]!.revokedAt).to.be.a("string");
  });

  it("lets an admin manage any account's keys and a member only its own; others' accounts read as not found", async () => {
    const index = await openSqliteIndex(":memory:");
    const { account: admin } = await createAccount(index, { name: "ops", role: "admin" });
    const { account: alice } = await createAccount(index, { name: "alice" });
    const { account: bob } = await createAccount(index, { name: "bob" });
    const { apiKey } = await createApiKey(index.accounts, admin, alice.id);
    expect((await authenticate(index.accounts, apiKey)).account.id).to.equal(alice.id);
    expect((await createApiKey(index.accounts, alice, alice.id)).apiKey).to.be.a("string");
    await expectAppError(() => createApiKey(index.accounts, alice, bob.id), Errors.ACCOUNT_NOT_FOUND);
    await expectAppError(() => listApiKeys(index.accounts, bob, alice.id), Errors.ACCOUNT_NOT_FOUND);
    await expectAppError(() => revokeApiKey(index.accounts, alice, alice.id, "key_unknown"), Errors.API_KEY_NOT_FOUND);
  });
});
