/**
 * Publishing an analysis: the rollout gate, then the result objects and their deliveries. Silent-phase (and
 * `off`) results are stored but never leave Fovea. Assistive and integrated results become a preliminary SR
 * (PARTIAL / UNVERIFIED), written once to the data directory with a SOP Instance UID derived from the
 * analysis, recorded with one delivery per destination, and handed to `deliver` jobs. Every step is
 * idempotent, so a retried publish adds nothing.
 */
import { join } from 'node:path';
import type { DeliveryDestination } from '../config/index.ts';
import type { AnalysisRecord } from '../core/finding.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { JobQueue } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultStore } from '../core/result-store.ts';
import type { TriagePolicy } from '../core/triage.ts';
import type { DeviceIdentity } from '../dicom/sr/index.ts';
import { queueObjects } from './outbox.ts';
import { buildFhirResultObject, buildResultObjects, fhirSubjectOf } from './result-objects.ts';
import { updateStudyTriage } from './triage-step.ts';

/** What publishing needs. */
export interface PublishDependencies {
  readonly index: InstanceIndex;
  readonly results: ResultStore;
  readonly jobs: JobQueue;
  readonly destinations: readonly DeliveryDestination[];
  /** Data directory: result objects go under `results/`. */
  readonly dataDir: string;
  /** Root of the spool (source instances). */
  readonly spoolRoot: string;
  readonly maxDeliveryAttempts: number;
  /** The installation written as the SR's device observer. */
  readonly device?: DeviceIdentity;
  /** The triage policy of a site; without it the worklist is not updated. */
  readonly triagePolicy?: (site: string) => TriagePolicy;
  readonly logger: Logger;
}

/** Publishes one stored analysis. */
export async function publishAnalysis(deps: PublishDependencies, analysis: AnalysisRecord): Promise<void> {
  const logger = deps.logger.child({ studyInstanceUid: analysis.studyInstanceUid, analysisId: analysis.id });
  if (analysis.status !== 'succeeded' || analysis.findings.length === 0) {
    return;
  }
  if (deps.triagePolicy !== undefined) {
    await updateStudyTriage(
      { index: deps.index, results: deps.results, policyFor: deps.triagePolicy, logger },
      analysis.studyInstanceUid,
    );
  }
  if (analysis.phase === 'silent' || analysis.phase === 'off') {
    logger.info(
      { event: logEvents.RESULT_SILENT, phase: analysis.phase, useCase: analysis.useCase },
      'result kept in Fovea (silent phase)',
    );
    return;
  }
  if (deps.destinations.length === 0) {
    return;
  }
  const instances = await deps.index.listInstances(analysis.studyInstanceUid);
  const sources = instances.map((instance) => ({
    ...instance,
    spoolPath: join(deps.spoolRoot, instance.spoolPath),
  }));
  const objects = await buildResultObjects(analysis, sources, 'preliminary', deps.device);
  if (deps.destinations.some((destination) => destination.protocol === 'fhir')) {
    const subject = await fhirSubjectOf(deps.index, analysis.studyInstanceUid);
    if (subject !== undefined) {
      objects.push(
        buildFhirResultObject(
          analysis,
          subject,
          'preliminary',
          'preliminary',
          analysis.provenance.finishedAt,
        ),
      );
    }
  }
  const deliveryIds = await queueObjects(
    deps,
    analysis,
    objects,
    'preliminary',
    analysis.provenance.finishedAt,
  );
  if (deliveryIds.length === 0) {
    return;
  }
  logger.info(
    { event: logEvents.DELIVERY_QUEUED, deliveries: deliveryIds.length },
    'result queued for delivery',
  );
}
