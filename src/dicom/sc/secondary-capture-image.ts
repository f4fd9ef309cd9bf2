/**
 * An AI lesion heatmap as a derived image: a Secondary Capture Image (single frame, 8-bit RGB) with the same
 * matrix and pixel spacing as the colour fundus photograph it was derived from, pixel for pixel, so it lines up
 * with the source; Image Type DERIVED\SECONDARY, the photograph in the Source Image Sequence with Purpose of
 * Reference "Source image for image processing operation", a Derivation Description and Code, no burned-in
 * annotation, and labelled AI-generated with the analyzer id@version. Any PACS viewer shows it, overlays or not.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.8.html (Secondary Capture Image IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.8.6.html (SC Equipment, SC Image)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.7.6.html (General Image)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.12.4.html (General Reference)
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import type { CodedConcept } from '../../core/finding.ts';
import { isValidUid } from '../../core/uid.ts';
import {
  formatDa,
  formatTm,
  patientStudyModule,
  SopClass,
  sopClassInfo,
  writeNaturalPart10,
  type SourcePatientStudy,
} from '../codec/index.ts';

/** Secondary Capture Image Storage. */
export const secondaryCaptureImageSopClassUid = SopClass.SecondaryCaptureImage;

/** Fovea's local coding scheme (the SR and SEG writers declare the same one). */
export const scFoveaScheme = '99FOVEA';

/** The phrase of a heatmap nobody reviewed. */
export const heatmapNotReviewedStatement = 'AI-generated; not reviewed';

/** The phrase of a heatmap drawn from the findings a clinician kept. */
export const heatmapReviewedStatement = 'AI-generated; clinician-reviewed';

/**
 * The codes of the derived image. PS3.16 CID 7203 (Image Derivation) has no concept for a likelihood heatmap
 * blended over its source, so the Derivation Code is Fovea's local one, declared in the Coding Scheme
 * Identification Sequence; the Purpose of Reference is the standard CID 7202 code.
 */
export const scCodes = {
  lesionHeatmap: {
    value: 'LESION_HEATMAP',
    scheme: scFoveaScheme,
    meaning: 'AI lesion likelihood heatmap blended over the source image',
  },
  sourceImageForProcessing: {
    value: '121322',
    scheme: 'DCM',
    meaning: 'Source image for image processing operation',
  },
} as const satisfies Record<string, CodedConcept>;

/** The patient and study of the source photograph (the shape of the SR writers' source study context). */
export type ScSourceStudy = SourcePatientStudy;

/** The photograph the heatmap was derived from. */
export interface ScSourceImage {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** The photograph's eye: the derived series' Laterality. */
  readonly eye: 'R' | 'L';
  readonly rows: number;
  readonly columns: number;
  /** Pixel Spacing (row, column) in mm, copied so measurements on the heatmap match the photograph. */
  readonly pixelSpacingMm?: readonly [number, number];
  /** Patient Orientation of the photograph (two values), copied; empty when it has none. */
  readonly patientOrientation?: readonly [string, string];
  /** The photograph's ICC profile, copied (its pixels are the photograph's colour space). */
  readonly iccProfile?: Uint8Array;
  /** Whether the photograph's pixels were ever lossy compressed (the derived pixels then were too). */
  readonly lossyCompressed: boolean;
}

/** The Fovea installation (the same shape as the other writers' device). */
export interface ScDevice {
  readonly uid: string;
  readonly name: string;
  readonly softwareVersion: string;
  readonly serialNumber?: string;
  readonly institutionName?: string;
}

/** The algorithm whose findings the heatmap shows. */
export interface ScAlgorithm {
  readonly analyzerId: string;
  readonly analyzerVersion: string;
  /** SHA-256 of the model as hex, or empty. */
  readonly modelHash: string;
}

/** What a heatmap image is built from. The same input always gives byte-identical output. */
export interface DerivedHeatmapImageInput {
  readonly study: ScSourceStudy;
  readonly source: ScSourceImage;
  readonly device: ScDevice;
  readonly algorithm: ScAlgorithm;
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number;
  /** Content and Instance Creation Date/Time (UTC). */
  readonly contentDateTime: Date;
  /** Interleaved 8-bit RGB, `source.rows` × `source.columns`. */
  readonly rgb: Uint8Array;
  /** How the pixels were made (Derivation Description, at most 1024 characters). */
  readonly derivationDescription: string;
  /** Set when the heatmap shows the findings a clinician kept: the image is then labelled clinician-reviewed. */
  readonly reviewed?: boolean;
  /** Default "AI lesion heatmap (Fovea)". */
  readonly seriesDescription?: string;
}

