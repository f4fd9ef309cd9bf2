/**
 * {@link AnalyzerRunner} on a pool of worker threads: analyzers never run on the main event loop. Each run
 * is bounded by its manifest's timeout; an analyzer that ignores the abort is stopped by terminating its
 * worker, which the pool then replaces.
 */
import { Worker } from 'node:worker_threads';
import { FoveaError, isErrorCode } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import type { Logger } from '../../core/logger.ts';
import { builtInAnalyzers, loadRegistry, type OnnxModelEntry } from '../registry.ts';
import type { AnalysisCase, AnalyzerManifest, AnalyzerRunOutcome, AnalyzerRunner } from '../sdk/index.ts';
import type { FromWorker, ToWorker } from './messages.ts';

/** Options of {@link AnalyzerPool.start}. */
export interface AnalyzerPoolOptions {
  /** Root of the spool the Case's `spoolPath`s are relative to. */
  readonly spoolRoot: string;
  /** Worker threads (default 1). */
  readonly size?: number;
  readonly logger: Logger;
  /** Analyzer modules (default: the built-ins). */
  readonly modules?: Readonly<Record<string, URL>>;
  /** Site models to register as ONNX analyzers (config `analyzers.onnx`). */
  readonly onnxModels?: readonly OnnxModelEntry[];
  /** Grace after an abort before the worker is terminated (default 2 s). */
  readonly abortGraceMs?: number;
  /** Overrides manifest timeouts (tests). */
  readonly timeoutMs?: number;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
  current?: (message: FromWorker) => void;
  dead: boolean;
}

/** A pool of analyzer worker threads. */
export class AnalyzerPool implements AnalyzerRunner {
  readonly manifests: readonly AnalyzerManifest[];
  readonly #options: AnalyzerPoolOptions;
  readonly #modules: Readonly<Record<string, URL>>;
  readonly #slots: Slot[] = [];
  readonly #waiting: ((slot: Slot) => void)[] = [];
  #nextRunId = 1;
  #closed = false;

  private constructor(options: AnalyzerPoolOptions, manifests: readonly AnalyzerManifest[]) {
    this.#options = options;
    this.#modules = options.modules ?? builtInAnalyzers;
    this.manifests = manifests;
  }

