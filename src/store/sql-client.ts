/**
 * The SQL port the store's classes are written against, with one implementation on PostgreSQL (`pg`) and one
 * on embedded PGlite. Both run the same SQL.
 */

/** A query result. */
export interface SqlResult<T> {
  readonly rows: T[];
  readonly rowCount: number;
}

/** Runs statements. */
export interface SqlRunner {
  query<T extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<SqlResult<T>>;
}

/** A connection (pool) to the database. */
export interface SqlClient extends SqlRunner {
  readonly dialect: 'postgres' | 'pglite';
  /** Runs `work` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<R>(work: (tx: SqlRunner) => Promise<R>): Promise<R>;
  /** Subscribes to NOTIFY on a channel; returns the unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