/** The error every build problem raises. */
function scInvalid(detail: string): FoveaError {
  return new FoveaError('FOVEA_SC_INVALID', { detail: `secondary capture: ${detail}` });
}

function uid(value: string, what: string): string {
  if (!isValidUid(value)) {
    throw scInvalid(`${what} is not a valid UID: ${JSON.stringify(value)}`);
  }
  return value;
}

function text(value: string, maxLength: number, what: string, allowNewline = false): string {
  if (value.length > maxLength) {
    throw scInvalid(`${what} is longer than ${maxLength} characters`);
  }
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (character === '\\' || code === 0x7f || (code < 0x20 && !(allowNewline && code === 0x0a))) {
      throw scInvalid(`${what} contains a backslash or control character`);
    }
  }
  return value;
}

function positive(value: number, what: string, max = 2 ** 31 - 1): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw scInvalid(`${what} must be an integer from 1 to ${max}`);
  }
  return value;
}

/** A Decimal String for a positive number (shortest form that reads back the same, at most 16 characters). */
function ds(value: number): string {
  for (let digits = 1; digits <= 16; digits++) {
    const formatted = String(Number(value.toPrecision(digits)));
    if (formatted.length <= 16 && Number(formatted) === value) {
      return formatted;
    }
  }
  return value.toPrecision(10);
}

function codeItem(concept: CodedConcept): NaturalDataset {
  return {
    CodeValue: concept.value,
    CodingSchemeDesignator: concept.scheme,
    CodeMeaning: concept.meaning,
  };
}

function checkSource(source: ScSourceImage): void {
  uid(source.sopClassUid, 'source SOP Class UID');
  if (sopClassInfo(source.sopClassUid)?.kind !== 'image') {
    throw scInvalid(`source SOP Class ${source.sopClassUid} is not an image storage class`);
  }
  uid(source.sopInstanceUid, 'source SOP Instance UID');
  uid(source.seriesInstanceUid, 'source Series Instance UID');
  const eye: string = source.eye;
  if (eye !== 'R' && eye !== 'L') {
    throw scInvalid('the source image must be of the right or the left eye');
  }
  positive(source.rows, 'source rows', 0xffff);
  positive(source.columns, 'source columns', 0xffff);
  if (source.pixelSpacingMm !== undefined && source.pixelSpacingMm.some((spacing) => !(spacing > 0))) {
    throw scInvalid('source pixel spacing must be positive');
  }
  if (
    source.patientOrientation !== undefined &&
    source.patientOrientation.some((value) => !/^[APRLHFXY]{0,3}$/u.test(value))
  ) {
    throw scInvalid('source Patient Orientation must be two values of A, P, R, L, H, F');
  }
}

/** The Image Comments: the AI statement, the analyzer and how to read the colours. */
function imageComments(input: DerivedHeatmapImageInput): string {
  const statement = input.reviewed === true ? heatmapReviewedStatement : heatmapNotReviewedStatement;
  return (
    `${statement} (${input.algorithm.analyzerId}@${input.algorithm.analyzerVersion}). Lesion likelihood ` +
    'heatmap over the source photograph: blue low, cyan, yellow, white high; uncoloured where no lesion was ' +
    'found. Verify against the photograph.'
  );
}

/**
 * Builds the heatmap Secondary Capture data set (Pixel Data included).
 * @throws FoveaError `FOVEA_SC_INVALID` when the input cannot make a conformant image.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.8.html
 */
