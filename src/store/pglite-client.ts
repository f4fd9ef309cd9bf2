/**
 * {@link SqlClient} on PGlite: PostgreSQL compiled to WebAssembly, embedded in the process, persisted under
 * the data directory. One process only; PGlite serialises transactions, so the same SQL (including
 * `FOR UPDATE SKIP LOCKED`) stays correct.
 */
import { PGlite } from '@electric-sql/pglite';
import type { SqlClient, SqlResult, SqlRunner } from './sql-client.ts';

interface PgliteLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
}

function runner(db: PgliteLike): SqlRunner {
  return {
    async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<SqlResult<T>> {
      const result = await db.query<T>(text, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  };
}

/** Opens (creating if needed) an embedded database in `directory`, or in memory when it is undefined. */
export async function openPglite(directory: string | undefined): Promise<SqlClient> {
  const db = directory === undefined ? await PGlite.create() : await PGlite.create(directory);
  const base = runner(db);
  return {
    dialect: 'pglite',
    query: (text, params) => base.query(text, params),
    async transaction(work) {
      return db.transaction(async (tx) => work(runner(tx)));
    },
    async listen(channel, onNotify) {
      const unsubscribe = await db.listen(channel, onNotify);
      return async () => {
        await unsubscribe();
      };
    },
    async close() {
      await db.close();
    },
  };
}
