/**
 * Part 10 files of the objects Fovea writes (SR, KOS, SEG), through dcmjs' naturalized data sets: one writer
 * with Fovea's implementation identification in Explicit VR Little Endian, one reader, and the DA/TM/DS value
 * formatting the writers share. dcmjs writes elements in tag order, so the same data set always gives the same
 * bytes (a retried delivery resends the identical instance).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_6.2 (value representations)
 */
import { createRequire } from 'node:module';
import type DcmjsDefault from 'dcmjs';
import type { NaturalDataset } from 'dcmjs';
import { FoveaError, type ErrorCode } from '../../core/errors.ts';
import { implementationClassUid, implementationVersionName } from '../../core/implementation.ts';
import { TransferSyntax } from './transfer-syntax.ts';

const require = createRequire(import.meta.url);
// One CJS instance of dcmjs, shared with dcmjs-codecs and dcmjs-dimse (dual-package hazard).
const dcmjs = require('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

/**
 * Writes a naturalized data set as a Part 10 file (preamble, File Meta Information with Fovea's implementation
 * identification, Explicit VR Little Endian). Problems are raised as `code` (the writer's own catalogue entry).
 */
export function writeNaturalPart10(dataset: NaturalDataset, code: ErrorCode, prefix = ''): Uint8Array {
  const sopClassUid = dataset.SOPClassUID;
  const sopInstanceUid = dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') {
    throw new FoveaError(code, { detail: `${prefix}data set lacks SOP Class or Instance UID` });
  }
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: TransferSyntax.ExplicitVRLittleEndian,
    ImplementationClassUID: implementationClassUid,
    ImplementationVersionName: implementationVersionName,
    _vrMap: { FileMetaInformationVersion: 'OB' },
  };
  try {
    const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
    return new Uint8Array(dict.write());
  } catch (error) {
    throw new FoveaError(code, { detail: `${prefix}dcmjs could not write the data set`, cause: error });
  }
}

/**
 * Reads a Part 10 file into a naturalized data set (DICOM keywords as property names), by default stopping
 * before Pixel Data. Throws `FOVEA_DICOM_MALFORMED` when the bytes are not a readable Part 10 file.
 */
export function readNaturalPart10(part10: Uint8Array, options: { pixelData?: boolean } = {}): NaturalDataset {
  const buffer = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  try {
    const dict = dcmjs.data.DicomMessage.readFile(
      buffer,
      options.pixelData === true ? {} : { untilTag: '7FE00010' },
    );
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  } catch (error) {
    throw new FoveaError('FOVEA_DICOM_MALFORMED', { detail: 'not a readable Part 10 file', cause: error });
  }
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** A DA value (YYYYMMDD) for the UTC day of an instant. */
export function formatDa(instant: Date): string {
  return `${pad(instant.getUTCFullYear(), 4)}${pad(instant.getUTCMonth() + 1, 2)}${pad(instant.getUTCDate(), 2)}`;
}

/** A TM value (HHMMSS) for the UTC time of an instant. */
export function formatTm(instant: Date): string {
  return `${pad(instant.getUTCHours(), 2)}${pad(instant.getUTCMinutes(), 2)}${pad(instant.getUTCSeconds(), 2)}`;
}
