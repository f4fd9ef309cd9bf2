/**
 * {@link SqlClient} on PostgreSQL through a `pg` pool. Several Fovea processes may share one database.
 */
import pg from 'pg';
import { FoveaError } from '../core/errors.ts';
import type { SqlClient, SqlResult, SqlRunner } from './sql-client.ts';

// Keep BIGINT and NUMERIC as JS numbers: the values Fovea stores (byte sizes, counters) fit in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));

function wrap(error: unknown): never {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === '57P01' || code === '57P03' || code === 'ETIMEDOUT') {
    throw new FoveaError('FOVEA_STORE_UNAVAILABLE', { cause: error });
  }
  throw error;
}

class PgRunner implements SqlRunner {
  readonly #client: pg.Pool | pg.PoolClient;

  constructor(client: pg.Pool | pg.PoolClient) {
    this.#client = client;
  }

  async query<T extends object>(text: string, params: readonly unknown[] = []): Promise<SqlResult<T>> {
    try {
      const result = await this.#client.query<T>(text, params as unknown[]);
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      return wrap(error);
    }
  }
}

/** Opens a PostgreSQL pool for `url` and checks that it answers. */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<SqlClient> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, application_name: 'fovea' });
  pool.on('error', () => undefined);
  const runner = new PgRunner(pool);
  await runner.query('SELECT 1');
  let listener: pg.PoolClient | undefined;
  const handlers = new Map<string, Set<(payload: string) => void>>();

  return {
    dialect: 'postgres',
    query: (text, params) => runner.query(text, params),
    async transaction(work) {
      const client = await pool.connect().catch(wrap);
      try {
        await client.query('BEGIN');
        const result = await work(new PgRunner(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      if (listener === undefined) {
        listener = await pool.connect().catch(wrap);
        listener.on('notification', (message) => {
          for (const handler of handlers.get(message.channel) ?? []) {
            handler(message.payload ?? '');
          }
        });
      }
      let set = handlers.get(channel);
      if (set === undefined) {
        set = new Set();
        handlers.set(channel, set);
        await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      }
      set.add(onNotify);
      return async () => {
        set.delete(onNotify);
      };
    },
    async close() {
      listener?.release();
      listener = undefined;
      await pool.end();
    },
  };
}
