/**
 * The DICOM JSON Model: small helpers to read and write attribute values by tag, for QIDO-RS results and
 * STOW-RS responses. Tags are eight hexadecimal digits (`0020000D`); reads also accept lower case keys.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#chapter_F
 */
import { FoveaError } from '../../core/errors.ts';

/** A Person Name value: its component groups. */
export interface DicomJsonPersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** One value of an attribute: a string, a number, a person name, a sequence item, or null (an empty value). */
export type DicomJsonValue = string | number | DicomJsonPersonName | DicomJsonDataset | null;

/**
 * One attribute. `Value` is absent for an empty attribute.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_F.2.2
 */
export interface DicomJsonAttribute {
  vr: string;
  Value?: DicomJsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

/** A data set: tag → attribute. */
export type DicomJsonDataset = Record<string, DicomJsonAttribute>;

/** Tags Fovea reads or writes in DICOMweb messages. */
export const dicomJsonTags = {
  SpecificCharacterSet: '00080005',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  Modality: '00080060',
  ModalitiesInStudy: '00080061',
  StudyDescription: '00081030',
  SeriesDescription: '0008103E',
  RetrieveURL: '00081190',
  WarningReason: '00081196',
  FailureReason: '00081197',
  FailedSOPSequence: '00081198',
  ReferencedSOPSequence: '00081199',
  ReferencedSOPClassUID: '00081150',
  ReferencedSOPInstanceUID: '00081155',
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  StudyID: '00200010',
  SeriesNumber: '00200011',
  InstanceNumber: '00200013',
  Laterality: '00200060',
  ImageLaterality: '00200062',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
} as const;

const tagPattern = /^[0-9A-Fa-f]{8}$/;
const vrPattern = /^[A-Z]{2}$/;

/**
 * Normalizes a tag written as `0020000D`, `0020000d`, `(0020,000D)` or `0020,000D` to eight upper case hex
 * digits; returns undefined for anything else.
 */
export function normalizeTag(tag: string): string | undefined {
  const compact = tag.replace(/^\(|\)$/g, '').replace(',', '');
  return tagPattern.test(compact) ? compact.toUpperCase() : undefined;
}

function attribute(dataset: DicomJsonDataset, tag: string): DicomJsonAttribute | undefined {
  const key = normalizeTag(tag) ?? tag;
  return Object.hasOwn(dataset, key)
    ? dataset[key]
    : Object.hasOwn(dataset, key.toLowerCase())
      ? dataset[key.toLowerCase()]
      : undefined;
}

function valuesOf(dataset: DicomJsonDataset, tag: string): DicomJsonValue[] {
  const value = attribute(dataset, tag)?.Value;
  return Array.isArray(value) ? value : [];
}

/** The values of a string (or number) attribute as strings; empty values are skipped. */
export function getStrings(dataset: DicomJsonDataset, tag: string): string[] {
  const strings: string[] = [];
  for (const value of valuesOf(dataset, tag)) {
    if (typeof value === 'string') {
      strings.push(value);
    } else if (typeof value === 'number') {
      strings.push(String(value));
    }
  }
  return strings;
}

/** The first value of a string attribute, or undefined. */
export function getString(dataset: DicomJsonDataset, tag: string): string | undefined {
  return getStrings(dataset, tag)[0];
}

/** The values of a numeric attribute (IS, DS, US, …); numeric strings are accepted (lenient read). */
export function getNumbers(dataset: DicomJsonDataset, tag: string): number[] {
  const numbers: number[] = [];
  for (const value of valuesOf(dataset, tag)) {
    const number =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (Number.isFinite(number) && !(typeof value === 'string' && value.trim() === '')) {
      numbers.push(number);
    }
  }
  return numbers;
}

/** The first value of a numeric attribute, or undefined. */
export function getNumber(dataset: DicomJsonDataset, tag: string): number | undefined {
  return getNumbers(dataset, tag)[0];
}

/**
 * The Alphabetic component group of the first value of a PN attribute, or undefined.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_F.2.2
 */
export function getPersonName(dataset: DicomJsonDataset, tag: string): string | undefined {
  const value = valuesOf(dataset, tag)[0];
  if (typeof value === 'string') {
    return value;
  }
  if (value !== null && typeof value === 'object' && typeof value.Alphabetic === 'string') {
    return value.Alphabetic;
  }
  return undefined;
}

/** The items of a sequence attribute (empty when absent or empty). */
export function getSequence(dataset: DicomJsonDataset, tag: string): DicomJsonDataset[] {
  if (attribute(dataset, tag)?.vr !== 'SQ') {
    return [];
  }
  return valuesOf(dataset, tag).filter(
    (value): value is DicomJsonDataset => value !== null && typeof value === 'object',
  );
}

function keyOf(tag: string): string {
  const key = normalizeTag(tag);
  if (key === undefined) {
    throw new FoveaError('FOVEA_INTERNAL', { detail: `not a DICOM tag: ${tag}` });
  }
  return key;
}

function put(dataset: DicomJsonDataset, tag: string, element: DicomJsonAttribute): void {
  Object.defineProperty(dataset, keyOf(tag), {
    value: element,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Sets a string attribute; no values (or undefined) writes an empty attribute. */
export function setStrings(
  dataset: DicomJsonDataset,
  tag: string,
  vr: string,
  values: string | readonly string[] | undefined,
): void {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : [...values];
  put(dataset, tag, list.length === 0 ? { vr } : { vr, Value: list });
}

/** Sets a numeric attribute (US, UL, IS, DS, FL, FD…); no values writes an empty attribute. */
export function setNumbers(
  dataset: DicomJsonDataset,
  tag: string,
  vr: string,
  values: number | readonly number[] | undefined,
): void {
  const list = values === undefined ? [] : typeof values === 'number' ? [values] : [...values];
  put(dataset, tag, list.length === 0 ? { vr } : { vr, Value: list });
}

/** Sets a PN attribute from its Alphabetic component group. */
export function setPersonName(dataset: DicomJsonDataset, tag: string, alphabetic: string | undefined): void {
  put(
    dataset,
    tag,
    alphabetic === undefined ? { vr: 'PN' } : { vr: 'PN', Value: [{ Alphabetic: alphabetic }] },
  );
}

/** Sets a sequence attribute; no items writes an empty sequence. */
export function setSequence(
  dataset: DicomJsonDataset,
  tag: string,
  items: readonly DicomJsonDataset[],
): void {
  put(dataset, tag, items.length === 0 ? { vr: 'SQ' } : { vr: 'SQ', Value: [...items] });
}

function isValue(value: unknown, vr: string, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'number') {
    return vr !== 'SQ' || value === null;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  if (vr === 'SQ') {
    return isDataset(value, depth + 1);
  }
  return vr === 'PN';
}

function isDataset(value: unknown, depth: number): boolean {
  if (depth > 32 || value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  for (const [tag, element] of Object.entries(value)) {
    if (!tagPattern.test(tag) || element === null || typeof element !== 'object') {
      return false;
    }
    const { vr, Value } = element as { vr?: unknown; Value?: unknown };
    if (typeof vr !== 'string' || !vrPattern.test(vr)) {
      return false;
    }
    if (Value !== undefined && (!Array.isArray(Value) || !Value.every((item) => isValue(item, vr, depth)))) {
      return false;
    }
  }
  return true;
}

/**
 * Whether a parsed JSON value is a DICOM JSON data set: tag keys, a two-letter `vr` on every attribute,
 * `Value` arrays whose items fit the VR (sequence items checked recursively).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part18.html#sect_F.2
 */
export function isDicomJsonDataset(value: unknown): value is DicomJsonDataset {
  return isDataset(value, 0);
}
