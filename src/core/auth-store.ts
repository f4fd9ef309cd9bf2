/**
 * The accounts, sessions and service tokens of the API (local sign-in). Secrets are stored as hashes only:
 * passwords with scrypt, session ids and tokens with SHA-256. Implemented in `store/`.
 */
import type { Role } from './roles.ts';

/** A local user account. */
export interface Account {
  readonly id: string;
  readonly username: string;
  /** `scrypt$N$r$p$salt$hash` (see `auth/passwords.ts`). */
  readonly passwordHash: string;
  readonly roles: readonly Role[];
  readonly failedLogins: number;
  readonly lockedUntil?: Date;
  readonly disabled: boolean;
  readonly createdAt: Date;
}

/** A signed-in session. */
export interface Session {
  /** SHA-256 (hex) of the cookie value. */
  readonly idHash: string;
  readonly accountId: string;
  readonly csrfToken: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
}

/** A service token (integrations, scripts, monitoring). */
export interface ApiToken {
  /** SHA-256 (hex) of the token. */
  readonly hash: string;
  readonly name: string;
  readonly roles: readonly Role[];
  readonly createdAt: Date;
}

/** The store of accounts, sessions and tokens. */
export interface AuthStore {
  createAccount(account: Omit<Account, 'failedLogins' | 'disabled' | 'createdAt'>): Promise<boolean>;
  getAccountByName(username: string): Promise<Account | undefined>;
  getAccount(id: string): Promise<Account | undefined>;
  setPassword(accountId: string, passwordHash: string): Promise<void>;
  /** Counts a failed sign-in; locks the account until `lockUntil` when the count reaches `maxFailures`. */
  recordFailedLogin(accountId: string, maxFailures: number, lockUntil: Date): Promise<Account | undefined>;
  recordSuccessfulLogin(accountId: string): Promise<void>;
  createSession(session: Session): Promise<void>;
  getSession(idHash: string): Promise<Session | undefined>;
  /** Moves the session's idle deadline (never past its absolute expiry). */
  touchSession(idHash: string, lastSeenAt: Date): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  saveToken(token: ApiToken): Promise<void>;
  getToken(hash: string): Promise<ApiToken | undefined>;
}
