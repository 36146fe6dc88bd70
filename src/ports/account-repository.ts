/** Accounts and their API keys (kept only as SHA-256 hashes). */
export const ACCOUNT_ROLES = ["admin", "rights-holder", "platform", "respondent"] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

/** A platform's own clocks for its cases (docs/notice-and-takedown-law.md says where each comes from). */
export interface PlatformSettings {
  /** A notice is due for a decision this long after it was filed. */
  decisionDueHours: number;
  /** How long after a decision its respondent may file a counter-notice (DSA art. 20(1): at least six months). */
  counterNoticeWindowDays: number;
  /** Restoration falls due this many business days after a counter-notice (DMCA §512(g)(2)(C): 10 to 14). */
  restoreAfterBusinessDays: number;
}

export interface Account {
  id: string;
  name: string;
  role: AccountRole;
  createdAt: string;
  /** A respondent's platform (an account with the role platform). */
  platformId?: string;
  /** A respondent's seller ids on its platform: the cases about their listings are theirs. */
  sellerIds?: string[];
  /** A platform's clocks. */
  settings?: PlatformSettings;
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
