/**
 * Findings: typed AI statements about one eye, each with its provenance. Analyzers produce them, the store
 * keeps them, the SR/HL7/FHIR writers turn them into the standards' encodings.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_A.html#sect_TID_1500
 */
import type { Eye } from './eye.ts';
import type { TriageSuggestion } from './triage-suggestion.ts';

/** A coded concept (DICOM Code Sequence Macro: value, scheme designator, meaning). */
export interface CodedConcept {
  readonly value: string;
  /** Coding scheme designator: `DCM`, `SCT`, `LN`, `UCUM`, `99FOVEA`. */
  readonly scheme: string;
  readonly meaning: string;
}

/** Why a photograph or volume cannot be graded. */
export type UngradableReason =
  | 'blur'
  | 'underexposed'
  | 'overexposed'
  | 'low-contrast'
  | 'field-of-view'
  | 'optic-disc-not-visible'
  | 'macula-not-visible'
  | 'low-signal'
  | 'unreadable';

/** A gradability verdict for one eye. "Ungradable" is an answer, never a normal result. */
export interface QualityFindingValue {
  readonly kind: 'quality';
  readonly verdict: 'gradable' | 'ungradable';
  /** Overall quality in [0, 1]; higher is better. */
  readonly score: number;
  /** Empty when gradable. */
  readonly reasons: readonly UngradableReason[];
  /** The component measures behind the verdict (name → value in [0, 1] or a named unit-less figure). */
  readonly components: Readonly<Record<string, number>>;
}

/** A categorical statement (e.g. ICDR level) with its confidence. */
export interface ClassificationFindingValue {
  readonly kind: 'classification';
  /** What is classified (e.g. LOINC 71491-5, "Diabetic retinopathy severity, right eye"). */
  readonly concept: CodedConcept;
  readonly value: CodedConcept;
  /** In [0, 1] when the analyzer gives one. */
  readonly confidence?: number;
}

/** A number with its unit (UCUM). */
export interface MeasurementFindingValue {
  readonly kind: 'measurement';
  readonly concept: CodedConcept;
  readonly value: number;
  /** UCUM unit, e.g. `um`, `mm3`, `dB`, `{ratio}`. */
  readonly unit: CodedConcept;
  /** Where applicable, the region the value is about (e.g. an ETDRS subfield). */
  readonly qualifier?: CodedConcept;
}

/** Points on a source image (pixel coordinates, column then row), e.g. lesion centres. */
export interface RegionFindingValue {
  readonly kind: 'region';
  readonly concept: CodedConcept;
  /** The instance (and 1-based frame) the coordinates are on. */
  readonly sopInstanceUid: string;
  readonly frame?: number;
  readonly graphicType: 'POINT' | 'MULTIPOINT' | 'POLYLINE' | 'CIRCLE';
  /** Flat list of column,row pairs. */
  readonly points: readonly number[];
  readonly confidence?: number;
}

/** The value a finding states. */
export type FindingValue =
  QualityFindingValue | ClassificationFindingValue | MeasurementFindingValue | RegionFindingValue;

/** Where a finding came from. */
export interface FindingProvenance {
  readonly analyzerId: string;
  readonly analyzerVersion: string;
  /** SHA-256 of the model weights, or of the analyzer's parameters for a classical algorithm. */
  readonly modelHash: string;
  /** The SOP Instance UIDs the statement was derived from. */
  readonly inputSopInstanceUids: readonly string[];
  readonly startedAt: Date;
  readonly finishedAt: Date;
}

/** What an analyzer states about one eye, before the pipeline stores it. */
export interface FindingDraft {
  readonly eye: Eye;
  /** The use case the statement serves (`image-quality`, `dr-screening`, …). */
  readonly useCase: string;
  /** Stable within an analyzer's output: the same key for the same statement on a re-run. */
  readonly key: string;
  readonly value: FindingValue;
  /** The SOP Instance UIDs this statement is about (a subset of the analysis' inputs). */
  readonly sourceSopInstanceUids: readonly string[];
  /** Where the analyzer suggests the eye belongs on the worklist (see `triage.ts`). */
  readonly triage?: TriageSuggestion;
}

/** Review status of a finding. */
export type FindingStatus = 'preliminary' | 'accepted' | 'modified' | 'rejected';

/** A stored finding. */
export interface Finding extends FindingDraft {
  readonly id: string;
  readonly studyInstanceUid: string;
  readonly analysisId: string;
  readonly provenance: FindingProvenance;
  readonly status: FindingStatus;
  readonly createdAt: Date;
}

/** The outcome of one analyzer on one study, as stored (findings plus raw output for audit). */
export interface AnalysisRecord {
  readonly id: string;
  readonly studyInstanceUid: string;
  readonly analyzerId: string;
  readonly analyzerVersion: string;
  readonly useCase: string;
  /** Routing phase at the time of analysis (see rollout). */
  readonly phase: RolloutPhase;
  readonly status: 'succeeded' | 'not-applicable' | 'failed';
  /** Why the analyzer declined or failed, when it did. */
  readonly reason?: string;
  readonly findings: readonly Finding[];
  readonly raw: unknown;
  readonly provenance: FindingProvenance;
}

/** Rollout phase of a use case at a site. */
export type RolloutPhase = 'off' | 'silent' | 'assistive' | 'integrated';

/** The phases in order. */
export const rolloutPhases: readonly RolloutPhase[] = ['off', 'silent', 'assistive', 'integrated'];

/**
 * Whether clinicians and integrations may see an analysis's results: it succeeded, in an assistive or integrated
 * phase (silent-phase results never leave; design.md, rollout).
 */
export function isVisibleAnalysis(analysis: AnalysisRecord): boolean {
  return (
    analysis.status === 'succeeded' && (analysis.phase === 'assistive' || analysis.phase === 'integrated')
  );
}

/** The visible analyses ({@link isVisibleAnalysis}), the latest finished first. */
export function visibleAnalysesLatestFirst(analyses: readonly AnalysisRecord[]): AnalysisRecord[] {
  return analyses
    .filter(isVisibleAnalysis)
    .sort((a, b) => b.provenance.finishedAt.getTime() - a.provenance.finishedAt.getTime());
}
