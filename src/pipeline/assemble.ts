/**
 * Assembly: a study whose instances stopped arriving for the quiet period becomes stable, is gathered into a
 * Case (instances grouped by eye, both eyes together) and routed. Transitions are guarded by the study's
 * version, so several Fovea processes may sweep the same database without doing the work twice.
 */
import type { Case, CaseInstance } from '../core/case.ts';
import { eyes } from '../core/eye.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { InstanceHeader } from '../core/instance.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { toFoveaError } from '../core/errors.ts';
import { routeStudy, type RoutingTable } from './route.ts';

/** What a Case needs of an instance: its header and where its bytes are (relative to the spool root). */
export type LocatedInstance = InstanceHeader & { readonly spoolPath: string };

function caseInstance(record: LocatedInstance): CaseInstance {
  return {
    sopInstanceUid: record.sopInstanceUid,
    sopClassUid: record.sopClassUid,
    seriesInstanceUid: record.seriesInstanceUid,
    transferSyntaxUid: record.transferSyntaxUid,
    spoolPath: record.spoolPath,
    ...(record.modality === undefined ? {} : { modality: record.modality }),
    ...(record.instanceNumber === undefined ? {} : { instanceNumber: record.instanceNumber }),
    ...(record.rows === undefined ? {} : { rows: record.rows }),
    ...(record.columns === undefined ? {} : { columns: record.columns }),
    ...(record.numberOfFrames === undefined ? {} : { numberOfFrames: record.numberOfFrames }),
    ...(record.samplesPerPixel === undefined ? {} : { samplesPerPixel: record.samplesPerPixel }),
  };
}

/** Groups a study's instances into a Case. */
export function assembleCase(
  studyInstanceUid: string,
  site: string,
  instances: readonly LocatedInstance[],
  now: Date,
): Case {
  const first = instances[0];
  return {
    studyInstanceUid,
    site,
    ...(first?.patientId === undefined ? {} : { patientId: first.patientId }),
    ...(first?.issuerOfPatientId === undefined ? {} : { issuerOfPatientId: first.issuerOfPatientId }),
    ...(first?.studyDate === undefined ? {} : { studyDate: first.studyDate }),
    ...(first?.accessionNumber === undefined ? {} : { accessionNumber: first.accessionNumber }),
    eyes: eyes.map((eye) => ({
      eye,
      instances: instances.filter((instance) => instance.eye === eye).map(caseInstance),
    })),
    bothEyes: instances.filter((instance) => instance.eye === 'B').map(caseInstance),
    unknownEye: instances.filter((instance) => instance.eye === 'U').map(caseInstance),
    assembledAt: now,
  };
}

/** What the assembler needs. */
export interface AssemblerDependencies {
  readonly index: InstanceIndex;
  readonly routing: RoutingTable;
  readonly quietPeriodMs: number;
  readonly sweepIntervalMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly now?: () => Date;
  /** Called once a study is routed (the analysis dispatcher hooks in here). */
  readonly onRouted?: (studyInstanceUid: string) => void;
}

/** Periodically turns quiet studies into routed Cases. */
export class Assembler {
  readonly #deps: AssemblerDependencies;
  readonly #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: AssemblerDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** Starts sweeping. */
  start(): void {
    this.#stopped = false;
    this.#schedule();
  }

  #schedule(): void {
    if (this.#stopped) {
      return;
    }
    this.#timer = setTimeout(() => {
      this.#running = this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => {
          this.#deps.logger.error(
            { event: logEvents.ROUTE_FAILED, code: toFoveaError(error).code, err: error },
            'assembly sweep failed',
          );
        })
        .finally(() => {
          this.#running = undefined;
          this.#schedule();
        });
    }, this.#deps.sweepIntervalMs);
    this.#timer.unref();
  }

  /** One pass: stabilise quiet studies, then route every stable one. Returns the studies routed. */
  async sweep(): Promise<string[]> {
    const { index, logger, metrics } = this.#deps;
    const now = this.#now();
    const quiet = await index.studiesQuietSince(new Date(now.getTime() - this.#deps.quietPeriodMs), 500);
    for (const uid of quiet) {
      const study = await index.getStudy(uid);
      if (
        study?.state === 'receiving' &&
        now.getTime() - study.lastReceivedAt.getTime() >= this.#deps.quietPeriodMs
      ) {
        if (await index.markStable(uid, study.version, now)) {
          metrics.studyTransition('stable');
          logger.info({ event: logEvents.STUDY_STABLE, studyInstanceUid: uid }, 'study stable');
        }
      }
    }
    const routed: string[] = [];
    for (const uid of await index.studiesInState('stable', 500)) {
      if (await this.routeOne(uid)) {
        routed.push(uid);
      }
    }
    return routed;
  }

  /** Assembles and routes one stable study. */
  async routeOne(studyInstanceUid: string): Promise<boolean> {
    const { index, logger, metrics } = this.#deps;
    const study = await index.getStudy(studyInstanceUid);
    if (study?.state !== 'stable') {
      return false;
    }
    const instances = await index.listInstances(studyInstanceUid);
    const now = this.#now();
    const assembled = assembleCase(studyInstanceUid, study.site, instances, now);
    const route = routeStudy(this.#deps.routing, studyInstanceUid, study.site, instances, now);
    if (!(await index.saveAssembly(studyInstanceUid, study.version, { case: assembled, route }))) {
      return false;
    }
    metrics.studyTransition('routed');
    if (route.useCases.length === 0) {
      logger.info({ event: logEvents.STUDY_NO_ROUTE, studyInstanceUid }, 'study matched no routing rule');
    } else {
      logger.info(
        {
          event: logEvents.STUDY_ROUTED,
          studyInstanceUid,
          useCases: route.useCases.map((entry) => entry.useCase),
        },
        'study routed',
      );
    }
    this.#deps.onRouted?.(studyInstanceUid);
    return true;
  }

  /** Stops sweeping and waits for a running sweep. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
    }
    await this.#running;
  }
}