export function buildDerivedHeatmapImageDataset(input: DerivedHeatmapImageInput): NaturalDataset {
  const { source, algorithm, device } = input;
  checkSource(source);
  if (algorithm.analyzerId === '' || algorithm.analyzerVersion === '') {
    throw scInvalid('the algorithm needs its analyzer id and version');
  }
  const when = input.contentDateTime;
  if (Number.isNaN(when.getTime())) {
    throw scInvalid('invalid content date/time');
  }
  if (input.rgb.length !== source.rows * source.columns * 3) {
    throw scInvalid(`expected ${source.rows * source.columns * 3} RGB bytes, got ${input.rgb.length}`);
  }
  if (input.derivationDescription.trim() === '') {
    throw scInvalid('the derivation description is empty');
  }
  const softwareVersions = [
    text(device.softwareVersion, 64, 'device software version'),
    text(`${algorithm.analyzerId}@${algorithm.analyzerVersion}`, 64, 'analyzer id@version'),
    ...(algorithm.modelHash === '' ? [] : [text(algorithm.modelHash, 64, 'model hash')]),
  ];
  // The pixel data must have even length (PS3.5 §7.1.1); an odd RGB frame gets one padding byte.
  const pixelBytes = new Uint8Array(input.rgb.length + (input.rgb.length % 2));
  pixelBytes.set(input.rgb);
  const dataset: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: secondaryCaptureImageSopClassUid,
    SOPInstanceUID: uid(input.sopInstanceUid, 'SOP Instance UID'),
    InstanceCreationDate: formatDa(when),
    InstanceCreationTime: formatTm(when),
    TimezoneOffsetFromUTC: '+0000',
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: scFoveaScheme,
        CodingSchemeName: 'Fovea local codes',
        CodingSchemeResponsibleOrganization: 'Fovea',
      },
    ],
    ...patientStudyModule(input.study, { text, uid }),
    Modality: 'OP',
    Laterality: source.eye,
    BodyPartExamined: 'EYE',
    SeriesInstanceUID: uid(input.seriesInstanceUid, 'Series Instance UID'),
    SeriesNumber: positive(input.seriesNumber, 'Series Number'),
    SeriesDescription: text(input.seriesDescription ?? 'AI lesion heatmap (Fovea)', 64, 'SeriesDescription'),
    Manufacturer: 'Fovea',
    ManufacturerModelName: 'Fovea',
    DeviceSerialNumber: text(device.serialNumber ?? device.uid, 64, 'DeviceSerialNumber'),
    SoftwareVersions: softwareVersions,
    ConversionType: 'WSD',
    InstanceNumber: positive(input.instanceNumber, 'Instance Number'),
    PatientOrientation: source.patientOrientation === undefined ? '' : [...source.patientOrientation],
    ContentDate: formatDa(when),
    ContentTime: formatTm(when),
    ImageType: ['DERIVED', 'SECONDARY'],
    DerivationDescription: text(input.derivationDescription, 1024, 'DerivationDescription'),
    DerivationCodeSequence: [codeItem(scCodes.lesionHeatmap)],
    SourceImageSequence: [
      {
        ReferencedSOPClassUID: source.sopClassUid,
        ReferencedSOPInstanceUID: source.sopInstanceUid,
        PurposeOfReferenceCodeSequence: [codeItem(scCodes.sourceImageForProcessing)],
      },
    ],
    ImageComments: text(imageComments(input), 10240, 'ImageComments'),
    BurnedInAnnotation: 'NO',
    LossyImageCompression: source.lossyCompressed ? '01' : '00',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: source.rows,
    Columns: source.columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [pixelBytes.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  if (source.pixelSpacingMm !== undefined) {
    dataset.PixelSpacing = source.pixelSpacingMm.map(ds);
  }
  if (source.iccProfile !== undefined) {
    dataset.ICCProfile = [source.iccProfile.slice().buffer];
    (dataset._vrMap as Record<string, string>).ICCProfile = 'OB';
  }
  if (device.institutionName !== undefined && device.institutionName !== '') {
    dataset.InstitutionName = text(device.institutionName, 64, 'InstitutionName');
  }
  return dataset;
}

/**
 * Builds the heatmap as a Secondary Capture Part 10 file (Explicit VR Little Endian) in the source study, new
 * series. Deterministic: the same input gives the same bytes, so a retried delivery resends the same instance.
 * @throws FoveaError `FOVEA_SC_INVALID` when the input cannot make a conformant image.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.8.html
 */
export function buildDerivedHeatmapImage(input: DerivedHeatmapImageInput): Uint8Array {
  return writeNaturalPart10(
    buildDerivedHeatmapImageDataset(input),
    'FOVEA_SC_INVALID',
    'secondary capture: ',
  );
}
