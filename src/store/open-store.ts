/**
 * Opens the store the configuration asks for: PostgreSQL when a URL is given, else embedded PGlite under the
 * data directory; then applies the migrations.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceIndex, WatchCursorStore } from '../core/instance-index.ts';
import type { JobQueue } from '../core/job-queue.ts';
import { migrate } from './migrate.ts';
import { PgInstanceIndex } from './pg-instance-index.ts';
import { PgJobQueue } from './pg-job-queue.ts';
import { PgWatchCursorStore } from './pg-watch-cursor-store.ts';
import { openPglite } from './pglite-client.ts';
import { openPostgres } from './pg-client.ts';
import type { SqlClient } from './sql-client.ts';

/** The store's ports over one database. */
export interface Store {
  readonly sql: SqlClient;
  readonly index: InstanceIndex;
  readonly watchCursors: WatchCursorStore;
  /** The durable job queue (ADR 0004). */
  readonly jobs: JobQueue;
  /** Migration versions applied while opening. */
  readonly migrated: readonly number[];
  close(): Promise<void>;
}

/** Where the store lives. */
export interface StoreLocation {
  /** PostgreSQL URL; when absent, PGlite under `dataDir/db` (or in memory when `dataDir` is absent too). */
  readonly databaseUrl?: string;
  readonly dataDir?: string;
}

/** Opens and migrates the store. */
export async function openStore(location: StoreLocation): Promise<Store> {
  let sql: SqlClient;
  if (location.databaseUrl !== undefined) {
    sql = await openPostgres(location.databaseUrl);
  } else if (location.dataDir !== undefined) {
    const directory = join(location.dataDir, 'db');
    mkdirSync(directory, { recursive: true });
    sql = await openPglite(directory);
  } else {
    sql = await openPglite(undefined);
  }
  const migrated = await migrate(sql);
  return {
    sql,
    index: new PgInstanceIndex(sql),
    watchCursors: new PgWatchCursorStore(sql),
    jobs: new PgJobQueue(sql),
    migrated,
    close: () => sql.close(),
  };
}
