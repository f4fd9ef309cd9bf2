/**
 * The fluid segmentation of the OCT macula analyzer: a binary DICOM Segmentation over a multi-frame
 * Ophthalmic Tomography volume, one segment per fluid compartment found (intraretinal fluid, subretinal
 * fluid, pigment epithelial detachment), one frame per B-scan in which a segment is present, each frame
 * derived pixel for pixel from its source B-scan.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.51.html (Segmentation IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.51.5.html (functional groups)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.8.20.html (Segmentation modules)
 */
import type { NaturalDataset } from 'dcmjs';
import type { CodedConcept } from '../../core/finding.ts';
import { patientStudyModule, type SourcePatientStudy } from '../codec/index.ts';
import {
  checkSegText,
  deriveSegUid,
  formatDa,
  formatDs,
  formatTm,
  requireSegUid,
  segInvalid,
  writeSegPart10,
} from './part10.ts';

/** Segmentation Storage. */
export const segmentationSopClassUid = '1.2.840.10008.5.1.4.1.1.66.4';

/** Ophthalmic Tomography Image Storage, the default source SOP class. */
export const ophthalmicTomographySopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.4';

/** Fovea's local coding scheme (the SR writers declare the same one). */
export const segFoveaScheme = '99FOVEA';

function concept(value: string, scheme: string, meaning: string): CodedConcept {
  return { value, scheme, meaning };
}

/**
 * The codes the SEG writer uses. Category, derivation, purpose of reference, anatomy and laterality are
 * standard codes; PS3.16 CID 7151 has no concept for the three OCT fluid compartments, so their Segmented
 * Property Type uses Fovea's local scheme `99FOVEA` (declared in the Coding Scheme Identification Sequence).
 */
export const segCodes = {
  /** CID 7150 Segmentation Property Categories. */
  morphologicallyAbnormalStructure: concept('49755003', 'SCT', 'Morphologically Abnormal Structure'),
  intraretinalFluid: concept('IRF', segFoveaScheme, 'Intraretinal fluid'),
  subretinalFluid: concept('SRF', segFoveaScheme, 'Subretinal fluid'),
  pigmentEpithelialDetachment: concept('PED', segFoveaScheme, 'Pigment epithelial detachment'),
  retina: concept('5665001', 'SCT', 'Retina'),
  right: concept('24028007', 'SCT', 'Right'),
  left: concept('7771000', 'SCT', 'Left'),
  /** A.51.5.1: the Derivation Code of every SEG frame. */
  segmentation: concept('113076', 'DCM', 'Segmentation'),
  /** A.51.5.1: the Purpose of Reference of every source frame. */
  sourceImageForProcessing: concept('121322', 'DCM', 'Source image for image processing operation'),
} as const satisfies Record<string, CodedConcept>;

/** The label values of the input volume (as RETOUCH: 1 IRF, 2 SRF, 3 PED; 0 background). */
export const fluidLabelValues = { IRF: 1, SRF: 2, PED: 3 } as const;

/** A fluid compartment. */
export type FluidCompartment = keyof typeof fluidLabelValues;

const compartments: readonly FluidCompartment[] = ['IRF', 'SRF', 'PED'];

const compartmentCodes: Readonly<Record<FluidCompartment, CodedConcept>> = {
  IRF: segCodes.intraretinalFluid,
  SRF: segCodes.subretinalFluid,
  PED: segCodes.pigmentEpithelialDetachment,
};

/** The patient and study of the source volume (the same shape as the SR writers' SourceStudyContext). */
export type SegSourceStudy = SourcePatientStudy;

/**
 * The source OPT volume. The spatial attributes are optional: an OPT whose B-scans are located on an
 * ophthalmic photography reference image has no patient-space Frame of Reference, and the SEG then relies
 * on the Derivation Image functional group alone (PS3.3 A.51.5).
 */
export interface OctSourceVolume {
  readonly study: SegSourceStudy;
  readonly seriesInstanceUid: string;
  readonly sopInstanceUid: string;
  /** Default Ophthalmic Tomography Image Storage. */
  readonly sopClassUid?: string;
  readonly eye: 'R' | 'L';
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  /** Pixel Spacing of the source (row spacing = axial, column spacing = lateral), mm. */
  readonly pixelSpacingMm: readonly [number, number];
  /** Present when the source has a patient-relative Frame of Reference. */
  readonly frameOfReferenceUid?: string;
  /** Image Orientation (Patient) of the B-scans; needed with a Frame of Reference. */
  readonly imageOrientationPatient?: readonly number[];
  /** Image Position (Patient) of each B-scan; needed with a Frame of Reference. */
  readonly imagePositionsPatient?: readonly (readonly number[])[];
  /** Slice Thickness of the source's Pixel Measures, mm; needed with a Frame of Reference. */
  readonly sliceThicknessMm?: number;
}

