/**
 * The spool port: where received instances are written, durably, before Fovea answers "stored".
 *
 * Life of a file: `begin` → chunks written to a temporary file → `commit` (fsync, then rename into the
 * pending area; only then may the sender be told "success") → `place` (linked into its final place, by Study
 * and SOP Instance UID) → indexed → `release` (the pending link removed). A crash at any point leaves either
 * nothing visible (temporary files are deleted once abandoned) or a pending file that recovery indexes again;
 * several processes may share one spool (design.md: one PostgreSQL, one data directory), so a process never
 * deletes another's temporary file while it is being written, and a pending file may be indexed by a process
 * other than the one that committed it.
 */
import type { Origin } from './origin.ts';

/** A committed instance waiting to be indexed. */
export interface PendingInstance {
  /** The request (association, HTTP request, watcher poll) that brought it; names its origin record. */
  readonly requestId: string;
  readonly sopInstanceUid: string;
  /** File name inside the pending area. */
  readonly name: string;
  readonly sizeBytes: number;
  /** When its bytes were last written (commit time); set when listed from the spool. */
  readonly writtenAt?: Date;
}

/** One instance being written. */
export interface SpoolWriter {
  write(chunk: Buffer): Promise<void>;
  /** Makes the file durable and moves it to the pending area. */
  commit(sopInstanceUid: string): Promise<PendingInstance>;
  /** Deletes the temporary file. Safe to call after a failed write or commit. */
  discard(): Promise<void>;
}

/** The spool. */
export interface Spool {
  /** Records the origin of a request durably (once per request id). */
  recordOrigin(origin: Origin, receivedAt: Date): Promise<void>;
  begin(requestId: string): Promise<SpoolWriter>;
  /**
   * Links a pending instance to its final path; `duplicate` when an instance with that UID was already there.
   * `undefined` when the pending file is gone and nothing is at the final path: another process sharing the
   * spool quarantined it (when that process placed and released it, the result is a duplicate).
   */
  place(
    pending: PendingInstance,
    studyInstanceUid: string,
  ): Promise<{ spoolPath: string; duplicate: boolean } | undefined>;
  release(pending: PendingInstance): Promise<void>;
  /** Pending instances: left from before a crash, or not yet indexed by the process that committed them. */
  listPending(): Promise<PendingInstance[]>;
  readOrigin(requestId: string): Promise<{ origin: Origin; receivedAt: Date } | undefined>;
  /**
   * Deletes temporary files not written to for `olderThanMs` (abandoned by a process that died: instances it was
   * receiving, never acknowledged, and its spares); returns how many. The files this process holds are refreshed
   * first, so a live process sharing the spool keeps its own as long as it calls this more often than `olderThanMs`.
   */
  cleanTemporary(olderThanMs: number): Promise<number>;
  /** Moves an unreadable pending file aside so that recovery does not stall on it. */
  quarantine(pending: PendingInstance): Promise<void>;
  /** Absolute path of a pending file (for re-reading it during recovery). */
  pendingPath(pending: PendingInstance): string;
  /** Absolute path of a file in the spool from its relative spool path. */
  resolve(spoolPath: string): string;
}
