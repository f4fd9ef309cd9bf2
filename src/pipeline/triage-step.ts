/**
 * Recomputes a study's place on the worklist from all its analyses (see `core/triage.ts`) and stores it. Run
 * whenever an analysis is published (and, later, when a finding is reviewed); idempotent, and safe with
 * several processes: the store keeps the triage computed from the most analyses.
 */
import type { InstanceIndex } from '../core/instance-index.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { ResultStore } from '../core/result-store.ts';
import { triageStudy, type StudyTriage, type TriagePolicy } from '../core/triage.ts';

/** What the triage step needs. */
export interface TriageDependencies {
  readonly index: InstanceIndex;
  readonly results: ResultStore;
  /** The triage policy of a site. */
  readonly policyFor: (site: string) => TriagePolicy;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** Recomputes and stores the triage of one study; returns it (`undefined` when nothing suggests a bucket). */
export async function updateStudyTriage(
  deps: TriageDependencies,
  studyInstanceUid: string,
): Promise<StudyTriage | undefined> {
  const study = await deps.index.getStudy(studyInstanceUid);
  if (study === undefined) {
    return undefined;
  }
  const analyses = await deps.results.listAnalyses(studyInstanceUid);
  const triage = triageStudy(
    studyInstanceUid,
    analyses,
    deps.policyFor(study.site),
    deps.now?.() ?? new Date(),
  );
  if (triage === undefined) {
    await deps.results.clearTriage(studyInstanceUid);
    return undefined;
  }
  if (await deps.results.saveTriage(triage)) {
    deps.logger.info(
      {
        event: logEvents.STUDY_TRIAGED,
        studyInstanceUid,
        bucket: triage.bucket,
        priority: triage.priority,
        analyses: triage.analysisIds.length,
      },
      'study triaged',
    );
  }
  return triage;
}
