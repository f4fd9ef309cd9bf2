/**
 * Modules shared by the synthetic OP, OPT and OPV writers: Patient, General Study, Patient Study, General
 * Series, General and Enhanced General Equipment, SOP Common, and coded entries.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.1.1 (Patient)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.2.1 (General Study)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.3.1 (General Series)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.5.1 (General Equipment)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.12.1 (SOP Common)
 */
import type { NaturalDataset } from 'dcmjs';
import type { Eye } from '../core/eye.ts';
import { patientAge } from './patients.ts';
import type { SynthPatient, SynthSeriesRef, SynthStudyRef } from './patients.ts';

/** A coded entry (Code Sequence Macro item). */
export interface CodedEntry {
  readonly CodeValue: string;
  readonly CodingSchemeDesignator: string;
  readonly CodeMeaning: string;
}

/** Makes a coded entry. */
export function code(value: string, scheme: string, meaning: string): CodedEntry {
  return { CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning };
}

/** Codes used by the synthetic writers (SNOMED CT and DCM, PS3.16). */
export const codes = {
  eye: code('81745001', 'SCT', 'Eye'),
  retina: code('5665001', 'SCT', 'Retina'),
  opticDisc: code('81016008', 'SCT', 'Optic nerve head'),
  fundusCamera: code('409898007', 'SCT', 'Fundus Camera'),
  scanningLaserOphthalmoscope: code('392001008', 'SCT', 'Scanning Laser Ophthalmoscope'),
  octScanner: code('392012008', 'SCT', 'Optical Coherence Tomography Scanner'),
  maculaCentered: code('111900', 'DCM', 'Macula centered'),
  discCentered: code('111901', 'DCM', 'Disc centered'),
} as const;

/** A synthetic acquisition device. */
export interface SynthDevice {
  readonly manufacturer: string;
  readonly manufacturerModelName: string;
  readonly deviceSerialNumber: string;
  readonly softwareVersions: string;
  readonly stationName: string;
  readonly institutionName: string;
}

/** Version of the generator written into Software Versions. */
export const synthVersion = '0.1.0';

/** The devices the generator pretends to be. */
export const synthDevices = {
  fundusCamera: {
    manufacturer: 'Fovea Synth',
    manufacturerModelName: 'Synth Fundus 45',
    deviceSerialNumber: 'FSF-0001',
    softwareVersions: synthVersion,
    stationName: 'SYNTHFUNDUS',
    institutionName: 'Fovea Synthetic Eye Clinic',
  },
  oct: {
    manufacturer: 'Fovea Synth',
    manufacturerModelName: 'Synth OCT',
    deviceSerialNumber: 'FSO-0001',
    softwareVersions: synthVersion,
    stationName: 'SYNTHOCT',
    institutionName: 'Fovea Synthetic Eye Clinic',
  },
  perimeter: {
    manufacturer: 'Fovea Synth',
    manufacturerModelName: 'Synth Perimeter',
    deviceSerialNumber: 'FSP-0001',
    softwareVersions: synthVersion,
    stationName: 'SYNTHVF',
    institutionName: 'Fovea Synthetic Eye Clinic',
  },
} as const satisfies Record<string, SynthDevice>;

/** Identity of one object to write. */
export interface ObjectIdentity {
  readonly patient: SynthPatient;
  readonly study: SynthStudyRef;
  readonly series: SynthSeriesRef;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number;
  readonly eye: Eye;
  /** Content/acquisition time, HHMMSS (defaults to the study time). */
  readonly contentTime?: string;
}

/** Patient, General Study, Patient Study, General Series, General/Enhanced Equipment and SOP Common. */
export function commonModules(
  identity: ObjectIdentity,
  modality: 'OP' | 'OPT' | 'OPV',
  device: SynthDevice,
): NaturalDataset {
  const { patient, study, series } = identity;
  const contentTime = identity.contentTime ?? study.studyTime;
  return {
    SpecificCharacterSet: 'ISO_IR 100',
    SOPClassUID: identity.sopClassUid,
    SOPInstanceUID: identity.sopInstanceUid,
    InstanceCreationDate: study.studyDate,
    InstanceCreationTime: contentTime,
    StudyDate: study.studyDate,
    SeriesDate: study.studyDate,
    ContentDate: study.studyDate,
    StudyTime: study.studyTime,
    SeriesTime: contentTime,
    ContentTime: contentTime,
    AccessionNumber: study.accessionNumber,
    Modality: modality,
    Manufacturer: device.manufacturer,
    InstitutionName: device.institutionName,
    ReferringPhysicianName: '',
    StationName: device.stationName,
    StudyDescription: study.studyDescription,
    SeriesDescription: series.seriesDescription,
    ManufacturerModelName: device.manufacturerModelName,
    PatientName: patient.patientName,
    PatientID: patient.patientId,
    IssuerOfPatientID: patient.issuerOfPatientId,
    PatientBirthDate: patient.birthDate,
    PatientSex: patient.sex,
    PatientAge: patientAge(patient.birthDate, study.studyDate),
    BodyPartExamined: 'EYE',
    DeviceSerialNumber: device.deviceSerialNumber,
    SoftwareVersions: device.softwareVersions,
    StudyInstanceUID: study.studyInstanceUid,
    SeriesInstanceUID: series.seriesInstanceUid,
    StudyID: study.studyId,
    SeriesNumber: series.seriesNumber,
    InstanceNumber: identity.instanceNumber,
  };
}

/** Ocular Region Imaged module: Image Laterality and Anatomic Region (Eye). */
export function ocularRegionImaged(eye: Eye): NaturalDataset {
  return {
    ImageLaterality: eye,
    AnatomicRegionSequence: [{ ...codes.eye }],
  };
}

/** Datetime (DT) from a DICOM date and time. */
export function dateTime(date: string, time: string): string {
  return `${date}${time}`;
}
