/**
 * The DICOM codec: transfer syntaxes, SOP classes, tags, a streaming data set scanner, Part 10 prefixes, and
 * the mapping from DICOM headers to Fovea's instance model.
 */
export {
  TransferSyntax,
  acceptedTransferSyntaxes,
  transferSyntaxInfo,
  type TransferSyntaxInfo,
} from './transfer-syntax.ts';
export {
  SopClass,
  VerificationSopClass,
  acceptedStorageSopClasses,
  sopClassInfo,
  type SopClassInfo,
} from './sop-class.ts';
export { Tag, formatTag, vrOfTag } from './tags.ts';
export { getItems, getNumber, getString, type DicomDataset, type DicomElement } from './dataset.ts';
export {
  DatasetScanner,
  readPart10Meta,
  scanBuffer,
  type FileMeta,
  type ScanResult,
  type ScannerOptions,
} from './dataset-scanner.ts';
export {
  buildFileMetaPrefix,
  implementationClassUid,
  implementationVersionName,
  type FileMetaInput,
} from './part10.ts';
export { readInstanceHeader, type AnnouncedIdentity } from './instance-header.ts';
export { formatDa, formatTm, readNaturalPart10, writeNaturalPart10 } from './natural-part10.ts';
export { patientStudyModule, type SourcePatientStudy, type ValueChecks } from './patient-study-module.ts';
