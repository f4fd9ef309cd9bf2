/**
 * {@link Spool} on the local file system under `<dataDir>/spool`: `tmp/` (being written), `pending/`
 * (durable, not yet indexed), `studies/<StudyInstanceUID>/<SOPInstanceUID>.dcm` (final), `origins/`
 * (one JSON per request), `quarantine/`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import {
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { FoveaError } from '../core/errors.ts';
import type { Origin } from '../core/origin.ts';
import type { PendingInstance, Spool, SpoolWriter } from '../core/spool.ts';
import { isFileSafeUid } from '../core/uid.ts';

const separator = '__';

/** Whether a path exists (a missing file is not an error here). */
async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** Coalesces fsyncs of one directory: callers arriving while one runs share the next one. */
class DirectorySyncer {
  readonly #path: string;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  sync(): Promise<void> {
    if (this.#running === undefined) {
      this.#running = this.#run().finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    this.#next ??= this.#running.then(() => {
      this.#next = undefined;
      return this.sync();
    });
    return this.#next;
  }

  async #run(): Promise<void> {
    const handle = await open(this.#path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
}

function spoolError(error: unknown): FoveaError {
  return new FoveaError('FOVEA_SPOOL_WRITE_FAILED', { cause: error });
}

function assertSafe(value: string, what: string): void {
  if (!isFileSafeUid(value) && !/^[A-Za-z0-9-]{1,64}$/u.test(value)) {
    throw new FoveaError('FOVEA_DICOM_MISSING_ATTRIBUTE', { detail: `${what} is not file-safe`, path: what });
  }
}

/** The file spool. */
export class FileSpool implements Spool {
  readonly root: string;
  readonly #tmp: string;
  readonly #pending: string;
  readonly #studies: string;
  readonly #origins: string;
  readonly #quarantine: string;
  readonly #pendingSync: DirectorySyncer;
  readonly #originSync: DirectorySyncer;
  readonly #studySyncers = new Map<string, DirectorySyncer>();
  readonly #originsWritten = new Map<string, Promise<void>>();
  /** Temporary files opened ahead of need: creating a file costs about a millisecond on the ack path. */
  readonly #spare: Promise<{ path: string; handle: FileHandle } | undefined>[] = [];
  readonly #spareTarget = 4;
  /** Every temporary file this process holds open (spares and instances being received), by path. */
  readonly #held = new Map<string, FileHandle>();

  readonly #syncDirectories: boolean;

