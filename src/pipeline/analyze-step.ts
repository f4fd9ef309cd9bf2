/**
 * The `analyze` job: runs one analyzer on one routed study (off the event loop, bounded by its timeout),
 * stores the analysis with its per-eye findings and provenance (idempotent by analysis id), then hands the
 * result to the publisher. A retried job finds the stored analysis and only publishes again, which is
 * idempotent too.
 */
import { phaseFor, type FoveaConfig } from '../config/index.ts';
import type { Case } from '../core/case.ts';
import { FoveaError } from '../core/errors.ts';
import type { AnalysisRecord, Finding, FindingProvenance } from '../core/finding.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { Job } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { PatientContext, PatientContextStore } from '../core/patient-context.ts';
import type { ResultStore } from '../core/result-store.ts';
import { idFromName } from '../core/uid.ts';
import { acceptedInstances, type AnalysisCase, type AnalyzerRunner } from '../analyzers/sdk/index.ts';
import type { AnalyzeJobPayload } from './dispatch.ts';

/** Finds the priors of a Case for analyzers that need them. */
export interface PriorFinder {
  /** Earlier Cases of the same patient with one of `modalities`, newest first. */
  findPriors(current: Case, modalities: readonly string[]): Promise<Case[]>;
}

/** What the analyze step needs. */
export interface AnalyzeStepDependencies {
  readonly config: FoveaConfig;
  readonly index: InstanceIndex;
  readonly results: ResultStore;
  readonly runner: AnalyzerRunner;
  readonly priors: PriorFinder;
  /** The patient's EHR context, attached to every Case when present. */
  readonly context?: PatientContextStore;
  readonly publish: (analysis: AnalysisRecord, signal: AbortSignal) => Promise<void>;
  readonly logger: Logger;
}

/** The id of the analysis an `analyze` job produces (stable across retries). */
export function analysisIdOf(job: Pick<Job, 'key'>): string {
  return `an-${idFromName(`analyze:${job.key}`)}`;
}

/** The patient's context, `undefined` when there is no store, no Patient ID or nothing known. */
async function contextOf(
  store: PatientContextStore | undefined,
  current: Case,
): Promise<PatientContext | undefined> {
  if (store === undefined || current.patientId === undefined || current.patientId === '') {
    return undefined;
  }
  const context = await store.getContext({
    patientId: current.patientId,
    ...(current.issuerOfPatientId === undefined ? {} : { issuer: current.issuerOfPatientId }),
  });
  return context.observations.length === 0 ? undefined : context;
}

/** Runs an `analyze` job. */
export async function runAnalyzeJob(
  deps: AnalyzeStepDependencies,
  job: Job,
  signal: AbortSignal,
): Promise<void> {
  const payload = job.payload as unknown as AnalyzeJobPayload;
  const analysisId = analysisIdOf(job);
  const logger = deps.logger.child({
    studyInstanceUid: payload.studyInstanceUid,
    analyzer: payload.analyzerId,
  });
  const stored = await deps.results.getAnalysis(analysisId);
  if (stored !== undefined) {
    await deps.publish(stored, signal);
    return;
  }
  const assembly = await deps.index.getAssembly(payload.studyInstanceUid);
  if (assembly === undefined) {
    throw new FoveaError('FOVEA_INTERNAL', { detail: 'the study has no assembly' });
  }
  const manifest = deps.runner.manifests.find((entry) => entry.id === payload.analyzerId);
  if (manifest === undefined) {
    throw new FoveaError('FOVEA_ANALYZER_REGISTRATION', { detail: `unknown analyzer ${payload.analyzerId}` });
  }
  const modalities = [
    ...new Set(acceptedInstances(manifest, assembly.case).map((instance) => instance.modality ?? '')),
  ].filter((modality) => modality !== '');
  const priors = manifest.needsPriors === true ? await deps.priors.findPriors(assembly.case, modalities) : [];
  const context = await contextOf(deps.context, assembly.case);
  const analysisCase: AnalysisCase = {
    ...assembly.case,
    priors,
    ...(context === undefined ? {} : { context }),
  };
  const inputs = acceptedInstances(manifest, analysisCase).map((instance) => instance.sopInstanceUid);
  const startedAt = new Date();
  logger.info(
    { event: logEvents.ANALYSIS_STARTED, jobId: job.id, attempt: job.attempts },
    'analysis started',
  );
  const outcome = await deps.runner.run(payload.analyzerId, analysisCase, signal);
  const finishedAt = new Date();
  const provenance: FindingProvenance = {
    analyzerId: manifest.id,
    analyzerVersion: manifest.version,
    modelHash: manifest.modelHash,
    inputSopInstanceUids: inputs,
    startedAt,
    finishedAt,
  };
  const phase = phaseFor(deps.config, payload.useCase, assembly.case.site);
  const findings: Finding[] =
    'output' in outcome
      ? outcome.output.findings.map((draft) => ({
          ...draft,
          id: `fi-${idFromName(`${analysisId}:${draft.eye}:${draft.key}`)}`,
          studyInstanceUid: payload.studyInstanceUid,
          analysisId,
          provenance,
          status: 'preliminary',
          createdAt: finishedAt,
        }))
      : [];
  const record: AnalysisRecord = {
    id: analysisId,
    studyInstanceUid: payload.studyInstanceUid,
    analyzerId: manifest.id,
    analyzerVersion: manifest.version,
    useCase: payload.useCase,
    phase,
    status: 'output' in outcome ? 'succeeded' : 'not-applicable',
    ...('output' in outcome ? {} : { reason: outcome.applicability.reason }),
    findings,
    raw: 'output' in outcome ? outcome.output.raw : null,
    provenance,
  };
  await deps.results.saveAnalysis(record);
  if ('output' in outcome) {
    logger.info(
      {
        event: logEvents.ANALYSIS_DONE,
        jobId: job.id,
        findings: findings.length,
        ms: finishedAt.getTime() - startedAt.getTime(),
        phase,
      },
      'analysis done',
    );
  } else {
    logger.info(
      { event: logEvents.ANALYSIS_NOT_APPLICABLE, jobId: job.id, reason: outcome.applicability.reason },
      'analyzer not applicable',
    );
  }
  await deps.publish((await deps.results.getAnalysis(analysisId)) ?? record, signal);
}
