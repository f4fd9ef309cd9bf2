/**
 * The index port: what the pipeline and the API need from the store about received instances and studies.
 * Implemented in `store/` (PostgreSQL and PGlite); the pipeline sees only this interface.
 */
import type { Case } from './case.ts';
import type { InstanceRecord } from './instance.ts';
import type { RouteDecision } from './route.ts';
import type { StudyState, StudySummary } from './study.ts';

/** What recording a batch of instances did. */
export interface RecordOutcome {
  /** SOP Instance UIDs newly indexed. */
  readonly inserted: readonly string[];
  /** SOP Instance UIDs already indexed (re-sent instances): nothing changed for them. */
  readonly duplicates: readonly string[];
  /** Studies that were stable or routed and went back to `receiving` because a new instance arrived. */
  readonly reopened: readonly string[];
}

/** Filters and paging of a study listing. */
export interface StudyQuery {
  readonly patientId?: string;
  readonly accessionNumber?: string;
  readonly modality?: string;
  readonly state?: StudyState;
  readonly site?: string;
  /** StudyDate range, inclusive, as YYYYMMDD. */
  readonly studyDateFrom?: string;
  readonly studyDateTo?: string;
  readonly limit: number;
  readonly offset: number;
}

/** A page of results. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
}

/** A study's assembled Case and routing decision. */
export interface StudyAssembly {
  readonly case: Case;
  readonly route: RouteDecision;
}

/** The index of studies, series and instances. */
export interface InstanceIndex {
  /** Records instances, idempotent by SOP Instance UID; one transaction for the batch. */
  recordInstances(records: readonly InstanceRecord[]): Promise<RecordOutcome>;
  /** The SOP Instance UIDs among `uids` that are indexed. */
  knownInstances(uids: readonly string[]): Promise<Set<string>>;
  getStudy(studyInstanceUid: string): Promise<StudySummary | undefined>;
  listStudies(query: StudyQuery): Promise<Page<StudySummary>>;
  listInstances(studyInstanceUid: string): Promise<InstanceRecord[]>;
  /** Studies still `receiving` whose last instance arrived before `before`, oldest first. */
  studiesQuietSince(before: Date, limit: number): Promise<string[]>;
  /** Studies in `state`, oldest first (to resume work after a restart). */
  studiesInState(state: StudyState, limit: number): Promise<string[]>;
  /** Moves a study from `receiving` to `stable` if its version is still `version`. */
  markStable(studyInstanceUid: string, version: number, at: Date): Promise<boolean>;
  /** Stores the Case and route and moves the study from `stable` to `routed` if its version is still `version`. */
  saveAssembly(studyInstanceUid: string, version: number, assembly: StudyAssembly): Promise<boolean>;
  getAssembly(studyInstanceUid: string): Promise<StudyAssembly | undefined>;
  /** Routed studies whose current routing has not been dispatched to analysis yet, oldest first. */
  studiesToDispatch(limit: number): Promise<{ studyInstanceUid: string; version: number }[]>;
  /** Records that the routing at `version` was dispatched; false when the study moved on meanwhile. */
  markDispatched(studyInstanceUid: string, version: number, at: Date): Promise<boolean>;
  /**
   * Earlier routed studies of the same patient (same Patient ID and issuer as `studyInstanceUid`) that hold an
   * instance of one of `modalities`, newest first.
   */
  priorStudies(studyInstanceUid: string, modalities: readonly string[], limit: number): Promise<string[]>;
}

/** What the PACS watcher remembers between polls. */
export interface WatchCursorStore {
  /** The time through which the PACS has been polled. */
  getPolledThrough(pacsId: string): Promise<Date | undefined>;
  setPolledThrough(pacsId: string, at: Date): Promise<void>;
  /** Instance counts of studies already fetched, for the given study UIDs. */
  seenCounts(pacsId: string, studyUids: readonly string[]): Promise<Map<string, number>>;
  markSeen(pacsId: string, studyInstanceUid: string, instanceCount: number, at: Date): Promise<void>;
}
