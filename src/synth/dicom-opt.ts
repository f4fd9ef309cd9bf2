/**
 * Ophthalmic Tomography Image writer for synthetic OCT cubes and circle scans: a multi-frame image with
 * per-frame Plane Position, shared Pixel Measures and Plane Orientation, Frame Content with a stack
 * dimension, and an Ophthalmic Frame Location per B-scan registering it to the accompanying SLO image.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.52 (OPT Image IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.7 (OPT Image)
 */
import type { NaturalDataset } from 'dcmjs';
import { codes, commonModules, dateTime, ocularRegionImaged } from './dicom-modules.ts';
import type { CodedEntry, ObjectIdentity, SynthDevice } from './dicom-modules.ts';
import { ds, encodeJpegBaseline, transferSyntaxUids, writePart10 } from './dicom-part10.ts';
import type { SynthTransferSyntax } from './dicom-part10.ts';
import { ophthalmicPhotography8BitSopClassUid } from './dicom-op.ts';
import { deriveUid } from './uids.ts';

/** SOP Class UID of Ophthalmic Tomography Image Storage. */
export const ophthalmicTomographySopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.4';

/** Where one frame lies on the referenced SLO image: (row, column) pairs along the B-scan path. */
export interface FrameLocation {
  /** row, column, row, column, … in pixels of the reference image. */
  readonly coordinates: readonly number[];
}

/** What {@link writeOphthalmicTomography} needs. */
export interface OphthalmicTomographyOptions {
  readonly identity: ObjectIdentity;
  readonly device: SynthDevice;
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  /** 8-bit voxels, frame × rows × columns. */
  readonly voxels: Uint8Array;
  /** Axial (between rows) and lateral (between columns) spacing (mm). */
  readonly axialSpacingMm: number;
  readonly lateralSpacingMm: number;
  /** Distance between B-scans (mm); 0 for a single frame. */
  readonly frameSpacingMm: number;
  /** Image Position (Patient) of each frame (mm). */
  readonly framePositions: readonly (readonly [number, number, number])[];
  /** Image Orientation (Patient): row direction, column direction. */
  readonly orientation: readonly [number, number, number, number, number, number];
  readonly frameOfReferenceUid: string;
  /** The SLO image the B-scans are registered to. */
  readonly reference: {
    readonly sopInstanceUid: string;
    readonly locations: readonly FrameLocation[];
    /** LINEAR for straight B-scans, NONLINEAR for circles. */
    readonly orientation: 'LINEAR' | 'NONLINEAR';
  };
  readonly transferSyntax: SynthTransferSyntax;
  /** Scan pattern description, e.g. "Macular cube 49 × 512". */
  readonly protocolName: string;
  readonly anatomicStructure: CodedEntry;
}

/** Duration of one B-scan acquisition (ms), for the per-frame timing. */
const frameDurationMs = 25;

function frameGroups(
  options: OphthalmicTomographyOptions,
  frame: number,
  acquisitionStart: Date,
): NaturalDataset {
  const position = options.framePositions[frame]!;
  const location = options.reference.locations[frame]!;
  const frameTime = formatDateTime(new Date(acquisitionStart.getTime() + frame * frameDurationMs));
  return {
    FrameContentSequence: [
      {
        FrameReferenceDateTime: frameTime,
        FrameAcquisitionDateTime: frameTime,
        FrameAcquisitionDuration: frameDurationMs,
        StackID: '1',
        InStackPositionNumber: frame + 1,
        DimensionIndexValues: [1, frame + 1],
      },
    ],
    PlanePositionSequence: [{ ImagePositionPatient: position.map((v) => ds(v)) }],
    OphthalmicFrameLocationSequence: [
      {
        ReferencedSOPClassUID: ophthalmicPhotography8BitSopClassUid,
        ReferencedSOPInstanceUID: options.reference.sopInstanceUid,
        ReferenceCoordinates: [...location.coordinates],
        OphthalmicImageOrientation: options.reference.orientation,
      },
    ],
  };
}

function parseDateTime(date: string, time: string): Date {
  return new Date(
    Date.UTC(
      Number(date.slice(0, 4)),
      Number(date.slice(4, 6)) - 1,
      Number(date.slice(6, 8)),
      Number(time.slice(0, 2)),
      Number(time.slice(2, 4)),
      Number(time.slice(4, 6)),
    ),
  );
}

/** DT value with milliseconds (YYYYMMDDHHMMSS.FFF). */
function formatDateTime(value: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return (
    `${p(value.getUTCFullYear(), 4)}${p(value.getUTCMonth() + 1)}${p(value.getUTCDate())}` +
    `${p(value.getUTCHours())}${p(value.getUTCMinutes())}${p(value.getUTCSeconds())}.${p(value.getUTCMilliseconds(), 3)}`
  );
}

/**
 * Builds the dataset (without Pixel Data) of an OPT image.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.52
 */
