/**
 * Turns a scanned header into Fovea's {@link InstanceHeader}: the one place where DICOM keywords become the
 * domain's camelCase names. Checks the identifiers every instance must carry.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.12.1 (SOP Common)
 */
import { resolveInstanceEye } from '../../core/eye.ts';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceHeader } from '../../core/instance.ts';
import { isFileSafeUid } from '../../core/uid.ts';
import { getItems, getNumber, getString, type DicomDataset } from './dataset.ts';
import type { ScanResult } from './dataset-scanner.ts';
import { Tag } from './tags.ts';

/** The identifiers a transfer announced before the data set (C-STORE command, file meta). */
export interface AnnouncedIdentity {
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
}

function requiredUid(dataset: DicomDataset, tag: number, keyword: string): string {
  const value = getString(dataset, tag);
  if (value === undefined) {
    throw new FoveaError('FOVEA_DICOM_MISSING_ATTRIBUTE', { detail: `${keyword} is missing`, path: keyword });
  }
  if (!isFileSafeUid(value)) {
    throw new FoveaError('FOVEA_DICOM_MISSING_ATTRIBUTE', {
      detail: `${keyword} is not a valid UID`,
      path: keyword,
    });
  }
  return value;
}

/** Frame Laterality from the shared functional groups, else the first per-frame item that has one. */
function frameLaterality(header: DicomDataset): string | undefined {
  const groups = [
    ...getItems(header, Tag.SharedFunctionalGroupsSequence),
    ...getItems(header, Tag.PerFrameFunctionalGroupsSequence).slice(0, 1),
  ];
  for (const group of groups) {
    for (const anatomy of getItems(group, Tag.FrameAnatomySequence)) {
      const value = getString(anatomy, Tag.FrameLaterality);
      if (value !== undefined) {
        return value;
      }
    }
  }
  return undefined;
}

/**
 * Builds the instance header from a scan. Throws `FOVEA_DICOM_MISSING_ATTRIBUTE` when an identifier is
 * missing or invalid, and `FOVEA_DICOM_UID_MISMATCH` when the data set contradicts what was announced.
 */
export function readInstanceHeader(scan: ScanResult, announced: AnnouncedIdentity = {}): InstanceHeader {
  const ds = scan.header;
  const charset = getString(ds, Tag.SpecificCharacterSet);
  const text = (tag: number): string | undefined => getString(ds, tag, charset);
  const sopClassUid =
    getString(ds, Tag.SOPClassUID) ?? announced.sopClassUid ?? scan.meta?.mediaStorageSopClassUid;
  if (sopClassUid === undefined) {
    throw new FoveaError('FOVEA_DICOM_MISSING_ATTRIBUTE', {
      detail: 'SOPClassUID is missing',
      path: 'SOPClassUID',
    });
  }
  const sopInstanceUid = requiredUid(ds, Tag.SOPInstanceUID, 'SOPInstanceUID');
  const studyInstanceUid = requiredUid(ds, Tag.StudyInstanceUID, 'StudyInstanceUID');
  const seriesInstanceUid = requiredUid(ds, Tag.SeriesInstanceUID, 'SeriesInstanceUID');
  const expectedInstance = announced.sopInstanceUid ?? scan.meta?.mediaStorageSopInstanceUid;
  if (expectedInstance !== undefined && expectedInstance !== sopInstanceUid) {
    throw new FoveaError('FOVEA_DICOM_UID_MISMATCH', {
      detail: 'the SOP Instance UID of the data set differs from the announced one',
      path: 'SOPInstanceUID',
    });
  }
  const expectedClass = announced.sopClassUid ?? scan.meta?.mediaStorageSopClassUid;
  if (expectedClass !== undefined && expectedClass !== sopClassUid) {
    throw new FoveaError('FOVEA_DICOM_UID_MISMATCH', {
      detail: 'the SOP Class UID of the data set differs from the announced one',
      path: 'SOPClassUID',
    });
  }
  const laterality = text(Tag.Laterality);
  const imageLaterality = text(Tag.ImageLaterality);
  const frame = frameLaterality(ds);
  const measurementLaterality = text(Tag.MeasurementLaterality);
  const fields: Record<string, string | number | undefined> = {
    specificCharacterSet: charset,
    patientId: text(Tag.PatientID),
    issuerOfPatientId: text(Tag.IssuerOfPatientID),
    patientName: text(Tag.PatientName),
    patientBirthDate: text(Tag.PatientBirthDate),
    patientSex: text(Tag.PatientSex),
    studyDate: text(Tag.StudyDate),
    studyTime: text(Tag.StudyTime),
    studyId: text(Tag.StudyID),
    accessionNumber: text(Tag.AccessionNumber),
    studyDescription: text(Tag.StudyDescription),
    modality: text(Tag.Modality),
    seriesNumber: getNumber(ds, Tag.SeriesNumber),
    seriesDescription: text(Tag.SeriesDescription),
    bodyPartExamined: text(Tag.BodyPartExamined),
    laterality,
    imageLaterality,
    frameLaterality: frame,
    measurementLaterality,
    instanceNumber: getNumber(ds, Tag.InstanceNumber),
    contentDate: text(Tag.ContentDate),
    contentTime: text(Tag.ContentTime),
    acquisitionDateTime: text(Tag.AcquisitionDateTime),
    manufacturer: text(Tag.Manufacturer),
    manufacturerModelName: text(Tag.ManufacturerModelName),
    stationName: text(Tag.StationName),
    deviceSerialNumber: text(Tag.DeviceSerialNumber),
    softwareVersions: text(Tag.SoftwareVersions),
    rows: getNumber(ds, Tag.Rows),
    columns: getNumber(ds, Tag.Columns),
    numberOfFrames: getNumber(ds, Tag.NumberOfFrames),
    samplesPerPixel: getNumber(ds, Tag.SamplesPerPixel),
    photometricInterpretation: text(Tag.PhotometricInterpretation),
    bitsAllocated: getNumber(ds, Tag.BitsAllocated),
  };
  const present = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  return {
    ...present,
    sopClassUid,
    sopInstanceUid,
    studyInstanceUid,
    seriesInstanceUid,
    transferSyntaxUid: scan.transferSyntaxUid,
    eye: resolveInstanceEye([frame, imageLaterality, measurementLaterality, laterality]),
  };
}
