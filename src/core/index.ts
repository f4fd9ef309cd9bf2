/**
 * The core: ids, the domain model, the error catalogue, log events and the ports the outer rings implement.
 * Imports nothing else from `src/`.
 */
export * from './case.ts';
export * from './errors.ts';
export * from './eye.ts';
export * from './finding.ts';
export * from './implementation.ts';
export * from './instance-index.ts';
export * from './instance.ts';
export * from './job-queue.ts';
export * from './log-events.ts';
export * from './logger.ts';
export * from './metrics.ts';
export * from './origin.ts';
export * from './patient-context.ts';
export * from './result-store.ts';
export * from './roles.ts';
export * from './auth-store.ts';
export * from './audit.ts';
export * from './route.ts';
export * from './spool.ts';
export * from './study.ts';
export * from './triage.ts';
export * from './uid.ts';
export * from './study-claim.ts';
