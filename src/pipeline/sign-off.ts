/**
 * Signing a study's report: once every visible AI finding has been reviewed, the signing clinician's report
 * becomes final. The sign-off is recorded (revision 1, then 2, 3 … for corrections), and each visible
 * analysis's preliminary SR (or the previous final one) is replaced through the outbox by a final SR with the
 * reviewed findings (modified values, rejected ones left out) and the clinician as verifying observer, plus an
 * IOCM rejection note for the replaced SR (`result-objects.ts` buildReplacementObjects), and, for MLLP
 * destinations of role `results`, an ORU^R01 final (revision 1) or corrected (later revisions) with the
 * reviewed findings, rejected ones as deleted (OBX-11 `D`) (`hl7-results.ts`). Silent-phase analyses
 * are never signed or sent. Idempotent like publishing: objects have derived UIDs and are written once.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.2.html (Predecessor Documents)
 */
import { join } from 'node:path';
import type { DeliveryDestination } from '../config/index.ts';
import { FoveaError } from '../core/errors.ts';
import { isVisibleAnalysis, type AnalysisRecord } from '../core/finding.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import type { JobQueue } from '../core/job-queue.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultStore } from '../core/result-store.ts';
import { applyReview, latestReviews, type ReportSignOff, type ReviewStore } from '../core/review.ts';
import { idFromName, uidFromName } from '../core/uid.ts';
import type { DeviceIdentity } from '../dicom/sr/index.ts';
import { buildHl7ResultObjects, hl7SubjectOf } from './hl7-results.ts';
import { queueObjects, type OutboxObject } from './outbox.ts';
import { heatmapUid } from './lesion-heatmap.ts';
import { overlayUid } from './lesion-overlays.ts';
import {
  buildFhirResultObject,
  buildReplacementObjects,
  fhirSubjectOf,
  type ReplacedObject,
} from './result-objects.ts';

/** What signing needs. */
export interface SignOffDependencies {
  readonly index: InstanceIndex;
  readonly results: ResultStore;
  readonly reviews: ReviewStore;
  readonly jobs: JobQueue;
  readonly destinations: readonly DeliveryDestination[];
  readonly dataDir: string;
  readonly spoolRoot: string;
  readonly maxDeliveryAttempts: number;
  readonly device?: DeviceIdentity;
  /** Institution written as the verifying observer's organization. */
  readonly organization: string;
  /** A use case's description (OBR-4.2 of the ORU^R01). */
  readonly useCaseText?: (useCase: string) => string | undefined;
  readonly logger: Logger;
}

/** A request to sign. */
export interface SignOffRequest {
  readonly studyInstanceUid: string;
  /** The signed-in user's name. */
  readonly signer: string;
  /** The signer's name as it goes into the SR (PN `Family^Given`, or plain text). */
  readonly signerName: string;
  readonly text: string;
  readonly at: Date;
}

/** What signing did. */
export interface SignOffOutcome {
  readonly signOff: ReportSignOff;
  /** SOP Instance UIDs of the final SRs and rejection notes queued for delivery. */
  readonly objects: readonly string[];
}

/** The analyses a clinician signs: succeeded, assistive or integrated, with findings. */
export function signableAnalyses(analyses: readonly AnalysisRecord[]): AnalysisRecord[] {
  return analyses.filter((analysis) => isVisibleAnalysis(analysis) && analysis.findings.length > 0);
}

/** The SR a new version replaces: the preliminary one for revision 1, else the previous final version. */
/** The label of the version a revision replaces. */
function previousLabel(revision: number): string {
  return revision === 1 ? 'preliminary' : revision === 2 ? 'final' : `corrected-${revision - 1}`;
}

/**
 * The lesion overlays and lesion heatmaps of the version a revision replaces that were written (they are in the
 * result store).
 */
async function replacedOverlays(
  results: ResultStore,
  analysis: AnalysisRecord,
  revision: number,
): Promise<ReplacedObject[]> {
  const photographs = new Set(
    analysis.findings.flatMap((finding) =>
      finding.value.kind === 'region' ? [finding.value.sopInstanceUid] : [],
    ),
  );
  const replaced: ReplacedObject[] = [];
  const uids = [...photographs].flatMap((photograph) => [
    overlayUid(analysis.id, photograph, previousLabel(revision)),
    heatmapUid(analysis.id, photograph, previousLabel(revision)),
  ]);
  for (const uid of uids) {
    const written = await results.getResultObject(uid);
    if (written !== undefined) {
      replaced.push({
        sopInstanceUid: written.sopInstanceUid,
        seriesInstanceUid: written.seriesInstanceUid,
        sopClassUid: written.sopClassUid,
      });
    }
  }
  return replaced;
}

