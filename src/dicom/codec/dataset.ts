/**
 * A parsed DICOM header: elements keyed by tag, values kept as the bytes on the wire, sequences as nested
 * data sets. Decoding happens on access, in one place.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#chapter_7
 */
import { TextDecoder } from 'node:util';
import { vrOfTag } from './tags.ts';

/** One element of a parsed header. */
export interface DicomElement {
  readonly tag: number;
  /** The VR on the wire, or the dictionary VR for Implicit VR data (`UN` when unknown). */
  readonly vr: string;
  readonly length: number;
  /** The value bytes; absent for sequences and for values too large to keep. */
  readonly value?: Buffer;
  /** Items of a sequence. */
  readonly items?: DicomDataset[];
}

/** A parsed data set (or sequence item). */
export type DicomDataset = Map<number, DicomElement>;

const utf8 = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/**
 * Picks a text decoder for a Specific Character Set value. ISO 2022 code extensions are read as Latin-1
 * (their escape sequences are kept), which preserves ASCII identifiers exactly.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.12.1.1.2
 */
function decoderFor(charset: string | undefined): TextDecoder {
  const first = charset
    ?.split('\\')
    .find((term) => term.trim() !== '')
    ?.trim();
  return first === 'ISO_IR 192' ? utf8 : latin1;
}

/** Reads a string value with trailing padding (spaces, NULs) removed; `undefined` when absent or empty. */
export function getString(dataset: DicomDataset, tag: number, charset?: string): string | undefined {
  const value = dataset.get(tag)?.value;
  if (value === undefined || value.length === 0) {
    return undefined;
  }
  const text = decoderFor(charset)
    .decode(value)
    .replace(/[\0 ]+$/u, '')
    .replace(/^ +/u, '');
  return text === '' ? undefined : text;
}

/** Reads a number from an IS, DS, US, UL, SS or SL value (first value of a multi-valued element). */
export function getNumber(dataset: DicomDataset, tag: number): number | undefined {
  const element = dataset.get(tag);
  const value = element?.value;
  if (element === undefined || value === undefined || value.length === 0) {
    return undefined;
  }
  const vr = element.vr === 'UN' ? vrOfTag(tag) : element.vr;
  switch (vr) {
    case 'US':
      return value.length >= 2 ? value.readUInt16LE(0) : undefined;
    case 'SS':
      return value.length >= 2 ? value.readInt16LE(0) : undefined;
    case 'UL':
      return value.length >= 4 ? value.readUInt32LE(0) : undefined;
    case 'SL':
      return value.length >= 4 ? value.readInt32LE(0) : undefined;
    default: {
      const text = latin1.decode(value).split('\\')[0]?.trim() ?? '';
      if (text === '') {
        return undefined;
      }
      const number = Number(text);
      return Number.isFinite(number) ? number : undefined;
    }
  }
}

/** The items of a sequence element (empty when absent or not a sequence). */
export function getItems(dataset: DicomDataset, tag: number): readonly DicomDataset[] {
  return dataset.get(tag)?.items ?? [];
}
