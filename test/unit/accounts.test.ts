import { expect } from "chai";
import { SqliteIndex } from "../../src/adapters/sqlite/sqlite-index.ts";
import { Errors, isAppError } from "../../src/errors.ts";
import {
  authenticate,
  createAccount,
  createApiKey,
  hashApiKey,
  listApiKeys,
  revokeApiKey,
} from "../../src/use-cases/accounts.ts";

function expectAppError(fn: () => unknown, descriptor: (typeof Errors)[keyof typeof Errors]) {
  try {
    fn();
  } catch (error) {
    expect(isAppError(error, descriptor), String(error)).to.equal(true);
    return;
  }
  throw new Error(`expected ${descriptor.code}`);
}

describe("accounts and API keys", () => {
  it("authenticates a new account's key, and stores only its hash", () => {
    const index = new SqliteIndex(":memory:");
    const { account, apiKey } = createAccount(index, { name: "Brand Legal" });
    expect(apiKey).to.match(/^eak_[A-Za-z0-9_-]{43}$/);
    expect(authenticate(index, apiKey)).to.deep.equal(account);
    expect(index.accountByKeyHash(hashApiKey(apiKey))!.id).to.equal(account.id);
    expect(index.accountByKeyHash(apiKey)).to.equal(null);
    const listed = listApiKeys(index, account, account.id);
    expect(listed).to.have.length(1);
    expect(JSON.stringify(listed)).not.to.include(apiKey);
    expect(apiKey.startsWith(listed[0]!.prefix)).to.equal(true);
  });

  it("refuses a missing, unknown or revoked key", () => {
    const index = new SqliteIndex(":memory:");
    const { account, apiKey, keyId } = createAccount(index, { name: "a" });
    expectAppError(() => authenticate(index, undefined), Errors.UNAUTHENTICATED);
    expectAppError(() => authenticate(index, apiKey + "x"), Errors.UNAUTHENTICATED);
    revokeApiKey(index, account, account.id, keyId);
    expectAppError(() => authenticate(index, apiKey), Errors.UNAUTHENTICATED);
    expect(listApiKeys(index, account, account.id)[0]!.revokedAt).to.be.a("string");
  });

  it("lets an admin manage any account's keys and a member only its own; others' accounts read as not found", () => {
    const index = new SqliteIndex(":memory:");
    const { account: admin } = createAccount(index, { name: "ops", role: "admin" });
    const { account: alice } = createAccount(index, { name: "alice" });
    const { account: bob } = createAccount(index, { name: "bob" });
    const { apiKey } = createApiKey(index, admin, alice.id);
    expect(authenticate(index, apiKey).id).to.equal(alice.id);
    expect(createApiKey(index, alice, alice.id).apiKey).to.be.a("string");
    expectAppError(() => createApiKey(index, alice, bob.id), Errors.ACCOUNT_NOT_FOUND);
    expectAppError(() => listApiKeys(index, bob, alice.id), Errors.ACCOUNT_NOT_FOUND);
    expectAppError(() => revokeApiKey(index, alice, alice.id, "key_unknown"), Errors.API_KEY_NOT_FOUND);
  });
});