/** The Fovea installation that writes the SEG (the same shape as the SR writers' DeviceIdentity). */
export interface SegDevice {
  readonly uid: string;
  readonly name: string;
  readonly softwareVersion: string;
  readonly serialNumber?: string;
  readonly institutionName?: string;
}

/** The algorithm that made the labels (its analyzer id, version and model hash). */
export interface SegAlgorithm {
  readonly analyzerId: string;
  readonly analyzerVersion: string;
  readonly modelHash: string;
}

/** What a fluid segmentation is built from. The same input always gives byte-identical output. */
export interface OctFluidSegmentationInput {
  readonly source: OctSourceVolume;
  /** frames × rows × columns labels, B-scan major then row major: 0 background, 1 IRF, 2 SRF, 3 PED. */
  readonly labels: Uint8Array;
  readonly device: SegDevice;
  readonly algorithm: SegAlgorithm;
  readonly seriesInstanceUid: string;
  readonly seriesNumber: number;
  readonly sopInstanceUid: string;
  readonly instanceNumber: number;
  readonly contentDateTime: Date;
  /** Default "Fluid segmentation (Fovea)". */
  readonly seriesDescription?: string;
}

/** One SEG frame: which segment and which source B-scan (1-based). */
export interface SegFrame {
  readonly segmentNumber: number;
  readonly compartment: FluidCompartment;
  readonly sourceFrame: number;
}

function codeItem(code: CodedConcept): NaturalDataset {
  return {
    CodeValue: checkSegText(code.value, 16, 'code value'),
    CodingSchemeDesignator: code.scheme,
    CodeMeaning: checkSegText(code.meaning, 64, 'code meaning'),
  };
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw segInvalid(`${what} must be a positive integer`);
  }
  return value;
}

/** Which compartments occur in which B-scans: the SEG frames in order (segment, then B-scan). */
export function fluidSegmentFrames(
  labels: Uint8Array,
  frames: number,
  rows: number,
  columns: number,
): SegFrame[] {
  const pixels = rows * columns;
  if (labels.length !== frames * pixels) {
    throw segInvalid(`the label volume has ${labels.length} voxels, expected ${frames}×${rows}×${columns}`);
  }
  const present = new Map<FluidCompartment, number[]>();
  for (let frame = 0; frame < frames; frame++) {
    const seen = new Set<number>();
    const slice = labels.subarray(frame * pixels, (frame + 1) * pixels);
    for (const value of slice) {
      if (value > 3) {
        throw segInvalid(`label value ${value} is not 0, 1 (IRF), 2 (SRF) or 3 (PED)`);
      }
      seen.add(value);
    }
    for (const compartment of compartments) {
      if (seen.has(fluidLabelValues[compartment])) {
        present.set(compartment, [...(present.get(compartment) ?? []), frame + 1]);
      }
    }
  }
  const result: SegFrame[] = [];
  let segmentNumber = 0;
  for (const compartment of compartments) {
    const sourceFrames = present.get(compartment);
    if (sourceFrames === undefined) {
      continue;
    }
    segmentNumber += 1;
    for (const sourceFrame of sourceFrames) {
      result.push({ segmentNumber, compartment, sourceFrame });
    }
  }
  return result;
}

/**
 * Packs binary frames: one bit per pixel, the first pixel in the least significant bit, frames following one
 * another without padding, the whole padded to an even length.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part05/chapter_D.html (bit packing)
 */
export function packBinaryFrames(
  labels: Uint8Array,
  frames: readonly SegFrame[],
  rows: number,
  columns: number,
): Uint8Array {
  const pixels = rows * columns;
  const bits = frames.length * pixels;
  const bytes = Math.ceil(bits / 8);
  const packed = new Uint8Array(bytes + (bytes % 2));
  let bit = 0;
  for (const frame of frames) {
    const value = fluidLabelValues[frame.compartment];
    const offset = (frame.sourceFrame - 1) * pixels;
    for (let i = 0; i < pixels; i++, bit++) {
      if (labels[offset + i] === value) {
        packed[bit >> 3] = (packed[bit >> 3] ?? 0) | (1 << (bit & 7));
      }
    }
  }
  return packed;
}

/** Unpacks one frame of bit-packed binary pixel data (the inverse of {@link packBinaryFrames}). */
export function unpackBinaryFrame(packed: Uint8Array, frameIndex: number, pixels: number): Uint8Array {
  const frame = new Uint8Array(pixels);
  const start = frameIndex * pixels;
  for (let i = 0; i < pixels; i++) {
    const bit = start + i;
    frame[i] = ((packed[bit >> 3] ?? 0) >> (bit & 7)) & 1;
  }
  return frame;
}

