/**
 * Numbered, forward-only migrations (`migrations/NNN-name.sql`), applied in order inside one transaction each,
 * under an advisory lock so that several processes starting at once apply each migration exactly once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FoveaError } from '../core/errors.ts';
import type { SqlClient } from './sql-client.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');
/** Arbitrary constant identifying Fovea's migration lock. */
const advisoryLockKey = 727_111_0001;

/** A migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** The migrations shipped with this build, in order. */
export function listMigrations(): Migration[] {
  return readdirSync(migrationsDir)
    .filter((file) => /^\d{3}-[a-z0-9-]+\.sql$/u.test(file))
    .sort()
    .map((file, index) => {
      const version = Number(file.slice(0, 3));
      if (version !== index + 1) {
        throw new FoveaError('FOVEA_STORE_MIGRATION_FAILED', {
          detail: `migration numbering gap at ${file}`,
        });
      }
      return { version, name: file.slice(4, -4), sql: readFileSync(join(migrationsDir, file), 'utf8') };
    });
}

/** Applies the pending migrations; returns the versions applied. */
export async function migrate(sql: SqlClient): Promise<number[]> {
  await sql.query(
    `CREATE TABLE IF NOT EXISTS schema_migration (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
     )`,
  );
  const applied: number[] = [];
  for (const migration of listMigrations()) {
    const done = await sql.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [advisoryLockKey]);
      const existing = await tx.query('SELECT 1 FROM schema_migration WHERE version = $1', [
        migration.version,
      ]);
      if (existing.rows.length > 0) {
        return false;
      }
      try {
        for (const statement of splitStatements(migration.sql)) {
          await tx.query(statement);
        }
      } catch (error) {
        throw new FoveaError('FOVEA_STORE_MIGRATION_FAILED', {
          detail: `${String(migration.version).padStart(3, '0')}-${migration.name}`,
          cause: error,
        });
      }
      await tx.query('INSERT INTO schema_migration (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      return true;
    });
    if (done) {
      applied.push(migration.version);
    }
  }
  return applied;
}

/** Splits a migration file into statements (on `;` at line ends; migrations avoid `;` inside bodies). */
function splitStatements(text: string): string[] {
  return text
    .split(/;\s*$/mu)
    .map((statement) =>
      statement
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((statement) => statement !== '');
}
