/**
 * The store: PostgreSQL (several processes) or embedded PGlite (one process), same SQL, numbered
 * forward-only migrations. Implements the ports of `core/`.
 */
export { openStore, type Store, type StoreLocation } from './open-store.ts';
export { listMigrations, migrate, type Migration } from './migrate.ts';
export { openPostgres } from './pg-client.ts';
export { openPglite } from './pglite-client.ts';
export { instanceSpoolPath, PgInstanceIndex } from './pg-instance-index.ts';
export { jobChannel, PgJobQueue } from './pg-job-queue.ts';
export { PgWatchCursorStore } from './pg-watch-cursor-store.ts';
export type { SqlClient, SqlResult, SqlRunner } from './sql-client.ts';
export { PgResultStore, worklistChannel } from './pg-result-store.ts';
export { PgPatientContextStore } from './pg-patient-context-store.ts';
export { PgAuthStore } from './pg-auth-store.ts';
export { PgAuditLog } from './pg-audit-log.ts';
export { PgReviewStore } from './pg-review-store.ts';
export { PgClaimStore } from './pg-claim-store.ts';
