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

/** Who is asking: an account, through one of its keys. */
export interface Caller {
  account: Account;
  keyId: string;
}

export interface AccountRepository {
  count(): Promise<number>;
  create(account: Account): Promise<void>;
  get(id: string): Promise<Account | null>;
  addKey(key: ApiKeyRecord & { keyHash: string }): Promise<void>;
  /** The account of a live (not revoked) key, and the key's id, by the key's hash. */
  byKeyHash(keyHash: string): Promise<Caller | null>;
  listKeys(accountId: string): Promise<ApiKeyRecord[]>;
  revokeKey(accountId: string, keyId: string, at: string): Promise<boolean>;
}
