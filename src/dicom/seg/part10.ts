/**
 * Reading and writing Segmentation Part 10 files (the shared layer of `dicom/codec/natural-part10.ts`, with the
 * SEG's own error code), and the value checks the SEG writer needs.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_6.2 (value representations)
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import { isValidUid, uidFromName } from '../../core/uid.ts';
import { formatDa, formatTm, readNaturalPart10, writeNaturalPart10 } from '../codec/index.ts';

export { formatDa, formatTm };

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
  return writeNaturalPart10(dataset, 'FOVEA_SEG_INVALID', 'segmentation: ');
}

/** Reads a Part 10 file, Pixel Data included, into a naturalized data set (DICOM keywords). */
export function readSegPart10(part10: Uint8Array): NaturalDataset {
  return readNaturalPart10(part10, { pixelData: true });
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
