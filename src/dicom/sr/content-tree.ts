/**
 * Reading an SR content tree into typed nodes (by-value items only), leniently: unknown value types and
 * missing optional parts are kept or skipped, never guessed.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.3.html (Document Content)
 */
import type { NaturalDataset } from 'dcmjs';
import type { CodedConcept } from '../../core/finding.ts';

/** A referenced instance of an IMAGE or COMPOSITE item. */
export interface ReferencedInstance {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly frames: readonly number[];
}

/** One content item of an SR tree. */
export interface SrContentNode {
  /** Absent on the root. */
  readonly relationship?: string;
  readonly valueType: string;
  readonly concept?: CodedConcept;
  readonly children: readonly SrContentNode[];
  /** CODE value. */
  readonly code?: CodedConcept;
  /** TEXT value. */
  readonly text?: string;
  /** UIDREF value. */
  readonly uid?: string;
  /** NUM value (Floating Point Value when present, else the Numeric Value) and its unit. */
  readonly num?: { readonly value: number; readonly unit?: CodedConcept };
  /** IMAGE or COMPOSITE reference. */
  readonly reference?: ReferencedInstance;
  /** SCOORD graphic. */
  readonly scoord?: { readonly graphicType: string; readonly points: readonly number[] };
}

/** The items of a sequence attribute of a naturalized data set (dcmjs gives an array or one object). */
export function sequenceItems(dataset: NaturalDataset | undefined, keyword: string): NaturalDataset[] {
  const value = dataset?.[keyword];
  if (Array.isArray(value)) {
    return value.filter((item): item is NaturalDataset => item !== null && typeof item === 'object');
  }
  return value !== null && typeof value === 'object' ? [value as NaturalDataset] : [];
}

/** The values of an attribute as an array. */
export function values(dataset: NaturalDataset | undefined, keyword: string): unknown[] {
  const value = dataset?.[keyword];
  if (value === undefined || value === null) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/** The first value of a string attribute, trimmed; undefined when absent or empty. */
export function stringValue(dataset: NaturalDataset | undefined, keyword: string): string | undefined {
  const first = values(dataset, keyword)[0];
  const text = typeof first === 'string' ? first.trim() : typeof first === 'number' ? String(first) : '';
  return text === '' ? undefined : text;
}

/** A PN value as a PN string (`Family^Given`), or undefined. */
export function personNameValue(dataset: NaturalDataset | undefined, keyword: string): string | undefined {
  const first = values(dataset, keyword)[0];
  if (typeof first === 'string') {
    return first.trim() === '' ? undefined : first.trim();
  }
  if (first !== null && typeof first === 'object') {
    const groups = first as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
    const text = [groups.Alphabetic ?? '', groups.Ideographic ?? '', groups.Phonetic ?? '']
      .join('=')
      .replace(/=+$/u, '')
      .trim();
    return text === '' ? undefined : text;
  }
  return undefined;
}

/** The first item of a code sequence as a coded concept. */
export function codeValue(dataset: NaturalDataset | undefined, keyword: string): CodedConcept | undefined {
  const item = sequenceItems(dataset, keyword)[0];
  if (item === undefined) {
    return undefined;
  }
  const value =
    stringValue(item, 'CodeValue') ?? stringValue(item, 'LongCodeValue') ?? stringValue(item, 'URNCodeValue');
  const scheme =
    stringValue(item, 'CodingSchemeDesignator') ?? (stringValue(item, 'URNCodeValue') ? '' : undefined);
  if (value === undefined || scheme === undefined) {
    return undefined;
  }
  return { value, scheme, meaning: stringValue(item, 'CodeMeaning') ?? '' };
}

function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

function referenceOf(item: NaturalDataset): ReferencedInstance | undefined {
  const sop = sequenceItems(item, 'ReferencedSOPSequence')[0];
  const sopClassUid = stringValue(sop, 'ReferencedSOPClassUID');
  const sopInstanceUid = stringValue(sop, 'ReferencedSOPInstanceUID');
  if (sopClassUid === undefined || sopInstanceUid === undefined) {
    return undefined;
  }
  const frames = values(sop, 'ReferencedFrameNumber')
    .map(numberOf)
    .filter((frame): frame is number => frame !== undefined);
  return { sopClassUid, sopInstanceUid, frames };
}

/** Reads a content item (or the root data set) and its descendants. */
export function readContentNode(item: NaturalDataset): SrContentNode {
  const valueType = stringValue(item, 'ValueType') ?? '';
  const relationship = stringValue(item, 'RelationshipType');
  const concept = codeValue(item, 'ConceptNameCodeSequence');
  const node: {
    -readonly [K in keyof SrContentNode]: SrContentNode[K];
  } = {
    valueType,
    children: sequenceItems(item, 'ContentSequence').map(readContentNode),
    ...(relationship === undefined ? {} : { relationship }),
    ...(concept === undefined ? {} : { concept }),
  };
  switch (valueType) {
    case 'CODE': {
      const code = codeValue(item, 'ConceptCodeSequence');
      if (code !== undefined) {
        node.code = code;
      }
      break;
    }
    case 'TEXT': {
      const text = values(item, 'TextValue')[0];
      if (typeof text === 'string') {
        node.text = text;
      }
      break;
    }
    case 'UIDREF': {
      const uid = stringValue(item, 'UID');
      if (uid !== undefined) {
        node.uid = uid;
      }
      break;
    }
    case 'NUM': {
      const measured = sequenceItems(item, 'MeasuredValueSequence')[0];
      const value =
        numberOf(values(measured, 'FloatingPointValue')[0]) ?? numberOf(values(measured, 'NumericValue')[0]);
      if (value !== undefined) {
        const unit = codeValue(measured, 'MeasurementUnitsCodeSequence');
        node.num = { value, ...(unit === undefined ? {} : { unit }) };
      }
      break;
    }
    case 'IMAGE':
    case 'COMPOSITE':
    case 'WAVEFORM': {
      const reference = referenceOf(item);
      if (reference !== undefined) {
        node.reference = reference;
      }
      break;
    }
    case 'SCOORD': {
      const graphicType = stringValue(item, 'GraphicType');
      const points = values(item, 'GraphicData')
        .map(numberOf)
        .filter((value): value is number => value !== undefined);
      if (graphicType !== undefined) {
        node.scoord = { graphicType, points };
      }
      break;
    }
    default:
      break;
  }
  return node;
}

/** Whether a node's concept name is the given concept (value and scheme). */
export function hasConcept(node: SrContentNode, concept: CodedConcept): boolean {
  return node.concept?.value === concept.value && node.concept.scheme === concept.scheme;
}

/** The children of a node with the given concept name (and, optionally, value type). */
export function childrenNamed(
  node: SrContentNode,
  concept: CodedConcept,
  valueType?: string,
): SrContentNode[] {
  return node.children.filter(
    (child) => hasConcept(child, concept) && (valueType === undefined || child.valueType === valueType),
  );
}
