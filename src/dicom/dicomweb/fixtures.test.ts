/**
 * Test support (no tests of its own): small Ophthalmic Photography 8 Bit Image Part 10 files made with dcmjs,
 * and a reader that returns a file's data set for comparisons. Named `*.test.ts` so that the ring's import rule
 * (no dcmjs in src/dicom/dicomweb) keeps applying to production code only.
 */
import dcmjs from 'dcmjs';
import { newUid } from '../../core/uid.ts';

dcmjs.log.setLevel('error');

const { DicomDict, DicomMessage, DicomMetaDictionary } = dcmjs.data;

/** Ophthalmic Photography 8 Bit Image Storage. */
export const opSopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.1';
const explicitVrLittleEndian = '1.2.840.10008.1.2.1';

/** A made instance and its identifiers. */
export interface OpInstance {
  readonly part10: Buffer;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
}

/** Options of {@link makeOpInstance}. */
export interface OpInstanceOptions {
  readonly patientId?: string;
  readonly patientName?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly laterality?: 'R' | 'L';
  readonly rows?: number;
  readonly columns?: number;
  readonly instanceNumber?: number;
}

/** Makes a small RGB, explicit VR little endian OP image (a gradient, so each instance differs in its pixels). */
export function makeOpInstance(options: OpInstanceOptions = {}): OpInstance {
  const rows = options.rows ?? 32;
  const columns = options.columns ?? 48;
  const sopInstanceUid = newUid();
  const studyInstanceUid = options.studyInstanceUid ?? newUid();
  const seriesInstanceUid = options.seriesInstanceUid ?? newUid();
  const pixels = new Uint8Array(rows * columns * 3);
  const seed = Number(BigInt(sopInstanceUid.slice(5)) % 251n);
  for (let index = 0; index < pixels.length; index += 1) {
    pixels[index] = (index * 7 + seed) % 256;
  }
  const dataset = {
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: ['ORIGINAL', 'PRIMARY'],
    SOPClassUID: opSopClassUid,
    SOPInstanceUID: sopInstanceUid,
    StudyDate: '20260101',
    ContentDate: '20260101',
    StudyTime: '090000',
    ContentTime: '090000',
    AcquisitionDateTime: '20260101090000',
    AccessionNumber: 'ACC0001',
    Modality: 'OP',
    Manufacturer: 'Fovea Tests',
    ReferringPhysicianName: '',
    PatientName: options.patientName ?? 'TEST^OPHTHALMIC',
    PatientID: options.patientId ?? 'PID0001',
    PatientBirthDate: '19600101',
    PatientSex: 'F',
    StudyInstanceUID: studyInstanceUid,
    SeriesInstanceUID: seriesInstanceUid,
    StudyID: '1',
    SeriesNumber: '1',
    InstanceNumber: String(options.instanceNumber ?? 1),
    PatientOrientation: '',
    ImageLaterality: options.laterality ?? 'R',
    BurnedInAnnotation: 'NO',
    SamplesPerPixel: 3,
    PhotometricInterpretation: 'RGB',
    PlanarConfiguration: 0,
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: opSopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: explicitVrLittleEndian,
    ImplementationClassUID: '2.25.1',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return {
    part10: Buffer.from(dict.write()),
    sopClassUid: opSopClassUid,
    sopInstanceUid,
    studyInstanceUid,
    seriesInstanceUid,
  };
}

/** The data set of a Part 10 file (file meta information left out), as dcmjs's tag-keyed dictionary. */
export function readDataset(part10: Buffer): Record<string, unknown> {
  const copy = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength);
  return DicomMessage.readFile(copy as ArrayBuffer).dict;
}

/** The identifiers of a Part 10 file. */
export function identifiersOf(part10: Buffer): {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
} {
  const copy = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength);
  const natural = DicomMetaDictionary.naturalizeDataset(DicomMessage.readFile(copy as ArrayBuffer).dict);
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  return {
    sopClassUid: text(natural.SOPClassUID),
    sopInstanceUid: text(natural.SOPInstanceUID),
    studyInstanceUid: text(natural.StudyInstanceUID),
    seriesInstanceUid: text(natural.SeriesInstanceUID),
  };
}
