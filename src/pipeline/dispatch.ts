/**
 * Dispatch: a routed study becomes one durable `analyze` job per (use case, analyzer) whose use case is not
 * `off` at the study's site. Job keys include the study's version, so a study re-routed after new instances
 * is analysed again, and a repeated dispatch (crash, restart) adds nothing. Sweeps run when this process routes
 * a study, at start, and as a safety sweep on a timer: a study another process routed but died before
 * dispatching is dispatched by a survivor even when the survivor routes nothing more.
 */
import { phaseFor, type FoveaConfig } from '../config/index.ts';
import { toFoveaError } from '../core/errors.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { JobQueue, JobSpec } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { AnalyzerManifest } from '../analyzers/sdk/index.ts';

/** The payload of an `analyze` job. */
export interface AnalyzeJobPayload {
  readonly studyInstanceUid: string;
  readonly studyVersion: number;
  readonly analyzerId: string;
  readonly useCase: string;
}

/** What the dispatcher needs. */
export interface DispatcherDependencies {
  readonly config: FoveaConfig;
  readonly index: InstanceIndex;
  readonly jobs: JobQueue;
  readonly manifests: readonly AnalyzerManifest[];
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** Turns routed studies into analysis jobs. */
export class Dispatcher {
  readonly #deps: DispatcherDependencies;
  #running: Promise<number> | undefined;
  /** Set when a sweep is asked for while one runs: the running one goes round once more. */
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: DispatcherDependencies) {
    this.#deps = deps;
  }

  /** Dispatches every routed, undispatched study; concurrent calls coalesce. Returns the studies dispatched. */
  async sweep(): Promise<number> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      let total = 0;
      do {
        total += await this.#sweepOnce();
      } while (this.#takeAgain());
      return total;
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  #takeAgain(): boolean {
    const again = this.#again;
    this.#again = false;
    return again;
  }

  /** Starts the safety sweep every `intervalMs` (a routed study left undispatched by a process that died). */
  start(intervalMs: number): void {
    this.#timer ??= setInterval(() => {
      this.trigger();
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the safety sweep and waits for a running sweep. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Sweeps now, logging (not throwing) failures: for callbacks. */
  trigger(): void {
    this.sweep().catch((error: unknown) => {
      this.#deps.logger.error(
        { event: logEvents.JOB_RUNNER_FAILED, code: toFoveaError(error).code, err: error },
        'dispatch failed',
      );
    });
  }

  async #sweepOnce(): Promise<number> {
    const { index } = this.#deps;
    let dispatched = 0;
    for (;;) {
      const batch = await index.studiesToDispatch(100);
      if (batch.length === 0) {
        return dispatched;
      }
      for (const { studyInstanceUid, version } of batch) {
        await this.dispatchOne(studyInstanceUid, version);
        dispatched++;
      }
    }
  }

  /** Enqueues the jobs of one routed study, then records the dispatch. */
  async dispatchOne(studyInstanceUid: string, version: number): Promise<string[]> {
    const { config, index, jobs, manifests, logger } = this.#deps;
    const assembly = await index.getAssembly(studyInstanceUid);
    const specs: JobSpec[] = [];
    for (const routed of assembly?.route.useCases ?? []) {
      const phase = phaseFor(config, routed.useCase, assembly!.case.site);
      if (phase === 'off') {
        continue;
      }
      for (const analyzerId of routed.analyzers) {
        const manifest = manifests.find((entry) => entry.id === analyzerId);
        if (manifest === undefined) {
          logger.warn(
            {
              event: logEvents.ANALYSIS_FAILED,
              studyInstanceUid,
              analyzerId,
              code: 'FOVEA_ANALYZER_REGISTRATION',
            },
            'a routed analyzer is not registered',
          );
          continue;
        }
        const payload: AnalyzeJobPayload = {
          studyInstanceUid,
          studyVersion: version,
          analyzerId,
          useCase: routed.useCase,
        };
        specs.push({
          kind: 'analyze',
          key: `${studyInstanceUid}@${version}/${routed.useCase}/${manifest.id}@${manifest.version}`,
          payload: { ...payload },
          studyInstanceUid,
          maxAttempts: config.analysis.maxAttempts,
        });
      }
    }
    const ids = specs.length === 0 ? [] : await jobs.enqueue(specs);
    await index.markDispatched(studyInstanceUid, version, (this.#deps.now ?? (() => new Date()))());
    logger.info(
      { event: logEvents.STUDY_DISPATCHED, studyInstanceUid, jobs: ids.length },
      'study dispatched',
    );
    return ids;
  }
}