export function buildOphthalmicTomographyDataset(
  options: OphthalmicTomographyOptions,
  compressed?: { readonly ratio: number },
): NaturalDataset {
  const { identity } = options;
  const contentTime = identity.contentTime ?? identity.study.studyTime;
  const dimensionOrganizationUid = deriveUid(identity.sopInstanceUid, 'dimension-organization');
  const perFrame: NaturalDataset[] = [];
  const start = parseDateTime(identity.study.studyDate, contentTime);
  for (let f = 0; f < options.frames; f++) {
    perFrame.push(frameGroups(options, f, start));
  }
  const pixelMeasures: NaturalDataset = {
    PixelSpacing: [ds(options.axialSpacingMm), ds(options.lateralSpacingMm)],
    SliceThickness: ds(options.frameSpacingMm > 0 ? options.frameSpacingMm : options.lateralSpacingMm),
  };
  if (options.frames > 1) {
    pixelMeasures.SpacingBetweenSlices = ds(options.frameSpacingMm);
  }
  const dataset: NaturalDataset = {
    ...commonModules(identity, 'OPT', options.device),
    ImageType: ['ORIGINAL', 'PRIMARY'],
    AcquisitionDateTime: dateTime(identity.study.studyDate, contentTime),
    AcquisitionDuration: (options.frames * frameDurationMs) / 1000,
    AcquisitionNumber: 1,
    ProtocolName: options.protocolName,
    FrameOfReferenceUID: options.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    ...ocularRegionImaged(identity.eye),
    PrimaryAnatomicStructureSequence: [{ ...options.anatomicStructure }],
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    NumberOfFrames: options.frames,
    Rows: options.rows,
    Columns: options.columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PresentationLUTShape: 'IDENTITY',
    BurnedInAnnotation: 'NO',
    LossyImageCompression: compressed ? '01' : '00',
    ConcatenationFrameOffsetNumber: 0,
    InConcatenationNumber: 1,
    InConcatenationTotalNumber: 1,
    AcquisitionContextSequence: [],
    DimensionOrganizationType: '3D',
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: 0x00209056,
        FunctionalGroupPointer: 0x00209111,
        DimensionDescriptionLabel: 'Stack ID',
      },
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: 0x00209057,
        FunctionalGroupPointer: 0x00209111,
        DimensionDescriptionLabel: 'B-scan',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [pixelMeasures],
        FrameAnatomySequence: [{ AnatomicRegionSequence: [{ ...codes.eye }], FrameLaterality: identity.eye }],
        PlaneOrientationSequence: [{ ImageOrientationPatient: options.orientation.map((v) => ds(v)) }],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    AcquisitionDeviceTypeCodeSequence: [{ ...codes.octScanner }],
    LightPathFilterTypeStackCodeSequence: [],
    DetectorType: 'CCD',
    IlluminationWaveLength: 870,
    IlluminationPower: 1.2,
    IlluminationBandwidth: 50,
    DepthSpatialResolution: 7,
    MaximumDepthDistortion: 1,
    AlongScanSpatialResolution: 14,
    MaximumAlongScanDistortion: 1,
    AcrossScanSpatialResolution: 14,
    MaximumAcrossScanDistortion: 1,
    AxialLengthOfTheEye: [],
    HorizontalFieldOfView: [],
    RefractiveStateSequence: [],
    EmmetropicMagnification: [],
    IntraOcularPressure: [],
    PupilDilated: 'NO',
  };
  if (compressed) {
    dataset.LossyImageCompressionRatio = ds(compressed.ratio);
    dataset.LossyImageCompressionMethod = 'ISO_10918_1';
  }
  return dataset;
}

/**
 * Writes an OPT image as a Part 10 file in the requested transfer syntax.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.52
 */
export async function writeOphthalmicTomography(options: OphthalmicTomographyOptions): Promise<Buffer> {
  const frameBytes = options.rows * options.columns;
  if (options.voxels.length !== frameBytes * options.frames) {
    throw new RangeError('voxel count does not match frames × rows × columns');
  }
  if (options.transferSyntax === 'jpeg-baseline') {
    const frames = [];
    for (let f = 0; f < options.frames; f++) {
      frames.push({
        width: options.columns,
        height: options.rows,
        samplesPerPixel: 1 as const,
        pixels: options.voxels.subarray(f * frameBytes, (f + 1) * frameBytes),
      });
    }
    const encoded = await encodeJpegBaseline(frames);
    const total = encoded.reduce((sum, frame) => sum + frame.length, 0);
    return writePart10(
      buildOphthalmicTomographyDataset(options, { ratio: options.voxels.length / total }),
      transferSyntaxUids['jpeg-baseline'],
      { kind: 'encapsulated', frames: encoded },
    );
  }
  return writePart10(buildOphthalmicTomographyDataset(options), transferSyntaxUids['explicit-le'], {
    kind: 'native',
    bytes: options.voxels,
  });
}