  /**
   * @param root - the spool directory.
   * @param options.syncDirectories - also fsync directories after renames and links. Not needed on journaling
   *   file systems that order metadata (ext4, XFS, btrfs), where the file's own fsync persists its name.
   */
  constructor(root: string, options: { syncDirectories?: boolean } = {}) {
    this.root = root;
    this.#syncDirectories = options.syncDirectories ?? false;
    this.#tmp = join(root, 'tmp');
    this.#pending = join(root, 'pending');
    this.#studies = join(root, 'studies');
    this.#origins = join(root, 'origins');
    this.#quarantine = join(root, 'quarantine');
    for (const directory of [this.#tmp, this.#pending, this.#studies, this.#origins, this.#quarantine]) {
      mkdirSync(directory, { recursive: true });
    }
    this.#pendingSync = new DirectorySyncer(this.#pending);
    this.#originSync = new DirectorySyncer(this.#origins);
  }

  /**
   * Deletes abandoned temporary files (never visible, never acknowledged): those not written to for
   * `olderThanMs`. First it refreshes the times of every temporary file this process holds open — its spares,
   * opened ahead and empty until an instance arrives, and the instances it is receiving — so that a file held by
   * a live process sharing the spool is never older than that process's upkeep interval (at most 30 s, below
   * the 60 s minimum of `spool.removeTemporaryAfterSeconds`); only the files of a process that died age, empty
   * spares included.
   */
  async cleanTemporary(olderThanMs: number): Promise<number> {
    const now = new Date();
    await Promise.all(
      [...this.#held.values()].map((handle) => handle.utimes(now, now).catch(() => undefined)),
    );
    let removed = 0;
    for (const name of await readdir(this.#tmp)) {
      const path = join(this.#tmp, name);
      const info = this.#held.has(path) ? undefined : await stat(path).catch(() => undefined);
      if (info !== undefined && now.getTime() - info.mtimeMs >= olderThanMs) {
        await rm(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Deletes origin records no pending file refers to any more. */
  async pruneOrigins(olderThanMs: number): Promise<void> {
    const referenced = new Set((await this.listPending()).map((pending) => pending.requestId));
    const now = Date.now();
    for (const name of await readdir(this.#origins)) {
      const requestId = name.replace(/\.json$/u, '');
      if (referenced.has(requestId) || this.#originsWritten.has(requestId)) {
        continue;
      }
      const info = await stat(join(this.#origins, name)).catch(() => undefined);
      if (info !== undefined && now - info.mtimeMs > olderThanMs) {
        await rm(join(this.#origins, name), { force: true });
      }
    }
  }

  recordOrigin(origin: Origin, receivedAt: Date): Promise<void> {
    assertSafe(origin.requestId, 'requestId');
    let written = this.#originsWritten.get(origin.requestId);
    if (written === undefined) {
      written = (async () => {
        const target = join(this.#origins, `${origin.requestId}.json`);
        const temporary = join(this.#tmp, `${origin.requestId}.origin`);
        const handle = await open(temporary, 'w');
        try {
          await handle.writeFile(JSON.stringify({ origin, receivedAt: receivedAt.toISOString() }));
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temporary, target);
        await this.#originSync.sync();
      })().catch((error: unknown) => {
        this.#originsWritten.delete(origin.requestId);
        throw spoolError(error);
      });
      this.#originsWritten.set(origin.requestId, written);
      if (this.#originsWritten.size > 10_000) {
        const oldest = this.#originsWritten.keys().next().value;
        if (oldest !== undefined) {
          this.#originsWritten.delete(oldest);
        }
      }
    }
    return written;
  }

  async readOrigin(requestId: string): Promise<{ origin: Origin; receivedAt: Date } | undefined> {
    try {
      const parsed = JSON.parse(await readFile(join(this.#origins, `${requestId}.json`), 'utf8')) as {
        origin: Origin;
        receivedAt: string;
      };
      return { origin: parsed.origin, receivedAt: new Date(parsed.receivedAt) };
    } catch {
      return undefined;
    }
  }

  #openTemporary(): Promise<{ path: string; handle: FileHandle } | undefined> {
    const path = join(this.#tmp, `${randomBytes(12).toString('hex')}.part`);
    return open(path, 'wx').then(
      (handle) => {
        this.#held.set(path, handle);
        return { path, handle };
      },
      () => undefined,
    );
  }

  #refill(): void {
    while (this.#spare.length < this.#spareTarget) {
      this.#spare.push(this.#openTemporary());
    }
  }

  /** Closes and deletes the spare temporary files (at shutdown). */
  async close(): Promise<void> {
    const spares = this.#spare.splice(0);
    for (const spare of await Promise.all(spares)) {
      if (spare !== undefined) {
        this.#held.delete(spare.path);
        await spare.handle.close().catch(() => undefined);
        await rm(spare.path, { force: true });
      }
    }
  }

  async begin(requestId: string): Promise<SpoolWriter> {
    assertSafe(requestId, 'requestId');
    let ready = await this.#spare.shift();
    this.#refill();
    if (ready === undefined) {
      try {
        const path = join(this.#tmp, `${randomBytes(12).toString('hex')}.part`);
        ready = { path, handle: await open(path, 'wx') };
        this.#held.set(path, ready.handle);
      } catch (error) {
        throw spoolError(error);
      }
    }
    const temporary = ready.path;
    const opened = ready.handle;
    let size = 0;
    let closed = false;
    const close = async (): Promise<void> => {
      if (!closed) {
        closed = true;
        this.#held.delete(temporary);
        await opened.close();
      }
    };
    // Writes are queued and coalesced (writev) so that the sender's next bytes can be read while earlier ones
    // reach the disk; the caller waits only when more than `highWater` bytes are queued.
    const highWater = 8 * 1024 * 1024;
    let queue: Buffer[] = [];
    let queued = 0;
    let flushing: Promise<void> | undefined;
    let failure: FoveaError | undefined;
    const flush = async (): Promise<void> => {
      while (queue.length > 0 && failure === undefined) {
        const batch = queue;
        queue = [];
        try {
          let { bytesWritten } = await opened.writev(batch);
          const total = batch.reduce((sum, buffer) => sum + buffer.length, 0);
          while (bytesWritten < total) {
            const rest = Buffer.concat(batch).subarray(bytesWritten);
            bytesWritten += (await opened.write(rest)).bytesWritten;
          }
          queued -= total;
        } catch (error) {
          failure = spoolError(error);
        }
      }
    };
    const drain = async (): Promise<void> => {
      while (flushing !== undefined) {
        await flushing;
      }
      if (failure !== undefined) {
        throw failure;
      }
    };
    return {
      write: async (chunk) => {
        if (failure !== undefined) {
          throw failure;
        }
        queue.push(chunk);
        queued += chunk.length;
        size += chunk.length;
        flushing ??= flush().finally(() => {
          flushing = undefined;
        });
        if (queued > highWater) {
          await drain();
        }
      },
      commit: async (sopInstanceUid) => {
        assertSafe(sopInstanceUid, 'SOPInstanceUID');
        const name = `${requestId}${separator}${sopInstanceUid}.dcm`;
        const target = join(this.#pending, name);
        await drain();
        try {
          // Rename first, then fsync the file: on a journaling file system (ext4, XFS, btrfs) the file's fsync
          // also makes its new name durable, which saves a directory fsync per instance. A crash between the
          // two leaves a pending file that was never acknowledged; recovery indexes it if complete (the
          // sender re-sends; indexing is idempotent) and drops it if not.
          await rename(temporary, target);
          await opened.sync();
          await close();
          if (this.#syncDirectories) {
            await this.#pendingSync.sync();
          }
        } catch (error) {
          await close().catch(() => undefined);
          await rm(target, { force: true }).catch(() => undefined);
          throw spoolError(error);
        }
        return { requestId, sopInstanceUid, name, sizeBytes: size };
      },
      discard: async () => {
        await drain().catch(() => undefined);
        await close().catch(() => undefined);
        await rm(temporary, { force: true });
      },
    };
  }

  async place(
    pending: PendingInstance,
    studyInstanceUid: string,
  ): Promise<{ spoolPath: string; duplicate: boolean } | undefined> {
    assertSafe(studyInstanceUid, 'StudyInstanceUID');
    const directory = join(this.#studies, studyInstanceUid);
    const spoolPath = `studies/${studyInstanceUid}/${pending.sopInstanceUid}.dcm`;
    let syncer = this.#studySyncers.get(directory);
    if (syncer === undefined) {
      await mkdir(directory, { recursive: true });
      syncer = new DirectorySyncer(directory);
      this.#studySyncers.set(directory, syncer);
      if (this.#studySyncers.size > 1000) {
        const oldest = this.#studySyncers.keys().next().value;
        if (oldest !== undefined) {
          this.#studySyncers.delete(oldest);
        }
      }
    }
    try {
      await link(join(this.#pending, pending.name), join(this.root, spoolPath));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        return { spoolPath, duplicate: true };
      }
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw spoolError(error);
      }
      if (!(await exists(join(this.#pending, pending.name)))) {
        // Another process sharing the spool indexed it (and released the pending name) or quarantined it.
        return (await exists(join(this.root, spoolPath))) ? { spoolPath, duplicate: true } : undefined;
      }
      this.#studySyncers.delete(directory);
      await mkdir(directory, { recursive: true });
      try {
        await link(join(this.#pending, pending.name), join(this.root, spoolPath));
      } catch (retryError) {
        if ((retryError as NodeJS.ErrnoException).code === 'EEXIST') {
          return { spoolPath, duplicate: true };
        }
        throw spoolError(retryError);
      }
    }
    if (this.#syncDirectories) {
      await syncer.sync();
    }
    return { spoolPath, duplicate: false };
  }

  async release(pending: PendingInstance): Promise<void> {
    await unlink(join(this.#pending, pending.name)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw spoolError(error);
      }
    });
  }

  async listPending(): Promise<PendingInstance[]> {
    const names = (await readdir(this.#pending)).filter((name) => name.endsWith('.dcm')).sort();
    const out: PendingInstance[] = [];
    for (const name of names) {
      const at = name.indexOf(separator);
      if (at <= 0) {
        continue;
      }
      const info = await stat(join(this.#pending, name)).catch(() => undefined);
      if (info === undefined) {
        continue;
      }
      out.push({
        requestId: name.slice(0, at),
        sopInstanceUid: name.slice(at + separator.length, -4),
        name,
        sizeBytes: info.size,
        writtenAt: info.mtime,
      });
    }
    return out;
  }

  async quarantine(pending: PendingInstance): Promise<void> {
    await rename(join(this.#pending, pending.name), join(this.#quarantine, pending.name)).catch(
      () => undefined,
    );
    await writeFile(
      join(this.#quarantine, `${pending.name}.txt`),
      `quarantined ${new Date().toISOString()}\n`,
    ).catch(() => undefined);
  }

  pendingPath(pending: PendingInstance): string {
    return join(this.#pending, pending.name);
  }

  resolve(spoolPath: string): string {
    return join(this.root, spoolPath);
  }
}
