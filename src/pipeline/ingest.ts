/**
 * Ingest: every instance, whatever protocol brought it, passes here. Its bytes stream into the spool while
 * the data set scanner checks them; only a complete, well-formed instance of an accepted SOP class and
 * transfer syntax is committed (fsync) and acknowledged. Indexing follows asynchronously in batches, and a
 * restart re-indexes whatever was committed but not yet indexed.
 */
import { createReadStream } from 'node:fs';
import { FoveaError, toFoveaError } from '../core/errors.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { InstanceHeader, InstanceRecord } from '../core/instance.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Origin } from '../core/origin.ts';
import type { PendingInstance, Spool } from '../core/spool.ts';
import { DatasetScanner, buildFileMetaPrefix, readInstanceHeader } from '../dicom/codec/index.ts';

/** How the bytes of an incoming instance are framed. */
export type IncomingFraming =
  /**
   * A Part 10 file (STOW-RS part, WADO-RS part, a file on disk); when `studyInstanceUid` is given, an instance
   * of another study is rejected before anything is kept (STOW-RS to `/studies/{uid}`).
   */
  | { readonly part10: true; readonly studyInstanceUid?: string }
  /** A bare data set announced by a DIMSE C-STORE request; Fovea writes the file meta itself. */
  | {
      readonly part10: false;
      readonly sopClassUid: string;
      readonly sopInstanceUid: string;
      readonly transferSyntaxUid: string;
    };

/** An instance being received. */
export interface IncomingInstance {
  /** Feeds the next bytes; throws a `FoveaError` as soon as the data is known to be bad. */
  write(chunk: Buffer): Promise<void>;
  /** Validates and commits; resolves once the instance is durable. Throws a `FoveaError` when rejected. */
  finish(): Promise<AcceptedInstance>;
  /** Gives up on the instance; nothing of it remains. */
  abort(): Promise<void>;
}

/** A committed instance. */
export interface AcceptedInstance {
  readonly header: InstanceHeader;
  readonly sizeBytes: number;
}

/** What ingest needs. */
export interface IngestDependencies {
  readonly spool: Spool;
  readonly index: InstanceIndex;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly acceptedSopClasses: ReadonlySet<string>;
  readonly acceptedTransferSyntaxes: ReadonlySet<string>;
  readonly now?: () => Date;
  /** Called after each committed batch of newly indexed instances. */
  readonly onIndexed?: (studyInstanceUids: readonly string[]) => void;
  /** Largest batch indexed in one transaction. */
  readonly batchSize?: number;
  /**
   * Group-commit window: how long the indexer waits for more committed instances before writing a batch that
   * is not yet full. Instances are already durable in the spool, so this only delays their visibility.
   */
  readonly batchWindowMs?: number;
}

interface QueueEntry {
  readonly pending: PendingInstance;
  readonly header: InstanceHeader;
  readonly origin: Origin;
  readonly receivedAt: Date;
}

