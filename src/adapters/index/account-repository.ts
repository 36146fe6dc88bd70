/** AccountRepository in SQL. */
import type { Kysely, Selectable } from "kysely";
import type { Account, AccountRepository, ApiKeyRecord, Caller, PlatformSettings } from "../../ports/account-repository.ts";
import type { Database } from "./schema.ts";

export class SqlAccountRepository implements AccountRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async count(): Promise<number> {
    const row = await this.#db
      .selectFrom("accounts")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async create(account: Account): Promise<void> {
    await this.#db
      .insertInto("accounts")
      .values({
        id: account.id,
        name: account.name,
        // `role` keeps its first meaning (admin or not); the party an account is in cases is `party`.
        role: account.role === "admin" ? "admin" : "member",
        party: account.role === "admin" ? null : account.role,
        platform_id: account.platformId ?? null,
        seller_ids: account.sellerIds ? JSON.stringify(account.sellerIds) : null,
        settings: account.settings ? JSON.stringify(account.settings) : null,
        created_at: account.createdAt,
      })
      .execute();
  }

  async get(id: string): Promise<Account | null> {
    const row = await this.#db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async addKey(key: ApiKeyRecord & { keyHash: string }): Promise<void> {
    await this.#db
      .insertInto("api_keys")
      .values({ id: key.id, account_id: key.accountId, key_hash: key.keyHash, prefix: key.prefix, created_at: key.createdAt })
      .execute();
  }

  async byKeyHash(keyHash: string): Promise<Caller | null> {
    const row = await this.#db
      .selectFrom("api_keys as k")
      .innerJoin("accounts as a", "a.id", "k.account_id")
      .selectAll("a")
      .select("k.id as key_id")
      .where("k.key_hash", "=", keyHash)
      .where("k.revoked_at", "is", null)
      .executeTakeFirst();
    return row ? { account: toAccount(row), keyId: row.key_id } : null;
  }

  async listKeys(accountId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.#db
      .selectFrom("api_keys")
      .select(["id", "account_id", "prefix", "created_at", "revoked_at"])
      .where("account_id", "=", accountId)
      .orderBy("created_at")
      .execute();
    return rows.map((r) => ({ id: r.id, accountId: r.account_id, prefix: r.prefix, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  async revokeKey(accountId: string, keyId: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("api_keys")
      .set((eb) => ({ revoked_at: eb.fn.coalesce("revoked_at", eb.val(at)) }))
      .where("id", "=", keyId)
      .where("account_id", "=", accountId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}

/** Accounts made before roles had parties (role "member") are rights-holders: archiving evidence was all they could do. */
function toAccount(row: Selectable<Database["accounts"]>): Account {
  return {
    id: row.id,
    name: row.name,
    role: row.role === "admin" ? "admin" : ((row.party ?? "rights-holder") as Account["role"]),
    createdAt: row.created_at,
    ...(row.platform_id ? { platformId: row.platform_id } : {}),
    ...(row.seller_ids ? { sellerIds: JSON.parse(row.seller_ids) as string[] } : {}),
    ...(row.settings ? { settings: JSON.parse(row.settings) as PlatformSettings } : {}),
  };
}
