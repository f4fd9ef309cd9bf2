/**
 * Databases for tests: every store-backed test runs on both back-ends — embedded PGlite and the real
 * PostgreSQL on 127.0.0.1:5432 — each in a private, throw-away database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreLocation } from '../../src/store/index.ts';
import { underCi } from './peers.ts';

/** The administrative connection used to create and drop test databases. */
export const postgresAdminUrl =
  process.env.FOVEA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A store back-end under test. */
export type Backend = 'pglite' | 'postgres';

/** A private database for one test file. */
export interface TestDatabase {
  readonly backend: Backend;
  readonly location: StoreLocation;
  /** A data directory for the spool (and for PGlite). */
  readonly dataDir: string;
  dispose(): Promise<void>;
}

let postgresReachable: boolean | undefined;

/** Whether the test PostgreSQL answers. */
export async function postgresAvailable(): Promise<boolean> {
  if (postgresReachable === undefined) {
    const client = new pg.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      postgresReachable = true;
    } catch {
      postgresReachable = false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return postgresReachable;
}

/** The back-ends to run: both, except PostgreSQL when it is unreachable outside CI (a failure under CI). */
export async function testBackends(): Promise<Backend[]> {
  if (await postgresAvailable()) {
    return ['pglite', 'postgres'];
  }
  if (underCi) {
    throw new Error(`PostgreSQL is required under CI but does not answer at ${postgresAdminUrl}`);
  }
  return ['pglite'];
}

/** Creates a private database on a back-end. */
export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fovea-test-'));
  if (backend === 'pglite') {
    return {
      backend,
      location: { dataDir },
      dataDir,
      async dispose() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const name = `fovea_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: postgresAdminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    backend,
    location: { databaseUrl: url.toString(), dataDir },
    dataDir,
    async dispose() {
      const cleanup = new pg.Client({ connectionString: postgresAdminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
