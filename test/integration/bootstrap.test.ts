/** The first start's admin account, and its key file on a real disk. */
import { expect } from "chai";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { openSqliteIndex } from "../../src/adapters/index/sql-index-store.ts";
import { authenticate, bootstrapAdmin } from "../../src/use-cases/accounts.ts";
import { tempDir } from "../helpers/temp.ts";

describe("bootstrapAdmin", () => {
  const dir = tempDir("bootstrap-");
  after(() => dir.remove());

  it("bootstraps one admin with a generated key written to a 0600 file, only on first start", async () => {
    const index = await openSqliteIndex(":memory:");
    const keyFile = join(dir.path, String(Math.random()), "bootstrap-api-key");
    const first = await bootstrapAdmin(index, { keyFile });
    if (!first.created) throw new Error("expected an admin");
    expect(first.account.role).to.equal("admin");
    expect(readFileSync(keyFile, "utf8").trim()).to.equal(first.generatedKey);
    expect(statSync(keyFile).mode & 0o777).to.equal(0o600);
    expect((await authenticate(index.accounts, first.generatedKey)).account.id).to.equal(first.account.id);
    expect((await bootstrapAdmin(index, { keyFile })).created).to.equal(false);
    expect(await index.accounts.count()).to.equal(1);
  });

  it("bootstraps the admin with BOOTSTRAP_API_KEY when given, writing no file", async () => {
    const index = await openSqliteIndex(":memory:");
    const key = "operator-chosen-key-0123456789";
    const keyFile = join(dir.path, String(Math.random()), "bootstrap-api-key");
    const result = await bootstrapAdmin(index, { bootstrapKey: key, keyFile });
    expect(result).to.deep.include({ created: true, generatedKey: undefined });
    expect((await authenticate(index.accounts, key)).account.role).to.equal("admin");
    expect(() => statSync(keyFile)).to.throw();
  });
});