/** The ingest service. */
export class Ingest {
  readonly #deps: IngestDependencies;
  readonly #now: () => Date;
  readonly #queue: QueueEntry[] = [];
  /** Pending file names in the queue: adoption never queues one twice. */
  readonly #queued = new Set<string>();
  #flushing: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #upkeepTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(deps: IngestDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Starts receiving one instance. */
  async begin(origin: Origin, framing: IncomingFraming): Promise<IncomingInstance> {
    const { spool, logger, metrics } = this.#deps;
    const receivedAt = this.#now();
    await spool.recordOrigin(origin, receivedAt);
    const writer = await spool.begin(origin.requestId);
    const scanner = framing.part10
      ? new DatasetScanner({ part10: true })
      : new DatasetScanner({ part10: false, transferSyntaxUid: framing.transferSyntaxUid });
    let failure: FoveaError | undefined;
    let size = 0;
    let done = false;
    let reported = false;
    const reject = (error: FoveaError): never => {
      if (reported) {
        throw error;
      }
      reported = true;
      metrics.instanceReceived(origin.protocol, 'rejected', size);
      logger.warn(
        {
          event: origin.protocol === 'dimse' ? logEvents.DIMSE_STORE_FAILED : logEvents.STOW_INSTANCE_FAILED,
          requestId: origin.requestId,
          code: error.code,
          detail: error.detail,
          path: error.path,
        },
        'instance rejected',
      );
      throw error;
    };
    const fail = async (error: unknown): Promise<never> => {
      failure ??= toFoveaError(error);
      await writer.discard();
      return reject(failure);
    };
    if (!framing.part10) {
      const prefix = buildFileMetaPrefix({
        sopClassUid: framing.sopClassUid,
        sopInstanceUid: framing.sopInstanceUid,
        transferSyntaxUid: framing.transferSyntaxUid,
        ...(origin.callingAet === undefined ? {} : { sourceAet: origin.callingAet }),
      });
      try {
        await writer.write(prefix);
      } catch (error) {
        await fail(error);
      }
    }
    return {
      write: async (chunk) => {
        if (failure !== undefined) {
          throw failure;
        }
        size += chunk.length;
        try {
          scanner.push(chunk);
          await writer.write(chunk);
        } catch (error) {
          await fail(error);
        }
      },
      finish: async () => {
        if (done) {
          throw new FoveaError('FOVEA_INTERNAL', { detail: 'instance finished twice' });
        }
        done = true;
        if (failure !== undefined) {
          return reject(failure);
        }
        let header: InstanceHeader;
        try {
          const scan = scanner.end();
          header = readInstanceHeader(
            scan,
            framing.part10
              ? {}
              : { sopClassUid: framing.sopClassUid, sopInstanceUid: framing.sopInstanceUid },
          );
          this.#checkAccepted(header);
          if (
            framing.part10 &&
            framing.studyInstanceUid !== undefined &&
            framing.studyInstanceUid !== header.studyInstanceUid
          ) {
            throw new FoveaError('FOVEA_DICOM_UID_MISMATCH', {
              detail: 'the instance belongs to another study than the one requested',
              path: 'StudyInstanceUID',
            });
          }
        } catch (error) {
          await writer.discard();
          return reject(toFoveaError(error));
        }
        let pending: PendingInstance;
        try {
          pending = await writer.commit(header.sopInstanceUid);
        } catch (error) {
          await writer.discard();
          return reject(toFoveaError(error));
        }
        metrics.instanceReceived(origin.protocol, 'stored', size);
        this.#enqueue({ pending, header, origin, receivedAt });
        return { header, sizeBytes: pending.sizeBytes };
      },
      abort: async () => {
        done = true;
        failure ??= new FoveaError('FOVEA_INTERNAL', { detail: 'aborted' });
        await writer.discard();
      },
    };
  }

