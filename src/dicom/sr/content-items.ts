/**
 * SR content items as naturalized dcmjs data sets: one small constructor per value type, each checking the
 * lengths and forms the value representations allow, so a bad value fails the build instead of the PACS.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.3.html (Document Content)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.18.html (Content Item Macros)
 */
import type { NaturalDataset } from 'dcmjs';
import { FoveaError } from '../../core/errors.ts';
import type { CodedConcept } from '../../core/finding.ts';
import { formatDs, requireUid } from './part10.ts';

/** Relationship Type (0040,A010) values Fovea writes. */
export type RelationshipType =
  | 'CONTAINS'
  | 'HAS OBS CONTEXT'
  | 'HAS CONCEPT MOD'
  | 'HAS PROPERTIES'
  | 'HAS ACQ CONTEXT'
  | 'INFERRED FROM'
  | 'SELECTED FROM';

/** A content item (or the root) as a naturalized data set. */
export type ContentItem = NaturalDataset;

/** A reference to a composite instance (IMAGE and COMPOSITE value types). */
export interface InstanceReference {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** 1-based frame numbers, for a reference to frames of a multi-frame image. */
  readonly frames?: readonly number[];
}

function invalid(detail: string): FoveaError {
  return new FoveaError('FOVEA_SR_INVALID', { detail });
}

/** Checks a string value against a maximum length and the characters its VR allows. */
export function checkText(value: string, maxLength: number, what: string): string {
  if (value.length > maxLength) {
    throw invalid(`${what} is longer than ${maxLength} characters`);
  }
  for (const character of value) {
    const code = character.codePointAt(0) ?? 0;
    if (character === '\\' || code < 0x20 || code === 0x7f) {
      throw invalid(`${what} contains a backslash or control character`);
    }
  }
  return value;
}

/**
 * A Code Sequence Macro item. Code values longer than 16 characters go to Long Code Value (0008,0119),
 * URNs and URLs to URN Code Value (0008,0120).
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_8.8.html
 */
export function codeSequenceItem(code: CodedConcept): NaturalDataset {
  if (code.value === '' || code.scheme === '' || code.meaning === '') {
    throw invalid('a coded concept lacks its value, scheme or meaning');
  }
  checkText(code.scheme, 16, `coding scheme designator ${code.scheme}`);
  checkText(code.meaning, 64, `code meaning of ${code.scheme}:${code.value}`);
  const item: NaturalDataset = { CodingSchemeDesignator: code.scheme, CodeMeaning: code.meaning };
  if (/^(urn|https?):/iu.test(code.value)) {
    item.URNCodeValue = checkText(code.value, 1024, 'URN code value');
  } else if (code.value.length > 16) {
    item.LongCodeValue = checkText(code.value, 64, `long code value ${code.value}`);
  } else {
    item.CodeValue = checkText(code.value, 16, 'code value');
  }
  return item;
}

function base(
  relationship: RelationshipType,
  valueType: string,
  concept: CodedConcept | undefined,
  children: readonly ContentItem[],
): ContentItem {
  const item: ContentItem = { RelationshipType: relationship, ValueType: valueType };
  if (concept !== undefined) {
    item.ConceptNameCodeSequence = [codeSequenceItem(concept)];
  }
  if (children.length > 0) {
    item.ContentSequence = [...children];
  }
  return item;
}

/** A CONTAINER item (continuity SEPARATE). */
export function containerItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  children: readonly ContentItem[],
): ContentItem {
  return { ...base(relationship, 'CONTAINER', concept, children), ContinuityOfContent: 'SEPARATE' };
}

/** A CODE item. */
export function codeItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  value: CodedConcept,
  children: readonly ContentItem[] = [],
): ContentItem {
  return { ...base(relationship, 'CODE', concept, children), ConceptCodeSequence: [codeSequenceItem(value)] };
}

/** A TEXT item (Text Value is UT). */
export function textItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  text: string,
  children: readonly ContentItem[] = [],
): ContentItem {
  if (text === '') {
    throw invalid(`empty TEXT value for ${concept.meaning}`);
  }
  return { ...base(relationship, 'TEXT', concept, children), TextValue: text };
}

/** A UIDREF item. */
export function uidrefItem(relationship: RelationshipType, concept: CodedConcept, uid: string): ContentItem {
  return { ...base(relationship, 'UIDREF', concept, []), UID: requireUid(uid, concept.meaning) };
}

/**
 * A NUM item. The Numeric Value (DS) carries the value; the Floating Point Value (FD) is added when the
 * 16-character DS cannot represent it exactly.
 */
export function numItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  value: number,
  unit: CodedConcept,
  children: readonly ContentItem[] = [],
): ContentItem {
  const text = formatDs(value);
  const measured: NaturalDataset = {
    NumericValue: text,
    MeasurementUnitsCodeSequence: [codeSequenceItem(unit)],
  };
  if (Number(text) !== value) {
    measured.FloatingPointValue = value;
  }
  return { ...base(relationship, 'NUM', concept, children), MeasuredValueSequence: [measured] };
}

function referencedSop(reference: InstanceReference): NaturalDataset {
  const item: NaturalDataset = {
    ReferencedSOPClassUID: requireUid(reference.sopClassUid, 'Referenced SOP Class UID'),
    ReferencedSOPInstanceUID: requireUid(reference.sopInstanceUid, 'Referenced SOP Instance UID'),
  };
  if (reference.frames !== undefined && reference.frames.length > 0) {
    for (const frame of reference.frames) {
      if (!Number.isInteger(frame) || frame < 1) {
        throw invalid(`frame numbers are 1-based integers, got ${frame}`);
      }
    }
    item.ReferencedFrameNumber = reference.frames.map(String);
  }
  return item;
}

/** An IMAGE item (no concept name unless given). */
export function imageItem(
  relationship: RelationshipType,
  reference: InstanceReference,
  concept?: CodedConcept,
  children: readonly ContentItem[] = [],
): ContentItem {
  return {
    ...base(relationship, 'IMAGE', concept, children),
    ReferencedSOPSequence: [referencedSop(reference)],
  };
}

/** A COMPOSITE item (no concept name). */
export function compositeItem(relationship: RelationshipType, reference: InstanceReference): ContentItem {
  return {
    ...base(relationship, 'COMPOSITE', undefined, []),
    ReferencedSOPSequence: [referencedSop(reference)],
  };
}

/** Graphic types of SCOORD items Fovea writes. */
export type GraphicType = 'POINT' | 'MULTIPOINT' | 'POLYLINE' | 'CIRCLE';

/**
 * A SCOORD item: image coordinates (column, row pairs, sub-pixel, origin at the top left corner of the top
 * left pixel) on the image given by its SELECTED FROM child.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.18.6.html
 */
export function scoordItem(
  relationship: RelationshipType,
  concept: CodedConcept,
  graphicType: GraphicType,
  points: readonly number[],
  children: readonly ContentItem[],
): ContentItem {
  if (points.length % 2 !== 0 || points.some((value) => !Number.isFinite(value))) {
    throw invalid('SCOORD data must be finite column,row pairs');
  }
  const count = points.length / 2;
  const fits =
    (graphicType === 'POINT' && count === 1) ||
    (graphicType === 'CIRCLE' && count === 2) ||
    (graphicType === 'POLYLINE' && count >= 2) ||
    (graphicType === 'MULTIPOINT' && count >= 1);
  if (!fits) {
    throw invalid(`a ${graphicType} cannot have ${count} point(s)`);
  }
  return {
    ...base(relationship, 'SCOORD', concept, children),
    GraphicType: graphicType,
    GraphicData: [...points],
  };
}
