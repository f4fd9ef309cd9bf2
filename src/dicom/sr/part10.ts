/**
 * Reading and writing the Part 10 files of Fovea's SR and KOS objects (the shared layer of `dicom/codec/natural-part10.ts`),
 * and the value formatting those objects need (DA, TM, DT, DS, deterministic UIDs).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_6.2 (value representations)
 */
import { createHash } from 'node:crypto';
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import { isValidUid } from '../../core/uid.ts';
import { formatDa, formatTm, readNaturalPart10, writeNaturalPart10 } from '../codec/index.ts';

export { formatDa, formatTm };

/** Explicit VR Little Endian, the only transfer syntax the SR writers use. */
export const explicitVrLittleEndian = '1.2.840.10008.1.2.1';

/**
 * Writes a data set as a Part 10 file (preamble, File Meta Information with Fovea's implementation
 * identification, Explicit VR Little Endian data set). dcmjs writes the elements in tag order, so the same
 * data set always gives the same bytes.
 */
export function writeSrPart10(dataset: NaturalDataset): Uint8Array {
  return writeNaturalPart10(dataset, 'FOVEA_SR_INVALID');
}

/**
 * Reads a Part 10 file into a naturalized data set (DICOM keywords as property names), stopping before
 * Pixel Data. Text is decoded with the file's character set; person names come back as
 * `[{ Alphabetic, Ideographic, Phonetic }]`.
 */
export function readPart10Dataset(part10: Uint8Array): NaturalDataset {
  return readNaturalPart10(part10);
}

/** A DT value with an explicit UTC offset (YYYYMMDDHHMMSS+0000). */
export function formatDt(instant: Date): string {
  if (Number.isNaN(instant.getTime())) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: 'invalid date' });
  }
  return `${formatDa(instant)}${formatTm(instant)}+0000`;
}

/** Parses a DT value (with or without fraction and offset) back into an instant; undefined when malformed. */
export function parseDt(value: string | undefined): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,6}))?([+-]\d{4})?$/u.exec(
    value?.trim() ?? '',
  );
  if (match === null) {
    return undefined;
  }
  const [, y, mo, d, h = '00', mi = '00', s = '00', fraction = '', offset = '+0000'] = match;
  const sign = offset.startsWith('-') ? -1 : 1;
  const offsetMinutes = sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5)));
  const millis = Number(`0.${fraction || '0'}`) * 1000;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), millis);
  return new Date(utc - offsetMinutes * 60_000);
}

/**
 * Formats a number as a Decimal String (at most 16 characters), with the fewest digits that still read back
 * as the same number when that fits.
 */
export function formatDs(value: number): string {
  if (!Number.isFinite(value)) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: `not a finite number: ${value}` });
  }
  for (let digits = 1; digits <= 17; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Number(text) === value && text.length <= 16) {
      return text;
    }
  }
  for (let digits = 15; digits >= 1; digits--) {
    const text = String(Number(value.toPrecision(digits)));
    if (text.length <= 16) {
      return text;
    }
  }
  return value.toExponential(8);
}

/**
 * Derives a UID under the 2.25 root from labels (SHA-256, 128 bits, RFC 9562 version 8 layout): the same
 * labels always give the same UID, so a rebuilt object keeps its identifiers.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_B.2
 */
export function deriveUid(...labels: readonly string[]): string {
  const hash = createHash('sha256');
  for (const label of ['fovea-sr-uid', ...labels]) {
    hash.update(label, 'utf8');
    hash.update('\0');
  }
  const bytes = hash.digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}

/** Throws `FOVEA_SR_INVALID` unless the value is a well-formed UID. */
export function requireUid(value: string, what: string): string {
  if (!isValidUid(value)) {
    throw new FoveaError('FOVEA_SR_INVALID', {
      detail: `${what} is not a valid UID: ${JSON.stringify(value)}`,
    });
  }
  return value;
}
