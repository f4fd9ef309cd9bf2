/**
 * Findings, analyses, jobs and deliveries as API views.
 */
import type { AnalysisRecord, Finding, FindingProvenance } from '../core/finding.ts';
import type { Job } from '../core/job-queue.ts';
import type { Delivery, ResultObject, WorklistEntry, WorklistFilter } from '../core/result-store.ts';
import type { StudyTriage } from '../core/triage.ts';
import type {
  AnalysisView,
  DeliveryView,
  FindingView,
  JobView,
  ResultObjectView,
  TriageView,
  WorklistQueryView,
  WorklistView,
} from './result-schemas.ts';

/** The label every AI statement carries until a clinician has reviewed it. */
export const aiLabel = 'AI-generated — verify';

function provenanceView(provenance: FindingProvenance): FindingView['provenance'] {
  return {
    analyzer: `${provenance.analyzerId}@${provenance.analyzerVersion}`,
    modelHash: provenance.modelHash,
    inputSopInstanceUids: [...provenance.inputSopInstanceUids],
    startedAt: provenance.startedAt.toISOString(),
    finishedAt: provenance.finishedAt.toISOString(),
  };
}

/** A finding for the API. */
export function findingView(finding: Finding): FindingView {
  return {
    id: finding.id,
    eye: finding.eye,
    useCase: finding.useCase,
    key: finding.key,
    value: JSON.parse(JSON.stringify(finding.value)) as Record<string, unknown>,
    sourceSopInstanceUids: [...finding.sourceSopInstanceUids],
    status: finding.status,
    aiGenerated: true,
    label: aiLabel,
    provenance: provenanceView(finding.provenance),
    ...(finding.triage === undefined ? {} : { triage: { ...finding.triage } }),
  };
}

/** A study's triage for the API (labelled AI-generated: it is computed from AI findings). */
export function triageView(triage: StudyTriage): TriageView {
  return {
    bucket: triage.bucket,
    priority: triage.priority,
    reasons: triage.reasons.map((reason) => ({
      eye: reason.eye,
      bucket: reason.bucket,
      reason: reason.reason,
      ...(reason.confidence === undefined ? {} : { confidence: reason.confidence }),
      findingId: reason.findingId,
      analyzer: reason.analyzerId,
    })),
    computedAt: triage.computedAt.toISOString(),
    aiGenerated: true,
  };
}

/** One worklist row for the API. */
export function worklistEntryView(entry: WorklistEntry): Omit<WorklistView['entries'][number], 'claim'> {
  return {
    studyInstanceUid: entry.triage.studyInstanceUid,
    site: entry.site,
    ...(entry.accessionNumber === undefined ? {} : { accessionNumber: entry.accessionNumber }),
    ...(entry.studyDate === undefined ? {} : { studyDate: entry.studyDate }),
    lastReceivedAt: entry.lastReceivedAt.toISOString(),
    triage: triageView(entry.triage),
    ...(entry.signedRevision === undefined ? {} : { signedRevision: entry.signedRevision }),
  };
}

/**
 * The store's worklist filter from the API's query: dates `YYYY-MM-DD` become DICOM DA (`YYYYMMDD`), the form of
 * the Study Date the index keeps (PS3.5 §6.2, DA).
 */
export function worklistFilterOf(query: Omit<WorklistQueryView, 'limit' | 'offset'>): WorklistFilter {
  const da = (date: string): string => date.replaceAll('-', '');
  return {
    ...(query.bucket === undefined ? {} : { bucket: query.bucket }),
    ...(query.site === undefined ? {} : { site: query.site }),
    ...(query.useCase === undefined ? {} : { useCase: query.useCase }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.studyDateFrom === undefined ? {} : { studyDateFrom: da(query.studyDateFrom) }),
    ...(query.studyDateTo === undefined ? {} : { studyDateTo: da(query.studyDateTo) }),
  };
}

/** An analysis for the governance API. */
export function analysisView(analysis: AnalysisRecord): AnalysisView {
  return {
    id: analysis.id,
    analyzer: `${analysis.analyzerId}@${analysis.analyzerVersion}`,
    useCase: analysis.useCase,
    phase: analysis.phase,
    status: analysis.status,
    ...(analysis.reason === undefined ? {} : { reason: analysis.reason }),
    findings: analysis.findings.map(findingView),
    raw: analysis.raw,
    provenance: provenanceView(analysis.provenance),
  };
}

/** A job for the API. */
export function jobView(job: Job): JobView {
  return {
    id: job.id,
    kind: job.kind,
    key: job.key,
    ...(job.studyInstanceUid === undefined ? {} : { studyInstanceUid: job.studyInstanceUid }),
    state: job.state,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    runAt: job.runAt.toISOString(),
    ...(job.lockedBy === undefined ? {} : { lockedBy: job.lockedBy }),
    ...(job.lockedUntil === undefined ? {} : { lockedUntil: job.lockedUntil.toISOString() }),
    ...(job.lastError === undefined ? {} : { lastError: { ...job.lastError } }),
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
  };
}

/** A delivery for the API. */
export function deliveryView(delivery: Delivery): DeliveryView {
  return {
    id: delivery.id,
    sopInstanceUid: delivery.sopInstanceUid,
    destination: delivery.destination,
    protocol: delivery.protocol,
    state: delivery.state,
    attempts: delivery.attempts,
    ...(delivery.lastError === undefined ? {} : { lastError: { ...delivery.lastError } }),
    createdAt: delivery.createdAt.toISOString(),
    ...(delivery.deliveredAt === undefined ? {} : { deliveredAt: delivery.deliveredAt.toISOString() }),
  };
}

/** A result object for the API (no file path). */
export function resultObjectView(object: ResultObject): ResultObjectView {
  return {
    sopInstanceUid: object.sopInstanceUid,
    sopClassUid: object.sopClassUid,
    seriesInstanceUid: object.seriesInstanceUid,
    kind: object.kind,
    status: object.status,
    analysisId: object.analysisId,
    createdAt: object.createdAt.toISOString(),
  };
}

/** Findings clinicians and integrations may see: never those of silent-phase (or off) analyses. */
export function visibleFindings(analyses: readonly AnalysisRecord[]): Finding[] {
  return analyses
    .filter((analysis) => analysis.phase === 'assistive' || analysis.phase === 'integrated')
    .flatMap((analysis) => analysis.findings);
}
