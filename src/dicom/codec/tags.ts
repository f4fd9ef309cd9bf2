/**
 * Tags Fovea reads from incoming headers, as `0xGGGGEEEE` numbers, with their VR (needed to decode values
 * encoded in Implicit VR Little Endian, where the VR is not on the wire).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part06.html#chapter_6
 */

/** Tag numbers by DICOM keyword. */
export const Tag = {
  FileMetaInformationGroupLength: 0x00020000,
  MediaStorageSOPClassUID: 0x00020002,
  MediaStorageSOPInstanceUID: 0x00020003,
  TransferSyntaxUID: 0x00020010,
  ImplementationClassUID: 0x00020012,
  ImplementationVersionName: 0x00020013,
  SourceApplicationEntityTitle: 0x00020016,
  SpecificCharacterSet: 0x00080005,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  StudyDate: 0x00080020,
  ContentDate: 0x00080023,
  StudyTime: 0x00080030,
  ContentTime: 0x00080033,
  AccessionNumber: 0x00080050,
  Modality: 0x00080060,
  Manufacturer: 0x00080070,
  StationName: 0x00081010,
  StudyDescription: 0x00081030,
  SeriesDescription: 0x0008103e,
  ManufacturerModelName: 0x00081090,
  AcquisitionDateTime: 0x0008002a,
  AnatomicRegionSequence: 0x00082218,
  PatientName: 0x00100010,
  PatientID: 0x00100020,
  IssuerOfPatientID: 0x00100021,
  PatientBirthDate: 0x00100030,
  PatientSex: 0x00100040,
  BodyPartExamined: 0x00180015,
  DeviceSerialNumber: 0x00181000,
  SoftwareVersions: 0x00181020,
  StudyInstanceUID: 0x0020000d,
  SeriesInstanceUID: 0x0020000e,
  StudyID: 0x00200010,
  SeriesNumber: 0x00200011,
  InstanceNumber: 0x00200013,
  Laterality: 0x00200060,
  ImageLaterality: 0x00200062,
  FrameAnatomySequence: 0x00209071,
  FrameLaterality: 0x00209072,
  MeasurementLaterality: 0x00240113,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  BitsAllocated: 0x00280100,
  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,
  PixelData: 0x7fe00010,
} as const;

/** VRs of the tags above (and of the sequences Fovea descends into). */
const knownVr = new Map<number, string>([
  [Tag.FileMetaInformationGroupLength, 'UL'],
  [Tag.MediaStorageSOPClassUID, 'UI'],
  [Tag.MediaStorageSOPInstanceUID, 'UI'],
  [Tag.TransferSyntaxUID, 'UI'],
  [Tag.ImplementationClassUID, 'UI'],
  [Tag.ImplementationVersionName, 'SH'],
  [Tag.SourceApplicationEntityTitle, 'AE'],
  [Tag.SpecificCharacterSet, 'CS'],
  [Tag.SOPClassUID, 'UI'],
  [Tag.SOPInstanceUID, 'UI'],
  [Tag.StudyDate, 'DA'],
  [Tag.ContentDate, 'DA'],
  [Tag.StudyTime, 'TM'],
  [Tag.ContentTime, 'TM'],
  [Tag.AccessionNumber, 'SH'],
  [Tag.Modality, 'CS'],
  [Tag.Manufacturer, 'LO'],
  [Tag.StationName, 'SH'],
  [Tag.StudyDescription, 'LO'],
  [Tag.SeriesDescription, 'LO'],
  [Tag.ManufacturerModelName, 'LO'],
  [Tag.AcquisitionDateTime, 'DT'],
  [Tag.AnatomicRegionSequence, 'SQ'],
  [Tag.PatientName, 'PN'],
  [Tag.PatientID, 'LO'],
  [Tag.IssuerOfPatientID, 'LO'],
  [Tag.PatientBirthDate, 'DA'],
  [Tag.PatientSex, 'CS'],
  [Tag.BodyPartExamined, 'CS'],
  [Tag.DeviceSerialNumber, 'LO'],
  [Tag.SoftwareVersions, 'LO'],
  [Tag.StudyInstanceUID, 'UI'],
  [Tag.SeriesInstanceUID, 'UI'],
  [Tag.StudyID, 'SH'],
  [Tag.SeriesNumber, 'IS'],
  [Tag.InstanceNumber, 'IS'],
  [Tag.Laterality, 'CS'],
  [Tag.ImageLaterality, 'CS'],
  [Tag.FrameAnatomySequence, 'SQ'],
  [Tag.FrameLaterality, 'CS'],
  [Tag.MeasurementLaterality, 'CS'],
  [Tag.SamplesPerPixel, 'US'],
  [Tag.PhotometricInterpretation, 'CS'],
  [Tag.NumberOfFrames, 'IS'],
  [Tag.Rows, 'US'],
  [Tag.Columns, 'US'],
  [Tag.BitsAllocated, 'US'],
  [Tag.SharedFunctionalGroupsSequence, 'SQ'],
  [Tag.PerFrameFunctionalGroupsSequence, 'SQ'],
  [Tag.PixelData, 'OW'],
]);

/** The VR of a known tag, `UN` otherwise (used when decoding Implicit VR data). */
export function vrOfTag(tag: number): string {
  return knownVr.get(tag) ?? 'UN';
}

/** Formats a tag as `(GGGG,EEEE)` for messages. */
export function formatTag(tag: number): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
