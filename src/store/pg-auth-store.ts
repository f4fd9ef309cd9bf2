/**
 * {@link AuthStore} on PostgreSQL or PGlite: accounts with failed-login counting and lock-out, sessions and
 * service tokens by the SHA-256 of their secret.
 */
import type { Account, ApiToken, AuthStore, Session } from '../core/auth-store.ts';
import type { Role } from '../core/roles.ts';
import type { SqlClient } from './sql-client.ts';

interface AccountRow {
  id: string;
  username: string;
  password_hash: string;
  roles: Role[];
  failed_logins: number;
  locked_until: Date | string | null;
  disabled: boolean;
  created_at: Date | string;
}

interface SessionRow {
  id_hash: string;
  account_id: string;
  csrf_token: string;
  created_at: Date | string;
  last_seen_at: Date | string;
  expires_at: Date | string;
}

interface TokenRow {
  hash: string;
  name: string;
  roles: Role[];
  created_at: Date | string;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

function accountOf(row: AccountRow): Account {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    roles: row.roles,
    failedLogins: row.failed_logins,
    ...(row.locked_until === null ? {} : { lockedUntil: toDate(row.locked_until) }),
    disabled: row.disabled,
    createdAt: toDate(row.created_at),
  };
}

function sessionOf(row: SessionRow): Session {
  return {
    idHash: row.id_hash,
    accountId: row.account_id,
    csrfToken: row.csrf_token,
    createdAt: toDate(row.created_at),
    lastSeenAt: toDate(row.last_seen_at),
    expiresAt: toDate(row.expires_at),
  };
}

/** The auth store on SQL. */
export class PgAuthStore implements AuthStore {
  readonly #sql: SqlClient;

  constructor(sql: SqlClient) {
    this.#sql = sql;
  }

  async createAccount(account: Omit<Account, 'failedLogins' | 'disabled' | 'createdAt'>): Promise<boolean> {
    const result = await this.#sql.query(
      `INSERT INTO account (id, username, password_hash, roles) VALUES ($1, $2, $3, $4::text[])
       ON CONFLICT DO NOTHING`,
      [account.id, account.username, account.passwordHash, [...account.roles]],
    );
    return result.rowCount === 1;
  }

  async getAccountByName(username: string): Promise<Account | undefined> {
    const result = await this.#sql.query<AccountRow>('SELECT * FROM account WHERE username = $1', [username]);
    return result.rows[0] === undefined ? undefined : accountOf(result.rows[0]);
  }

  async getAccount(id: string): Promise<Account | undefined> {
    const result = await this.#sql.query<AccountRow>('SELECT * FROM account WHERE id = $1', [id]);
    return result.rows[0] === undefined ? undefined : accountOf(result.rows[0]);
  }

  async setPassword(accountId: string, passwordHash: string): Promise<void> {
    await this.#sql.query(
      'UPDATE account SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1',
      [accountId, passwordHash],
    );
  }

  async recordFailedLogin(
    accountId: string,
    maxFailures: number,
    lockUntil: Date,
  ): Promise<Account | undefined> {
    const result = await this.#sql.query<AccountRow>(
      `UPDATE account SET failed_logins = failed_logins + 1,
              locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END
       WHERE id = $1 RETURNING *`,
      [accountId, maxFailures, lockUntil],
    );
    return result.rows[0] === undefined ? undefined : accountOf(result.rows[0]);
  }

  async recordSuccessfulLogin(accountId: string): Promise<void> {
    await this.#sql.query('UPDATE account SET failed_logins = 0, locked_until = NULL WHERE id = $1', [
      accountId,
    ]);
  }

  async createSession(session: Session): Promise<void> {
    await this.#sql.query(
      `INSERT INTO session (id_hash, account_id, csrf_token, created_at, last_seen_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        session.idHash,
        session.accountId,
        session.csrfToken,
        session.createdAt,
        session.lastSeenAt,
        session.expiresAt,
      ],
    );
  }

  async getSession(idHash: string): Promise<Session | undefined> {
    const result = await this.#sql.query<SessionRow>('SELECT * FROM session WHERE id_hash = $1', [idHash]);
    return result.rows[0] === undefined ? undefined : sessionOf(result.rows[0]);
  }

  async touchSession(idHash: string, lastSeenAt: Date): Promise<void> {
    await this.#sql.query('UPDATE session SET last_seen_at = $2 WHERE id_hash = $1', [idHash, lastSeenAt]);
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.#sql.query('DELETE FROM session WHERE id_hash = $1', [idHash]);
  }

  async saveToken(token: ApiToken): Promise<void> {
    await this.#sql.query(
      `INSERT INTO api_token (hash, name, roles, created_at) VALUES ($1, $2, $3::text[], $4)
       ON CONFLICT (hash) DO UPDATE SET name = EXCLUDED.name, roles = EXCLUDED.roles`,
      [token.hash, token.name, [...token.roles], token.createdAt],
    );
  }

  async getToken(hash: string): Promise<ApiToken | undefined> {
    const result = await this.#sql.query<TokenRow>('SELECT * FROM api_token WHERE hash = $1', [hash]);
    const row = result.rows[0];
    return row === undefined
      ? undefined
      : { hash: row.hash, name: row.name, roles: row.roles, createdAt: toDate(row.created_at) };
  }
}
