/**
 * The patient and study attributes an SR or KOS copies from the instances it is about, so that it lands in
 * the same study of the same patient.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.7.html#sect_C.7.1.1 (Patient)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.7.2.html#sect_C.7.2.1 (General Study)
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import { isValidUid } from '../../core/uid.ts';
import type { SourcePatientStudy } from '../codec/index.ts';
import { checkText } from './content-items.ts';
import { personNameValue, stringValue } from './content-tree.ts';
import { readPart10Dataset } from './part10.ts';

/** Patient and study attributes of the source study (codec's {@link SourcePatientStudy}). */
export type SourceStudyContext = SourcePatientStudy;

/**
 * The source study context of a naturalized data set (the header of any instance of the study).
 * @throws FoveaError `FOVEA_DICOM_MISSING_ATTRIBUTE` when it has no valid Study Instance UID.
 */
export function sourceStudyContextOf(dataset: NaturalDataset): SourceStudyContext {
  const studyInstanceUid = stringValue(dataset, 'StudyInstanceUID') ?? '';
  if (!isValidUid(studyInstanceUid)) {
    throw new FoveaError('FOVEA_DICOM_MISSING_ATTRIBUTE', {
      detail: 'the source instance has no valid Study Instance UID',
      path: 'StudyInstanceUID',
    });
  }
  const issuer = stringValue(dataset, 'IssuerOfPatientID');
  const description = stringValue(dataset, 'StudyDescription');
  return {
    patientName: personNameValue(dataset, 'PatientName') ?? '',
    patientId: stringValue(dataset, 'PatientID') ?? '',
    ...(issuer === undefined ? {} : { issuerOfPatientId: issuer }),
    patientBirthDate: stringValue(dataset, 'PatientBirthDate') ?? '',
    patientSex: stringValue(dataset, 'PatientSex') ?? '',
    studyInstanceUid,
    studyDate: stringValue(dataset, 'StudyDate') ?? '',
    studyTime: stringValue(dataset, 'StudyTime') ?? '',
    studyId: stringValue(dataset, 'StudyID') ?? '',
    accessionNumber: stringValue(dataset, 'AccessionNumber') ?? '',
    referringPhysicianName: personNameValue(dataset, 'ReferringPhysicianName') ?? '',
    ...(description === undefined ? {} : { studyDescription: description }),
  };
}

/**
 * Reads the source study context from the header of a source instance (any Part 10 file of the study),
 * with dcmjs; text is decoded with the file's character set.
 * @throws FoveaError `FOVEA_DICOM_MALFORMED` when the file cannot be read, `FOVEA_DICOM_MISSING_ATTRIBUTE`
 *   when it has no valid Study Instance UID.
 */
export function readSourceStudyContext(part10: Uint8Array): SourceStudyContext {
  return sourceStudyContextOf(readPart10Dataset(part10));
}

function pn(value: string, what: string): unknown[] {
  checkText(value, 64 * 3 + 2, what);
  if (value === '') {
    return [];
  }
  const [alphabetic = '', ideographic, phonetic] = value.split('=');
  return [
    {
      Alphabetic: alphabetic,
      ...(ideographic === undefined ? {} : { Ideographic: ideographic }),
      ...(phonetic === undefined ? {} : { Phonetic: phonetic }),
    },
  ];
}

function checked(value: string, pattern: RegExp, what: string): string {
  if (value !== '' && !pattern.test(value)) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: `${what} is not in its DICOM form`, path: what });
  }
  return value;
}

/**
 * The Patient and General Study module attributes of a new object in the source study.
 * @throws FoveaError `FOVEA_SR_INVALID` when a value does not fit its value representation.
 */
export function patientStudyAttributes(study: SourceStudyContext): NaturalDataset {
  if (!isValidUid(study.studyInstanceUid)) {
    throw new FoveaError('FOVEA_SR_INVALID', {
      detail: 'invalid Study Instance UID',
      path: 'StudyInstanceUID',
    });
  }
  const attributes: NaturalDataset = {
    PatientName: pn(study.patientName, 'PatientName'),
    PatientID: checkText(study.patientId, 64, 'PatientID'),
    PatientBirthDate: checked(study.patientBirthDate, /^\d{8}$/u, 'PatientBirthDate'),
    PatientSex: checked(study.patientSex, /^[MFO]$/u, 'PatientSex'),
    StudyInstanceUID: study.studyInstanceUid,
    StudyDate: checked(study.studyDate, /^\d{8}$/u, 'StudyDate'),
    StudyTime: checked(study.studyTime, /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/u, 'StudyTime'),
    StudyID: checkText(study.studyId, 16, 'StudyID'),
    AccessionNumber: checkText(study.accessionNumber, 16, 'AccessionNumber'),
    ReferringPhysicianName: pn(study.referringPhysicianName, 'ReferringPhysicianName'),
  };
  if (study.issuerOfPatientId !== undefined && study.issuerOfPatientId !== '') {
    attributes.IssuerOfPatientID = checkText(study.issuerOfPatientId, 64, 'IssuerOfPatientID');
  }
  if (study.studyDescription !== undefined && study.studyDescription !== '') {
    attributes.StudyDescription = checkText(study.studyDescription, 64, 'StudyDescription');
  }
  return attributes;
}