interface Spatial {
  readonly frameOfReferenceUid: string;
  readonly orientation: readonly number[];
  readonly positions: readonly (readonly number[])[];
  readonly sliceThicknessMm: number;
}

function spatialOf(source: OctSourceVolume): Spatial | undefined {
  if (source.frameOfReferenceUid === undefined) {
    return undefined;
  }
  const orientation = source.imageOrientationPatient;
  const positions = source.imagePositionsPatient;
  const thickness = source.sliceThicknessMm;
  if (
    orientation?.length !== 6 ||
    positions?.length !== source.frames ||
    positions.some((position) => position.length !== 3) ||
    thickness === undefined
  ) {
    throw segInvalid(
      'a source with a Frame of Reference needs its orientation, a position per B-scan and the slice thickness',
    );
  }
  return {
    frameOfReferenceUid: requireSegUid(source.frameOfReferenceUid, 'Frame of Reference UID'),
    orientation,
    positions,
    sliceThicknessMm: thickness,
  };
}

/**
 * Builds the Segmentation data set (Pixel Data included), or `undefined` when the volume has no fluid at
 * all (a SEG needs at least one frame).
 * @throws FoveaError `FOVEA_SEG_INVALID` when the input cannot make a conformant Segmentation.
 */
export function buildOctFluidSegmentationDataset(
  input: OctFluidSegmentationInput,
): NaturalDataset | undefined {
  const { source } = input;
  const frames = positiveInteger(source.frames, 'source frame count');
  const rows = positiveInteger(source.rows, 'source rows');
  const columns = positiveInteger(source.columns, 'source columns');
  const sourceSopClassUid = requireSegUid(
    source.sopClassUid ?? ophthalmicTomographySopClassUid,
    'source SOP Class UID',
  );
  const sourceSopInstanceUid = requireSegUid(source.sopInstanceUid, 'source SOP Instance UID');
  const sourceSeriesUid = requireSegUid(source.seriesInstanceUid, 'source Series Instance UID');
  const eye: string = source.eye;
  if (eye !== 'R' && eye !== 'L') {
    throw segInvalid('the source volume must be of the right or the left eye');
  }
  if (input.algorithm.analyzerId === '' || input.algorithm.analyzerVersion === '') {
    throw segInvalid('the algorithm needs its analyzer id and version');
  }
  const when = input.contentDateTime;
  if (Number.isNaN(when.getTime())) {
    throw segInvalid('invalid content date/time');
  }
  const segFrames = fluidSegmentFrames(input.labels, frames, rows, columns);
  if (segFrames.length === 0) {
    return undefined;
  }
  const spatial = spatialOf(source);
  const algorithmName = checkSegText(
    `${input.algorithm.analyzerId}@${input.algorithm.analyzerVersion}`,
    64,
    'Segment Algorithm Name',
  );
  const laterality = source.eye === 'R' ? segCodes.right : segCodes.left;
  const segments = [...new Map(segFrames.map((frame) => [frame.segmentNumber, frame.compartment]))].map(
    ([segmentNumber, compartment]) => {
      const type = compartmentCodes[compartment];
      return {
        SegmentNumber: segmentNumber,
        SegmentLabel: type.meaning,
        SegmentDescription: checkSegText(
          `${type.meaning} (${compartment}); model-sha256=${input.algorithm.modelHash || 'none'}`,
          1024,
          'Segment Description',
        ),
        SegmentAlgorithmType: 'AUTOMATIC',
        SegmentAlgorithmName: algorithmName,
        SegmentedPropertyCategoryCodeSequence: [codeItem(segCodes.morphologicallyAbnormalStructure)],
        SegmentedPropertyTypeCodeSequence: [codeItem(type)],
        AnatomicRegionSequence: [
          { ...codeItem(segCodes.retina), AnatomicRegionModifierSequence: [codeItem(laterality)] },
        ],
      };
    },
  );
  const dimensionOrganizationUid = deriveSegUid(input.sopInstanceUid, 'dimension-organization');
  const perFrame = segFrames.map((frame) => {
    const groups: NaturalDataset = {
      DerivationImageSequence: [
        {
          DerivationCodeSequence: [codeItem(segCodes.segmentation)],
          SourceImageSequence: [
            {
              ReferencedSOPClassUID: sourceSopClassUid,
              ReferencedSOPInstanceUID: sourceSopInstanceUid,
              ReferencedFrameNumber: [frame.sourceFrame],
              PurposeOfReferenceCodeSequence: [codeItem(segCodes.sourceImageForProcessing)],
            },
          ],
        },
      ],
      FrameContentSequence: [
        {
          StackID: '1',
          InStackPositionNumber: frame.sourceFrame,
          DimensionIndexValues: [frame.segmentNumber, frame.sourceFrame],
        },
      ],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: frame.segmentNumber }],
    };
    if (spatial !== undefined) {
      const position = spatial.positions[frame.sourceFrame - 1] ?? [];
      groups.PlanePositionSequence = [{ ImagePositionPatient: position.map(formatDs) }];
    }
    return groups;
  });
  const shared: NaturalDataset = {};
  if (spatial !== undefined) {
    shared.PixelMeasuresSequence = [
      {
        PixelSpacing: source.pixelSpacingMm.map(formatDs),
        SliceThickness: formatDs(spatial.sliceThicknessMm),
      },
    ];
    shared.PlaneOrientationSequence = [{ ImageOrientationPatient: spatial.orientation.map(formatDs) }];
  }
  const softwareVersion = checkSegText(input.device.softwareVersion, 64, 'SoftwareVersions');
  const dataset: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: segmentationSopClassUid,
    SOPInstanceUID: requireSegUid(input.sopInstanceUid, 'SOP Instance UID'),
    InstanceCreationDate: formatDa(when),
    InstanceCreationTime: formatTm(when),
    TimezoneOffsetFromUTC: '+0000',
    CodingSchemeIdentificationSequence: [
      {
        CodingSchemeDesignator: segFoveaScheme,
        CodingSchemeName: 'Fovea local codes',
        CodingSchemeResponsibleOrganization: 'Fovea project',
      },
    ],
    ...patientStudyModule(source.study, { text: checkSegText, uid: requireSegUid }),
    Modality: 'SEG',
    SeriesInstanceUID: requireSegUid(input.seriesInstanceUid, 'Series Instance UID'),
    SeriesNumber: positiveInteger(input.seriesNumber, 'Series Number'),
    SeriesDescription: checkSegText(
      input.seriesDescription ?? 'Fluid segmentation (Fovea)',
      64,
      'SeriesDescription',
    ),
    Manufacturer: 'Fovea',
    ManufacturerModelName: 'Fovea',
    DeviceSerialNumber: checkSegText(input.device.serialNumber ?? input.device.uid, 64, 'DeviceSerialNumber'),
    SoftwareVersions: softwareVersion,
    InstanceNumber: positiveInteger(input.instanceNumber, 'Instance Number'),
    ContentDate: formatDa(when),
    ContentTime: formatTm(when),
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'FLUID',
    ContentDescription: 'IRF, SRF and PED (AI-generated, not verified)',
    ContentCreatorName: [],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    SegmentationType: 'BINARY',
    SegmentSequence: segments,
    NumberOfFrames: segFrames.length,
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: 0x0062000b,
        FunctionalGroupPointer: 0x0062000a,
        DimensionDescriptionLabel: 'Segment Number',
      },
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: 0x00209057,
        FunctionalGroupPointer: 0x00209111,
        DimensionDescriptionLabel: 'B-scan',
      },
    ],
    SharedFunctionalGroupsSequence: [shared],
    PerFrameFunctionalGroupsSequence: perFrame,
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: sourceSeriesUid,
        ReferencedInstanceSequence: [
          { ReferencedSOPClassUID: sourceSopClassUid, ReferencedSOPInstanceUID: sourceSopInstanceUid },
        ],
      },
    ],
    PixelData: [packBinaryFrames(input.labels, segFrames, rows, columns).buffer],
    _vrMap: { PixelData: 'OB' },
  };
  if (input.device.institutionName !== undefined && input.device.institutionName !== '') {
    dataset.InstitutionName = checkSegText(input.device.institutionName, 64, 'InstitutionName');
  }
  if (spatial === undefined) {
    // General Image: Patient Orientation is Type 2C when the frames carry no patient-space plane.
    dataset.PatientOrientation = [];
  } else {
    dataset.FrameOfReferenceUID = spatial.frameOfReferenceUid;
    dataset.PositionReferenceIndicator = '';
  }
  return dataset;
}

/**
 * Builds the fluid Segmentation of an OCT volume: a Part 10 binary SEG (Explicit VR Little Endian) in the
 * source study, or `undefined` when the volume has no fluid. Deterministic: the same input gives the same
 * bytes, so a retried delivery resends the identical instance.
 * @throws FoveaError `FOVEA_SEG_INVALID` when the input cannot make a conformant Segmentation.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.51.html
 */
export function buildOctFluidSegmentation(input: OctFluidSegmentationInput): Uint8Array | undefined {
  const dataset = buildOctFluidSegmentationDataset(input);
  return dataset === undefined ? undefined : writeSegPart10(dataset);
}
