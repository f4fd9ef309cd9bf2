/**
 * DICOM SR writers and reader for AI results, following IHE AI Results: the TID 1500 measurement report
 * (Comprehensive 3D SR), the IOCM rejection note (Key Object Selection, TID 2010), and a reader that turns a
 * delivered report back into typed findings.
 */
export {
  buildMeasurementReport,
  buildMeasurementReportDataset,
  comprehensive3dSrSopClassUid,
  defaultSeriesDescription,
  finalStatement,
  preliminaryStatement,
  trackingIdentifierOf,
  type MeasurementReportInput,
  type ReportFinding,
  type ReportStatus,
  type VerifyingObserver,
} from './tid1500-measurement-report.ts';
export {
  buildRejectionNote,
  keyObjectSelectionSopClassUid,
  rejectionTitles,
  type RejectionNoteInput,
  type RejectionReason,
} from './tid2010-rejection-note.ts';
export {
  parseMeasurementReport,
  readDocumentTitle,
  type ParsedAlgorithm,
  type ParsedMeasurementGroup,
  type ParsedMeasurementReport,
  type ParsedVerifier,
} from './parse-measurement-report.ts';
export { readSourceStudyContext, sourceStudyContextOf, type SourceStudyContext } from './source-study.ts';
export type {
  DeviceIdentity,
  DeviceObserver,
  EvaluatedInstance,
  NewInstanceIdentity,
  SopInstanceReference,
} from './document.ts';
export { readContentNode, type ReferencedInstance, type SrContentNode } from './content-tree.ts';
export { codes as srCodes, foveaScheme, ungradableReasonCodes } from './codes.ts';
export * from './tid2124-macular-thickness.ts';
