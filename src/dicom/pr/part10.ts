/**
 * Writing presentation state Part 10 files (the shared layer of `dicom/codec/natural-part10.ts`, with the
 * presentation state's own error code), and the value checks the writer needs.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#chapter_7
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_6.2 (value representations)
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import { isValidUid } from '../../core/uid.ts';
import { formatDa, formatTm, readNaturalPart10, writeNaturalPart10 } from '../codec/index.ts';

export { formatDa, formatTm };

/** The error every presentation state build problem raises. */
export function prInvalid(detail: string): FoveaError {
  return new FoveaError('FOVEA_PR_INVALID', { detail: `presentation state: ${detail}` });
}

/**
 * Writes a data set as a Part 10 file (Explicit VR Little Endian) with Fovea's implementation identification.
 * dcmjs writes elements in tag order, so the same data set always gives the same bytes.
 */
export function writePrPart10(dataset: NaturalDataset): Uint8Array {
  return writeNaturalPart10(dataset, 'FOVEA_PR_INVALID', 'presentation state: ');
}

/** Reads a presentation state (or any Part 10 file) into a naturalized data set (DICOM keywords). */
export function readPresentationStatePart10(part10: Uint8Array): NaturalDataset {
  return readNaturalPart10(part10);
}

/** A Decimal String for a finite number (shortest form that reads back the same, at most 16 characters). */
export function formatDs(value: number): string {
  if (!Number.isFinite(value)) {
    throw prInvalid(`not a finite number: ${value}`);
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
export function requirePrUid(value: string, what: string): string {
  if (!isValidUid(value)) {
    throw prInvalid(`${what} is not a valid UID: ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks a string value against a maximum length and the characters its VR allows (no backslash, no control). */
export function checkPrText(value: string, maxLength: number, what: string): string {
  if (value.length > maxLength) {
    throw prInvalid(`${what} is longer than ${maxLength} characters`);
  }
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (character === '\\' || code < 0x20 || code === 0x7f) {
      throw prInvalid(`${what} contains a backslash or control character`);
    }
  }
  return value;
}

/**
 * Checks a Code String: upper-case letters, digits, space and underscore, at most 16 characters, not empty, and
 * no leading or trailing space (those are padding in CS, so they would not tell two values apart).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_6.2 (CS)
 */
export function checkCodeString(value: string, what: string): string {
  if (!/^[A-Z0-9_](?:[A-Z0-9_ ]{0,14}[A-Z0-9_])?$/u.test(value)) {
    throw prInvalid(
      `${what} must be 1–16 characters of A–Z, 0–9, space and underscore, without leading or trailing space: ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A positive integer that fits an IS or US value. */
export function positiveInteger(value: number, what: string, max = 2 ** 31 - 1): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw prInvalid(`${what} must be an integer from 1 to ${max}`);
  }
  return value;
}