function replacedReport(
  analysis: AnalysisRecord,
  revision: number,
): { sopInstanceUid: string; seriesInstanceUid: string } {
  const label = previousLabel(revision);
  return {
    sopInstanceUid: uidFromName(`sr:${analysis.id}:${label}`),
    seriesInstanceUid: uidFromName(`sr-series:${analysis.studyInstanceUid}:${analysis.analyzerId}`),
  };
}

/**
 * Signs a study's report.
 * @throws FoveaError `FOVEA_HTTP_NOT_FOUND` (no such study), `FOVEA_HTTP_CONFLICT` (nothing to sign, findings
 *   not yet reviewed, or another clinician signed the same revision first).
 */
export async function signStudy(deps: SignOffDependencies, request: SignOffRequest): Promise<SignOffOutcome> {
  const uid = request.studyInstanceUid;
  if ((await deps.index.getStudy(uid)) === undefined) {
    throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such study' });
  }
  const analyses = signableAnalyses(await deps.results.listAnalyses(uid));
  if (analyses.length === 0) {
    throw new FoveaError('FOVEA_HTTP_CONFLICT', { detail: 'the study has no AI result to sign' });
  }
  const latest = latestReviews(await deps.reviews.listReviews(uid));
  const unreviewed = analyses
    .flatMap((analysis) => analysis.findings)
    .filter((finding) => !latest.has(finding.id));
  if (unreviewed.length > 0) {
    throw new FoveaError('FOVEA_HTTP_CONFLICT', {
      detail: `${unreviewed.length} finding(s) not reviewed yet: accept, modify or reject each before signing`,
    });
  }
  const revision = (await deps.reviews.listSignOffs(uid)).length + 1;
  const signOff: ReportSignOff = {
    id: `so-${idFromName(`${uid}:${revision}`)}`,
    studyInstanceUid: uid,
    revision,
    text: request.text,
    signer: request.signer,
    signerName: request.signerName,
    signedAt: request.at,
    analysisIds: analyses.map((analysis) => analysis.id),
  };
  if (!(await deps.reviews.recordSignOff(signOff))) {
    throw new FoveaError('FOVEA_HTTP_CONFLICT', { detail: 'the report was signed by someone else just now' });
  }
  const instances = await deps.index.listInstances(uid);
  const sources = instances.map((instance) => ({
    ...instance,
    spoolPath: join(deps.spoolRoot, instance.spoolPath),
  }));
  const verifier = { name: request.signerName, organization: deps.organization, dateTime: request.at };
  const queued: string[] = [];
  const deliveryIds: string[] = [];
  const subject = await fhirSubjectOf(deps.index, uid);
  const hl7 = deps.destinations.some((destination) => destination.protocol === 'mllp')
    ? await hl7SubjectOf(deps.index, uid)
    : undefined;
  for (const analysis of analyses) {
    // Every finding with its review applied (FHIR and HL7 report rejected ones as such); the SR and overlays
    // carry the kept ones only.
    const withReviews: AnalysisRecord = {
      ...analysis,
      findings: analysis.findings.map((finding) => applyReview(finding, latest.get(finding.id))),
    };
    const reviewed: AnalysisRecord = {
      ...withReviews,
      findings: withReviews.findings.filter((finding) => finding.status !== 'rejected'),
    };
    const objects: OutboxObject[] =
      reviewed.findings.length === 0
        ? []
        : await buildReplacementObjects(
            reviewed,
            sources,
            replacedReport(analysis, revision),
            verifier,
            revision,
            deps.device,
            await replacedOverlays(deps.results, analysis, revision),
          );
    if (deps.destinations.some((destination) => destination.protocol === 'fhir') && subject !== undefined) {
      objects.push(
        buildFhirResultObject(
          withReviews,
          subject,
          revision === 1 ? 'final' : 'amended',
          revision === 1 ? 'final' : `corrected-${revision}`,
          request.at,
          { name: request.signerName, dateTime: request.at },
        ),
      );
    }
    if (hl7 !== undefined) {
      const useCaseText = deps.useCaseText?.(analysis.useCase);
      objects.push(
        ...buildHl7ResultObjects(
          withReviews,
          hl7,
          deps.destinations,
          {
            status: revision === 1 ? 'final' : 'corrected',
            label: revision === 1 ? 'final' : `corrected-${revision}`,
            at: request.at,
            verifier: { name: request.signerName, dateTime: request.at },
          },
          useCaseText === undefined ? {} : { useCaseText },
        ),
      );
    }
    deliveryIds.push(...(await queueObjects(deps, analysis, objects, 'final', request.at)));
    queued.push(...objects.map((object) => object.sopInstanceUid));
  }
  deps.logger.info(
    { event: logEvents.RESULT_REPLACED, studyInstanceUid: uid, revision, objects: queued.length },
    'report signed: final results queued',
  );
  return { signOff, objects: queued };
}
