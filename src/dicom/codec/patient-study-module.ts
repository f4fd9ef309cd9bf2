/**
 * The Patient and General Study module attributes of a new object (presentation state, segmentation, secondary
 * capture) placed in the study of the instances it was derived from, copied from that study. Text values must fit
 * their value representation (the writer's own check says which object was invalid); a malformed Type 2 date,
 * time or sex of the source is written empty rather than copied.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.7.html#sect_C.7.1.1 (Patient)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.7.2.html#sect_C.7.2.1 (General Study)
 */
import type { NaturalDataset } from 'dcmjs';

/**
 * The patient and study of the source instances, as every writer of derived objects (SR, SEG, PR, SC) takes them.
 * Person names are DICOM PN strings (`Family^Given`, component groups separated by `=`); absent Type 2 values are
 * empty strings.
 */
export interface SourcePatientStudy {
  readonly patientName: string;
  readonly patientId: string;
  readonly issuerOfPatientId?: string;
  /** DA (YYYYMMDD) or empty. */
  readonly patientBirthDate: string;
  /** `M`, `F`, `O` or empty. */
  readonly patientSex: string;
  readonly studyInstanceUid: string;
  /** DA (YYYYMMDD) or empty. */
  readonly studyDate: string;
  /** TM or empty. */
  readonly studyTime: string;
  readonly studyId: string;
  readonly accessionNumber: string;
  readonly referringPhysicianName: string;
  readonly studyDescription?: string;
}

/** A writer's checks: each returns the value or throws the writer's own error. */
export interface ValueChecks {
  text(value: string, maxLength: number, what: string): string;
  uid(value: string, what: string): string;
}

const date = /^(\d{8})?$/u;
const time = /^(\d{2,6}(\.\d{1,6})?)?$/u;

/** The Patient and General Study attributes for a new object in the source study. */
export function patientStudyModule(study: SourcePatientStudy, check: ValueChecks): NaturalDataset {
  const pn = (value: string, what: string): unknown[] => {
    check.text(value, 64 * 3 + 2, what);
    return value === '' ? [] : [{ Alphabetic: value }];
  };
  const attributes: NaturalDataset = {
    PatientName: pn(study.patientName, 'PatientName'),
    PatientID: check.text(study.patientId, 64, 'PatientID'),
    PatientBirthDate: date.test(study.patientBirthDate) ? study.patientBirthDate : '',
    PatientSex: /^[MFO]?$/u.test(study.patientSex) ? study.patientSex : '',
    StudyInstanceUID: check.uid(study.studyInstanceUid, 'Study Instance UID'),
    StudyDate: date.test(study.studyDate) ? study.studyDate : '',
    StudyTime: time.test(study.studyTime) ? study.studyTime : '',
    StudyID: check.text(study.studyId, 16, 'StudyID'),
    AccessionNumber: check.text(study.accessionNumber, 16, 'AccessionNumber'),
    ReferringPhysicianName: pn(study.referringPhysicianName, 'ReferringPhysicianName'),
  };
  if (study.issuerOfPatientId !== undefined && study.issuerOfPatientId !== '') {
    attributes.IssuerOfPatientID = check.text(study.issuerOfPatientId, 64, 'IssuerOfPatientID');
  }
  if (study.studyDescription !== undefined && study.studyDescription !== '') {
    attributes.StudyDescription = check.text(study.studyDescription, 64, 'StudyDescription');
  }
  return attributes;
}
