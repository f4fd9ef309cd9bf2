/**
 * The result store port: analyses with their findings and raw output, the DICOM objects Fovea wrote from
 * them, and the deliveries of those objects to their destinations. Implemented in `store/`.
 */
import type { AnalysisRecord, Finding } from './finding.ts';
import type { StudyTriage, TriageBucket } from './triage.ts';

/** A delivery's state: waiting (or retrying), acknowledged by the destination, or given up. */
export type DeliveryState = 'pending' | 'delivered' | 'dead';

/** How an object reaches a destination. */
export type DeliveryProtocol = 'dimse' | 'stow-rs' | 'fhir' | 'mllp';

/** An object Fovea wrote for delivery (an SR, SEG, FHIR Bundle, HL7 v2 message …). */
export interface ResultObject {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly analysisId: string;
  /** `sr`, `kos`, `seg`, `pr`, `fhir`, `hl7`. */
  readonly kind: string;
  /** Path of the file (Part 10, FHIR JSON or HL7 ER7) relative to the data directory. */
  readonly path: string;
  /** `preliminary`, `final` or `corrected`. */
  readonly status: string;
  readonly createdAt: Date;
}

/** One object to one destination. */
export interface Delivery {
  readonly id: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly destination: string;
  readonly protocol: DeliveryProtocol;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly lastError?: { readonly code: string; readonly message: string };
  readonly createdAt: Date;
  readonly deliveredAt?: Date;
}

/** One row of the reading worklist: a triaged study. */
export interface WorklistEntry {
  readonly triage: StudyTriage;
  readonly site: string;
  readonly accessionNumber?: string;
  readonly studyDate?: string;
  readonly lastReceivedAt: Date;
  /** The latest signed report revision, absent while no report is signed. */
  readonly signedRevision?: number;
}

/** A worklist entry's reading status: `unsigned` while no report is signed, then `signed`. */
export type WorklistStatus = 'unsigned' | 'signed';

/** Worklist filters; every one given must hold. */
export interface WorklistFilter {
  readonly bucket?: TriageBucket;
  readonly site?: string;
  /** A use case of one of the analyses behind the triage. */
  readonly useCase?: string;
  readonly status?: WorklistStatus;
  /** First Study Date (DICOM DA, `YYYYMMDD`), inclusive. */
  readonly studyDateFrom?: string;
  /** Last Study Date (DICOM DA, `YYYYMMDD`), inclusive. */
  readonly studyDateTo?: string;
}

/** Worklist filters and the page. */
export interface WorklistQuery extends WorklistFilter {
  readonly limit: number;
  readonly offset?: number;
}

/** The store of analyses, findings, result objects and deliveries. */
export interface ResultStore {
  /**
   * Stores an analysis and its findings in one transaction, idempotent by analysis id: a second call with the
   * same id stores nothing and returns false.
   */
  saveAnalysis(record: AnalysisRecord): Promise<boolean>;
  getAnalysis(analysisId: string): Promise<AnalysisRecord | undefined>;
  listAnalyses(studyInstanceUid: string): Promise<AnalysisRecord[]>;
  listFindings(studyInstanceUid: string): Promise<Finding[]>;
  /** Records an object and its deliveries, idempotent by SOP Instance UID and delivery id. */
  saveResultObject(
    object: ResultObject,
    deliveries: readonly Pick<Delivery, 'id' | 'destination' | 'protocol'>[],
  ): Promise<void>;
  getResultObject(sopInstanceUid: string): Promise<ResultObject | undefined>;
  listResultObjects(studyInstanceUid: string): Promise<ResultObject[]>;
  getDelivery(deliveryId: string): Promise<Delivery | undefined>;
  listDeliveries(studyInstanceUid: string): Promise<Delivery[]>;
  /**
   * Stores a study's triage unless a triage computed from more analyses is already stored (so a late writer
   * with an older view never wins); returns whether it was stored.
   */
  saveTriage(triage: StudyTriage): Promise<boolean>;
  /** Removes a study's triage (no visible finding suggests anything any more). */
  clearTriage(studyInstanceUid: string): Promise<void>;
  getTriage(studyInstanceUid: string): Promise<StudyTriage | undefined>;
  /** The worklist: highest priority first, then the earliest received. */
  listWorklist(query: WorklistQuery): Promise<WorklistEntry[]>;
  /** How many studies the worklist holds under these filters (for paging). */
  countWorklist(filter: WorklistFilter): Promise<number>;
  /** Counts an attempt; `error` set when it failed, `dead` when no retry will follow. */
  recordDeliveryAttempt(
    deliveryId: string,
    outcome:
      | { readonly delivered: true }
      | {
          readonly delivered: false;
          readonly dead: boolean;
          readonly code: string;
          readonly message: string;
        },
  ): Promise<void>;
}
