/**
 * Publishing an analysis: the rollout gate, then the result objects and their deliveries. Silent-phase (and
 * `off`) results are stored but never leave Fovea. Assistive and integrated results become a preliminary SR
 * (PARTIAL / UNVERIFIED), written once to the data directory with a SOP Instance UID derived from the
 * analysis, recorded with one delivery per destination, and handed to `deliver` jobs; with MLLP destinations
 * also a preliminary ORU^R01 per `results` destination, and, when the study's triage is `stat`, a
 * critical-finding alert per `alerts` destination and an order priority update per `orders` destination
 * (`hl7-results.ts`). Every step is idempotent, so a retried publish adds nothing.
 */
import { join } from 'node:path';
import type { DeliveryDestination } from '../config/index.ts';
import type { AnalysisRecord } from '../core/finding.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { JobQueue } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultStore } from '../core/result-store.ts';
import type { ImagingOrder } from '../core/patient-context.ts';
import { ruleSuggestions, triageBuckets, type TriageBucket, type TriagePolicy } from '../core/triage.ts';
import type { DeviceIdentity } from '../dicom/sr/index.ts';
import {
  buildCriticalObjects,
  buildHl7ResultObjects,
  hl7SubjectOf,
  mllpDestinations,
  type Hl7Subject,
} from './hl7-results.ts';
import { queueObjects, type OutboxObject } from './outbox.ts';
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
  /** Imaging orders received over HL7 (placer/filler numbers of an order priority update). */
  readonly orders?: { getOrder(accessionNumber: string): Promise<ImagingOrder | undefined> };
  /** A use case's description (OBR-4.2 of the ORU^R01). */
  readonly useCaseText?: (useCase: string) => string | undefined;
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
  const objects: OutboxObject[] = await buildResultObjects(analysis, sources, 'preliminary', deps.device);
  const hl7 = deps.destinations.some((destination) => destination.protocol === 'mllp')
    ? await hl7SubjectOf(deps.index, analysis.studyInstanceUid)
    : undefined;
  if (hl7 !== undefined) {
    const useCaseText = deps.useCaseText?.(analysis.useCase);
    objects.push(
      ...buildHl7ResultObjects(
        analysis,
        hl7,
        deps.destinations,
        { status: 'preliminary', label: 'preliminary', at: analysis.provenance.finishedAt },
        {
          ...(useCaseText === undefined ? {} : { useCaseText }),
          flags: await ruleFlags(deps, analysis),
        },
      ),
    );
  } else if (mllpDestinations(deps.destinations, 'results').length > 0) {
    logger.warn(
      { event: logEvents.RESULT_MESSAGE_SKIPPED, reason: 'no Patient ID' },
      'no HL7 v2 result: the study has no Patient ID',
    );
  }
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
  if (hl7 !== undefined) {
    deliveryIds.push(...(await queueCriticalMessages(deps, analysis, hl7, logger)));
  }
  if (deliveryIds.length === 0) {
    return;
  }
  logger.info(
    { event: logEvents.DELIVERY_QUEUED, deliveries: deliveryIds.length },
    'result queued for delivery',
  );
}

/** The buckets the site's measurement rules suggest for the analysis's findings (OBX-8), by finding id. */
async function ruleFlags(
  deps: PublishDependencies,
  analysis: AnalysisRecord,
): Promise<Map<string, TriageBucket>> {
  const flags = new Map<string, TriageBucket>();
  const site =
    deps.triagePolicy === undefined
      ? undefined
      : (await deps.index.getStudy(analysis.studyInstanceUid))?.site;
  const rules = site === undefined ? [] : (deps.triagePolicy?.(site).measurementRules ?? []);
  for (const finding of analysis.findings) {
    const [first] = ruleSuggestions(finding, rules).sort(
      (a, b) => triageBuckets.indexOf(a.bucket) - triageBuckets.indexOf(b.bucket),
    );
    if (first !== undefined) {
      flags.set(finding.id, first.bucket);
    }
  }
  return flags;
}

/**
 * When the study's stored triage is `stat`: the critical-finding alert per `alerts` destination and the
 * order priority update per `orders` destination (accession number needed), queued like any result.
 */
async function queueCriticalMessages(
  deps: PublishDependencies,
  analysis: AnalysisRecord,
  subject: Hl7Subject,
  logger: Logger,
): Promise<string[]> {
  if (
    mllpDestinations(deps.destinations, 'alerts').length === 0 &&
    mllpDestinations(deps.destinations, 'orders').length === 0
  ) {
    return [];
  }
  const triage = await deps.results.getTriage(analysis.studyInstanceUid);
  if (triage?.bucket !== 'stat') {
    return [];
  }
  const accession = subject.study.accessionNumber;
  const order = accession === undefined ? undefined : await deps.orders?.getOrder(accession);
  const { alerts, orders } = buildCriticalObjects(
    triage,
    subject,
    deps.destinations,
    await deps.results.listFindings(analysis.studyInstanceUid),
    analysis.provenance.finishedAt,
    order,
  );
  const ids: string[] = [];
  for (const [objects, event] of [
    [alerts, logEvents.CRITICAL_ALERT_QUEUED],
    [orders, logEvents.ORDER_PRIORITY_QUEUED],
  ] as const) {
    if (objects.length === 0) {
      continue;
    }
    let fresh = 0;
    for (const object of objects) {
      fresh += (await deps.results.getResultObject(object.sopInstanceUid)) === undefined ? 1 : 0;
    }
    // Queued every time (idempotent), so a crash between recording and enqueuing loses nothing.
    ids.push(...(await queueObjects(deps, analysis, objects, 'preliminary', analysis.provenance.finishedAt)));
    if (fresh > 0) {
      logger.warn(
        { event, destinations: fresh },
        event === logEvents.CRITICAL_ALERT_QUEUED
          ? 'study triaged stat: critical-finding alert queued'
          : 'study triaged stat: order priority update queued',
      );
    }
  }
  return ids;
}
