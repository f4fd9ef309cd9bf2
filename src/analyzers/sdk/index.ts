/**
 * The analyzer SDK: everything an analyzer may use. Analyzers import only this and `imaging/`.
 */
export type { Case, CaseEye, CaseInstance } from '../../core/case.ts';
export type { Eye } from '../../core/eye.ts';
export type {
  CodedConcept,
  FindingDraft,
  FindingValue,
  QualityFindingValue,
  UngradableReason,
} from '../../core/finding.ts';
export type { Logger } from '../../core/logger.ts';
export {
  hba1cLoincCodes,
  latestObservation,
  type ContextObservation,
  type PatientContext,
} from '../../core/patient-context.ts';
export { triageBuckets, type TriageBucket, type TriageSuggestion } from '../../core/triage.ts';
export type { DecodedFrame } from '../../imaging/frame.ts';
export {
  acceptedInstances,
  throwIfAborted,
  type AnalysisCase,
  type Analyzer,
  type AnalyzerHelpers,
  type AnalyzerOutput,
  type Applicability,
  type PixelAccess,
} from './analyzer.ts';
export { validateManifest, type AnalyzerManifest, type AnalyzerOutputKind } from './manifest.ts';
export type { AnalyzerRunOutcome, AnalyzerRunner } from './runner.ts';
export { validateOutput } from './validate-output.ts';
export { checkAnalyzerContract, type ContractCases } from './contract.ts';
export { FoveaError } from '../../core/errors.ts';
