/**
 * Reading and writing Segmentation Part 10 files with dcmjs (Explicit VR Little Endian), and the value
 * formatting the SEG writer needs. The SR writers have their own copy of this layer: the import rule keeps
 * `dicom/seg` and `dicom/sr` apart (each may import only `core` and `dicom/codec`).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_6.2 (value representations)
 */
import { createRequire } from 'node:module';
import type DcmjsDefault from 'dcmjs';
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import { implementationClassUid, implementationVersionName } from '../../core/implementation.ts';
import { isValidUid, uidFromName } from '../../core/uid.ts';

const require = createRequire(import.meta.url);
// One CJS instance of dcmjs, shared with dcmjs-codecs and dcmjs-dimse (dual-package hazard).
const dcmjs = require('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

/** Explicit VR Little Endian, the transfer syntax of every SEG Fovea writes. */
export const explicitVrLittleEndian = '1.2.840.10008.1.2.1';

/** The error every SEG build problem raises (SEG shares the catalogue entry of Fovea's output objects). */
export function segInvalid(detail: string): FoveaError {
  return new FoveaError('FOVEA_SEG_INVALID', { detail: `segmentation: ${detail}` });
}

/**
 * Writes a data set (Pixel Data as a Uint8Array, written OB) as a Part 10 file with Fovea's implementation
 * identification. dcmjs writes elements in tag order, so the same data set always gives the same bytes.
 */
export function writeSegPart10(dataset: NaturalDataset): Uint8Array {
  const sopClassUid = dataset.SOPClassUID;
  const sopInstanceUid = dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || typeof sopInstanceUid !== 'string') {
    throw segInvalid('data set lacks SOP Class or Instance UID');
  }
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: explicitVrLittleEndian,
    ImplementationClassUID: implementationClassUid,
    ImplementationVersionName: implementationVersionName,
    _vrMap: { FileMetaInformationVersion: 'OB' },
  };
  try {
    const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
    dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
    return new Uint8Array(dict.write());
  } catch (error) {
    throw new FoveaError('FOVEA_SEG_INVALID', {
      detail: 'segmentation: dcmjs could not write the data set',
      cause: error,
    });
  }
}

/** Reads a Part 10 file, Pixel Data included, into a naturalized data set (DICOM keywords). */
export function readSegPart10(part10: Uint8Array): NaturalDataset {
  const buffer = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  try {
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(buffer).dict);
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

/** A Decimal String for a finite number (shortest form that reads back the same, at most 16 characters). */
export function formatDs(value: number): string {
  if (!Number.isFinite(value)) {
    throw segInvalid(`not a finite number: ${value}`);
  }
  for (let digits = 1; digits <= 16; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (text.length <= 16 && (Number(text) === value || digits === 16)) {
      return text;
    }
  }
  return value.toExponential(8);
}

/** Throws unless the value is a well-formed UID. */
export function requireSegUid(value: string, what: string): string {
  if (!isValidUid(value)) {
    throw segInvalid(`${what} is not a valid UID: ${JSON.stringify(value)}`);
  }
  return value;
}

/** A UID derived from labels, so a rebuilt SEG keeps its identifiers. */
export function deriveSegUid(...labels: readonly string[]): string {
  return uidFromName(['fovea-seg-uid', ...labels].join('\0'));
}

/** Checks a string value against a maximum length and the characters its VR allows. */
export function checkSegText(value: string, maxLength: number, what: string): string {
  if (value.length > maxLength) {
    throw segInvalid(`${what} is longer than ${maxLength} characters`);
  }
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (character === '\\' || code < 0x20 || code === 0x7f) {
      throw segInvalid(`${what} contains a backslash or control character`);
    }
  }
  return value;
}
