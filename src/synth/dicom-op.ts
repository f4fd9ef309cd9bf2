/**
 * Ophthalmic Photography 8 Bit Image writer for synthetic colour fundus photographs and SLO images.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.41 (OP 8 Bit Image IOD)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.2 (OP Image)
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.5 (Ocular Region Imaged)
 */
import type { NaturalDataset } from 'dcmjs';
import { commonModules, dateTime, ocularRegionImaged } from './dicom-modules.ts';
import type { CodedEntry, ObjectIdentity, SynthDevice } from './dicom-modules.ts';
import { ds, encodeJpegBaseline, transferSyntaxUids, writePart10 } from './dicom-part10.ts';
import type { RasterFrame, SynthTransferSyntax } from './dicom-part10.ts';

/** SOP Class UID of Ophthalmic Photography 8 Bit Image Storage. */
export const ophthalmicPhotography8BitSopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

/** What {@link writeOphthalmicPhotograph} needs. */
export interface OphthalmicPhotographOptions {
  readonly identity: ObjectIdentity;
  readonly image: RasterFrame;
  readonly device: SynthDevice;
  /** Acquisition Device Type (CID 4202): fundus camera or SLO. */
  readonly deviceType: CodedEntry;
  /** Horizontal Field of View (0022,000C) in degrees. */
  readonly horizontalFieldOfViewDeg: number;
  /** Physical size of a pixel on the retina in mm (isotropic). */
  readonly pixelSpacingMm: number;
  readonly transferSyntax: SynthTransferSyntax;
  /** Whether the pupil was dilated (Pupil Dilated, 0022,000D). */
  readonly pupilDilated?: boolean;
  /** Synchronization Frame of Reference UID (0020,0200): one per visit and device. */
  readonly synchronizationFrameOfReferenceUid: string;
  /** Image Comments (0020,4000). */
  readonly imageComments?: string;
}

/**
 * Builds the dataset (without Pixel Data) of an OP 8-bit image.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.41
 */
export function buildOphthalmicPhotographDataset(
  options: OphthalmicPhotographOptions,
  compressed?: { readonly ratio: number },
): NaturalDataset {
  const { identity, image } = options;
  const colour = image.samplesPerPixel === 3;
  const contentTime = identity.contentTime ?? identity.study.studyTime;
  const dataset: NaturalDataset = {
    ...commonModules(identity, 'OP', options.device),
    ImageType: ['ORIGINAL', 'PRIMARY'],
    AcquisitionDateTime: dateTime(identity.study.studyDate, contentTime),
    PatientOrientation: '',
    ...ocularRegionImaged(identity.eye),
    SamplesPerPixel: image.samplesPerPixel,
    PhotometricInterpretation: colour ? (compressed ? 'YBR_FULL_422' : 'RGB') : 'MONOCHROME2',
    Rows: image.height,
    Columns: image.width,
    PixelSpacing: [ds(options.pixelSpacingMm), ds(options.pixelSpacingMm)],
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    BurnedInAnnotation: 'NO',
    NumberOfFrames: 1,
    FrameIncrementPointer: 0x00181063,
    FrameTime: 0,
    SynchronizationFrameOfReferenceUID: options.synchronizationFrameOfReferenceUid,
    SynchronizationTrigger: 'NO TRIGGER',
    AcquisitionTimeSynchronized: 'N',
    LossyImageCompression: compressed ? '01' : '00',
    AcquisitionContextSequence: [],
    AcquisitionDeviceTypeCodeSequence: [{ ...options.deviceType }],
    IlluminationTypeCodeSequence: [],
    LightPathFilterTypeStackCodeSequence: [],
    ImagePathFilterTypeStackCodeSequence: [],
    LensesCodeSequence: [],
    DetectorType: 'CCD',
    PatientEyeMovementCommanded: 'NO',
    HorizontalFieldOfView: options.horizontalFieldOfViewDeg,
    EmmetropicMagnification: [],
    IntraOcularPressure: [],
    RefractiveStateSequence: [],
    PupilDilated: options.pupilDilated === true ? 'YES' : 'NO',
  };
  if (colour) {
    dataset.PlanarConfiguration = 0;
  } else {
    dataset.PresentationLUTShape = 'IDENTITY';
  }
  if (options.pupilDilated === true) {
    dataset.MydriaticAgentSequence = [];
    dataset.DegreeOfDilation = '';
  }
  if (compressed) {
    dataset.LossyImageCompressionRatio = ds(compressed.ratio);
    dataset.LossyImageCompressionMethod = 'ISO_10918_1';
  }
  if (options.imageComments !== undefined) {
    dataset.ImageComments = options.imageComments;
  }
  return dataset;
}

/**
 * Writes an OP 8-bit image as a Part 10 file in the requested transfer syntax.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.41
 */
export async function writeOphthalmicPhotograph(options: OphthalmicPhotographOptions): Promise<Buffer> {
  const { image } = options;
  if (options.transferSyntax === 'jpeg-baseline') {
    const [frame] = await encodeJpegBaseline([image]);
    const ratio = image.pixels.length / frame!.length;
    return writePart10(
      buildOphthalmicPhotographDataset(options, { ratio }),
      transferSyntaxUids['jpeg-baseline'],
      {
        kind: 'encapsulated',
        frames: [frame!],
      },
    );
  }
  return writePart10(buildOphthalmicPhotographDataset(options), transferSyntaxUids['explicit-le'], {
    kind: 'native',
    bytes: image.pixels,
  });
}