  /** Validates the registry in this thread (a registration error rejects), then starts the workers. */
  static async start(options: AnalyzerPoolOptions): Promise<AnalyzerPool> {
    const registry = await loadRegistry(options.modules ?? builtInAnalyzers, options.onnxModels ?? []);
    const pool = new AnalyzerPool(
      options,
      [...registry.values()].map((analyzer) => analyzer.manifest),
    );
    for (let index = 0; index < Math.max(1, options.size ?? 1); index++) {
      pool.#slots.push(pool.#spawn());
    }
    await Promise.all(pool.#slots.map((slot) => slot.ready));
    options.logger.info(
      {
        event: logEvents.ANALYZERS_REGISTERED,
        analyzers: pool.manifests.map((manifest) => `${manifest.id}@${manifest.version}`),
        workers: pool.#slots.length,
      },
      'analyzers registered',
    );
    return pool;
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./analyzer-worker.ts', import.meta.url), {
      workerData: {
        modules: Object.fromEntries(Object.entries(this.#modules).map(([id, url]) => [id, url.href])),
        onnxModels: this.#options.onnxModels ?? [],
      },
    });
    let resolveReady: () => void = () => undefined;
    let rejectReady: (error: Error) => void = () => undefined;
    const slot: Slot = {
      worker,
      busy: false,
      dead: false,
      ready: new Promise<void>((resolve, reject) => {
        resolveReady = resolve;
        rejectReady = reject;
      }),
    };
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        resolveReady();
      } else if (message.type === 'registry-error') {
        rejectReady(new FoveaError('FOVEA_ANALYZER_REGISTRATION', { detail: message.detail }));
      } else if (message.type === 'log') {
        this.#options.logger[message.level](message.fields, message.message);
      } else {
        slot.current?.(message);
      }
    });
    const onExit = (error?: Error): void => {
      if (slot.dead) {
        return;
      }
      slot.dead = true;
      rejectReady(error ?? new Error('analyzer worker exited'));
      slot.current?.({
        type: 'failed',
        runId: -1,
        code: 'FOVEA_ANALYZER_FAILED',
        detail: `the analyzer worker stopped${error === undefined ? '' : `: ${error.message.slice(0, 200)}`}`,
      });
      this.#replace(slot);
    };
    worker.on('error', onExit);
    worker.on('exit', () => {
      onExit();
    });
    return slot;
  }

  #replace(slot: Slot): void {
    const index = this.#slots.indexOf(slot);
    if (index < 0 || this.#closed) {
      return;
    }
    const fresh = this.#spawn();
    this.#slots[index] = fresh;
    fresh.ready.then(
      () => {
        this.#release(fresh);
      },
      () => undefined,
    );
  }

  #release(slot: Slot): void {
    slot.busy = false;
    slot.current = undefined;
    const next = this.#waiting.shift();
    if (next !== undefined) {
      slot.busy = true;
      next(slot);
    }
  }

  async #acquire(): Promise<Slot> {
    const free = this.#slots.find((slot) => !slot.busy && !slot.dead);
    if (free !== undefined) {
      free.busy = true;
      await free.ready;
      return free;
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async run(
    analyzerId: string,
    analysisCase: AnalysisCase,
    signal?: AbortSignal,
  ): Promise<AnalyzerRunOutcome> {
    const manifest = this.manifests.find((entry) => entry.id === analyzerId);
    if (manifest === undefined) {
      throw new FoveaError('FOVEA_ANALYZER_REGISTRATION', { detail: `unknown analyzer ${analyzerId}` });
    }
    if (this.#closed) {
      throw new FoveaError('FOVEA_INTERNAL', { detail: 'the analyzer pool is closed' });
    }
    const slot = await this.#acquire();
    const runId = this.#nextRunId++;
    const timeoutMs = this.#options.timeoutMs ?? manifest.timeoutMs;
    return new Promise<AnalyzerRunOutcome>((resolve, reject) => {
      let settled = false;
      let killTimer: NodeJS.Timeout | undefined;
      const finish = (outcome: { ok: AnalyzerRunOutcome } | { error: FoveaError }): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (killTimer !== undefined) {
          clearTimeout(killTimer);
        }
        if (!slot.dead) {
          this.#release(slot);
        }
        if ('ok' in outcome) {
          resolve(outcome.ok);
        } else {
          reject(outcome.error);
        }
      };
      const abort = (error: FoveaError): void => {
        slot.worker.postMessage({ type: 'abort', runId } satisfies ToWorker);
        killTimer = setTimeout(() => {
          // The analyzer ignored the abort: stop its thread; the pool replaces it.
          slot.dead = true;
          void slot.worker.terminate();
          this.#replace(slot);
          finish({ error });
        }, this.#options.abortGraceMs ?? 2000);
        slot.current = (message) => {
          if (message.type === 'done' || message.type === 'failed') {
            finish({ error });
          }
        };
      };
      const timer = setTimeout(() => {
        abort(new FoveaError('FOVEA_ANALYZER_TIMEOUT', { detail: `${analyzerId} exceeded ${timeoutMs} ms` }));
      }, timeoutMs);
      const onAbort = (): void => {
        abort(
          signal?.reason instanceof FoveaError
            ? signal.reason
            : new FoveaError('FOVEA_ANALYZER_TIMEOUT', { detail: `${analyzerId} was cancelled` }),
        );
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      slot.current = (message) => {
        if (message.type === 'done') {
          finish({ ok: message.outcome });
        } else if (message.type === 'failed') {
          finish({
            error: new FoveaError(isErrorCode(message.code) ? message.code : 'FOVEA_ANALYZER_FAILED', {
              detail: message.detail,
            }),
          });
        }
      };
      slot.worker.postMessage({
        type: 'run',
        runId,
        analyzerId,
        analysisCase,
        spoolRoot: this.#options.spoolRoot,
      } satisfies ToWorker);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }
}
