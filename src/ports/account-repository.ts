/** Accounts and their API keys (kept only as SHA-256 hashes). */
export interface Account {
  id: string;
  name: string;
  role: "admin" | "member";
  createdAt: string;
}

export interface ApiKeyRecord {
  id: string;
  accountId: string;
  /** The first characters of the key, to tell keys apart in lists; never enough to use it. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export interface AccountRepository {
  count(): Promise<number>;
  create(account: Account): Promise<void>;
  get(id: string): Promise<Account | null>;
  addKey(key: ApiKeyRecord & { keyHash: string }): Promise<void>;
  /** The account of a live (not revoked) key, by the key's hash. */
  byKeyHash(keyHash: string): Promise<Account | null>;
  listKeys(accountId: string): Promise<ApiKeyRecord[]>;
  revokeKey(accountId: string, keyId: string, at: string): Promise<boolean>;
}