  #checkAccepted(header: InstanceHeader): void {
    if (!this.#deps.acceptedSopClasses.has(header.sopClassUid)) {
      throw new FoveaError('FOVEA_DICOM_SOP_CLASS_UNSUPPORTED', {
        detail: header.sopClassUid,
        path: 'SOPClassUID',
      });
    }
    if (!this.#deps.acceptedTransferSyntaxes.has(header.transferSyntaxUid)) {
      throw new FoveaError('FOVEA_DICOM_TRANSFER_SYNTAX_UNSUPPORTED', {
        detail: header.transferSyntaxUid,
        path: 'TransferSyntaxUID',
      });
    }
  }

  #enqueue(entry: QueueEntry): void {
    if (this.#queued.has(entry.pending.name)) {
      return;
    }
    this.#queued.add(entry.pending.name);
    this.#queue.push(entry);
    this.#deps.metrics.indexQueueDepth(this.#queue.length);
    this.#kick();
  }

  #kick(): void {
    if (this.#flushing !== undefined || this.#closed || this.#retryTimer !== undefined) {
      return;
    }
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = undefined;
      if (this.#queue.length > 0 && this.#retryTimer === undefined) {
        this.#kick();
      }
    });
  }

  async #drain(): Promise<void> {
    const { spool, index, logger, metrics } = this.#deps;
    const batchSize = this.#deps.batchSize ?? 256;
    const window = this.#deps.batchWindowMs ?? 50;
    while (this.#queue.length > 0 && !this.#closed) {
      if (this.#queue.length < batchSize && window > 0) {
        await new Promise((resolve) => setTimeout(resolve, window));
      }
      const batch = this.#queue.slice(0, batchSize);
      const started = performance.now();
      try {
        const records: InstanceRecord[] = [];
        for (const entry of batch) {
          const placed = await spool.place(entry.pending, entry.header.studyInstanceUid);
          if (placed === undefined) {
            logger.info(
              { event: logEvents.SPOOL_PENDING_TAKEN, file: entry.pending.name },
              'pending instance taken by another process sharing the spool',
            );
            continue;
          }
          records.push({
            ...entry.header,
            origin: entry.origin,
            spoolPath: placed.spoolPath,
            sizeBytes: entry.pending.sizeBytes,
            receivedAt: entry.receivedAt,
          });
        }
        const outcome = await index.recordInstances(records);
        for (const entry of batch) {
          await spool.release(entry.pending);
        }
        this.#queue.splice(0, batch.length);
        for (const entry of batch) {
          this.#queued.delete(entry.pending.name);
        }
        metrics.indexQueueDepth(this.#queue.length);
        metrics.instancesIndexed(outcome.inserted.length, (performance.now() - started) / 1000);
        for (const uid of outcome.reopened) {
          metrics.studyTransition('reopened');
          logger.info(
            { event: logEvents.STUDY_REOPENED, studyInstanceUid: uid },
            'new instance for a stable study',
          );
        }
        for (const uid of outcome.duplicates) {
          logger.info(
            { event: logEvents.INDEX_DUPLICATE_INSTANCE, sopInstanceUid: uid },
            'instance already indexed',
          );
        }
        logger.debug(
          {
            event: logEvents.INDEX_BATCH_COMMITTED,
            inserted: outcome.inserted.length,
            duplicates: outcome.duplicates.length,
          },
          'index batch committed',
        );
        const studies = [...new Set(records.map((record) => record.studyInstanceUid))];
        this.#deps.onIndexed?.(studies);
      } catch (error) {
        const failure = toFoveaError(error);
        logger.error(
          { event: logEvents.INDEX_BATCH_FAILED, code: failure.code, size: batch.length, err: error },
          'index batch failed; retrying',
        );
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#kick();
        }, 1000);
        return;
      }
    }
  }

  /** Resolves when everything committed so far is indexed. */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#flushing !== undefined) {
      if (this.#retryTimer !== undefined || this.#closed) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (this.#closed) {
          return;
        }
      }
      await (this.#flushing ?? Promise.resolve());
      if (this.#flushing === undefined && this.#queue.length > 0 && this.#retryTimer === undefined) {
        this.#kick();
      }
    }
  }

  /** Number of committed instances waiting to be indexed. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  /**
   * Recovery at start: re-reads every pending instance (committed before a crash, maybe not indexed) and
   * queues it again; indexing is idempotent.
   */
  async recover(defaultSite: string): Promise<number> {
    const { logger } = this.#deps;
    const recovered = await this.#queuePending(defaultSite, 0, true);
    await this.flush();
    if (recovered > 0) {
      logger.info({ event: logEvents.SPOOL_RECOVERED, count: recovered }, 'pending instances recovered');
    }
    return recovered;
  }

  /**
   * Adoption by a running process: queues pending instances committed at least `olderThanMs` ago and still not
   * indexed — acknowledged by a process sharing the spool that died before indexing them (design.md §6: a
   * crash loses no study). A live owner that is only slow makes this a duplicate, which indexing absorbs.
   */
  adopt(defaultSite: string, olderThanMs: number): Promise<number> {
    return this.#queuePending(defaultSite, olderThanMs, false);
  }

  /**
   * Spool upkeep for processes sharing one spool, every `intervalMs` until closed: adopts pending instances
   * committed `adoptAfterMs` ago or more ({@link adopt}) and deletes temporary files not written to for
   * `removeTemporaryAfterMs` (a process died while receiving them, never acknowledged, or left its spares),
   * after refreshing the times of this process's own (`Spool.cleanTemporary`).
   */
  startUpkeep(options: {
    readonly defaultSite: string;
    readonly adoptAfterMs: number;
    readonly removeTemporaryAfterMs: number;
    readonly intervalMs: number;
  }): void {
    const { spool, logger } = this.#deps;
    const schedule = (): void => {
      this.#upkeepTimer = setTimeout(() => void round(), options.intervalMs);
      this.#upkeepTimer.unref();
    };
    // Adopted instances are queued and indexed by the indexer like received ones; the round does not wait for them.
    const round = async (): Promise<void> => {
      try {
        await this.adopt(options.defaultSite, options.adoptAfterMs);
        const removed = await spool.cleanTemporary(options.removeTemporaryAfterMs);
        if (removed > 0) {
          logger.info(
            { event: logEvents.SPOOL_TEMPORARY_REMOVED, count: removed },
            'abandoned temporary files removed',
          );
        }
      } catch (error) {
        logger.error(
          { event: logEvents.SPOOL_RECOVERY_FAILED, code: toFoveaError(error).code, err: error },
          'spool upkeep failed; trying again next round',
        );
      }
      if (!this.#closed) {
        schedule();
      }
    };
    schedule();
  }

  async #queuePending(defaultSite: string, olderThanMs: number, atStart: boolean): Promise<number> {
    const { spool, logger } = this.#deps;
    const now = this.#now().getTime();
    const pending = (await spool.listPending()).filter(
      (item) =>
        !this.#queued.has(item.name) &&
        (item.writtenAt === undefined || now - item.writtenAt.getTime() >= olderThanMs),
    );
    if (pending.length === 0 || this.#closed) {
      return 0;
    }
    logger.info(
      {
        event: atStart ? logEvents.SPOOL_RECOVERY_STARTED : logEvents.SPOOL_PENDING_ADOPTED,
        count: pending.length,
      },
      atStart ? 'recovering pending instances' : 'adopting pending instances left unindexed',
    );
    let queued = 0;
    for (const item of pending) {
      try {
        const scanner = new DatasetScanner({ part10: true });
        for await (const chunk of createReadStream(spool.pendingPath(item), { highWaterMark: 1 << 20 })) {
          scanner.push(chunk as Buffer);
        }
        const header = readInstanceHeader(scanner.end());
        const recorded = await spool.readOrigin(item.requestId);
        const origin: Origin = recorded?.origin ?? {
          protocol: 'file',
          peerAddress: 'unknown',
          requestId: item.requestId,
          site: defaultSite,
        };
        this.#enqueue({ pending: item, header, origin, receivedAt: recorded?.receivedAt ?? this.#now() });
        queued++;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          // Indexed (or quarantined) meanwhile by the process sharing the spool that committed it.
          continue;
        }
        logger.error(
          { event: logEvents.SPOOL_RECOVERY_FAILED, file: item.name, code: toFoveaError(error).code },
          'pending instance unreadable; quarantined',
        );
        await spool.quarantine(item);
      }
    }
    return queued;
  }

  /**
   * Stops indexing after the current batch, waiting at most `timeoutMs` for the queue to drain; what is left
   * stays pending in the spool for the next start.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    clearTimeout(this.#upkeepTimer);
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
  }
}
