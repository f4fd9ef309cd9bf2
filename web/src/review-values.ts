/**
 * The values a reviewer may put in place of the AI's when modifying a finding: for a diabetic retinopathy
 * severity (LOINC 71491-5 right eye, 71490-7 left eye) one of the five ICDR levels, coded as the dr-screening
 * analyzer codes them (SNOMED CT for levels 1–4, the LOINC answer LA18643-9 for level 0); for a measurement a
 * number in the same unit; for an image quality verdict gradable or ungradable with a reason. The API accepts a
 * modified value of the same kind and concept only (`core/review.ts` modificationProblem), so each editor keeps
 * the AI value's concept, unit and qualifier and changes only the value.
 * @see https://loinc.org/LL2117-1 (answer list of the DR severity level)
 */
import type { FindingView, RejectReasonCode } from './api.ts';

/** A coded value (code, coding scheme, meaning), as in the API's findings. */
export interface CodedValue {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

/** The ICDR levels 0–4 as coded values. */
export const icdrLevels: readonly { readonly level: number; readonly code: CodedValue }[] = [
  { level: 0, code: { value: 'LA18643-9', scheme: 'LN', meaning: 'No apparent retinopathy' } },
  {
    level: 1,
    code: {
      value: '312903003',
      scheme: 'SCT',
      meaning: 'Mild nonproliferative retinopathy due to diabetes mellitus',
    },
  },
  {
    level: 2,
    code: {
      value: '312904009',
      scheme: 'SCT',
      meaning: 'Moderate nonproliferative retinopathy due to diabetes mellitus',
    },
  },
  {
    level: 3,
    code: {
      value: '312905005',
      scheme: 'SCT',
      meaning: 'Severe nonproliferative retinopathy due to diabetes mellitus',
    },
  },
  {
    level: 4,
    code: { value: '59276001', scheme: 'SCT', meaning: 'Proliferative retinopathy due to diabetes mellitus' },
  },
];

/** LOINC codes of the DR severity level per eye. */
const drSeverityConcepts = new Set(['71491-5', '71490-7']);

/**
 * The coded reasons of a rejection with the words the station shows; the codes are the API's (a missing or extra
 * code fails the type check). A rejection without words of its own keeps these words as its reason.
 */
export const rejectReasonLabels = {
  'false-positive': 'Not present (false positive)',
  'wrong-eye': 'Wrong eye',
  'wrong-location': 'Present, but not where marked',
  'wrong-type': 'A different finding',
  'image-quality': 'Image not good enough to say',
  duplicate: 'Duplicate of another finding',
  other: 'Other',
} as const satisfies Record<RejectReasonCode, string>;

/** The reasons a photograph or volume can be ungradable (the API's UngradableReason). */
export const ungradableReasons = [
  'blur',
  'underexposed',
  'overexposed',
  'low-contrast',
  'field-of-view',
  'optic-disc-not-visible',
  'macula-not-visible',
  'low-signal',
  'unreadable',
] as const;

/** How a finding's value can be modified: which editor the review controls show, or none. */
export type ValueEditor = 'icdr' | 'measurement' | 'quality' | 'none';

function fields(finding: FindingView): Readonly<Record<string, unknown>> {
  return finding.value as Record<string, unknown>;
}

function codeOf(value: unknown): CodedValue | undefined {
  if (typeof value !== 'object' || value === null) {
    return undefined;
  }
  const coded = value as Record<string, unknown>;
  return typeof coded.value === 'string' &&
    typeof coded.scheme === 'string' &&
    typeof coded.meaning === 'string'
    ? { value: coded.value, scheme: coded.scheme, meaning: coded.meaning }
    : undefined;
}

/** The editor a finding's value takes (regions and other classifications are accepted or rejected only). */
export function editorOf(finding: FindingView): ValueEditor {
  const value = fields(finding);
  switch (value.kind) {
    case 'classification': {
      const concept = codeOf(value.concept);
      return concept?.scheme === 'LN' && drSeverityConcepts.has(concept.value) ? 'icdr' : 'none';
    }
    case 'measurement':
      return 'measurement';
    case 'quality':
      return 'quality';
    default:
      return 'none';
  }
}

/** The ICDR level of a classification value (its code), or undefined when it is none of the five. */
export function icdrLevelOf(value: Readonly<Record<string, unknown>>): number | undefined {
  const code = codeOf(value.value);
  return icdrLevels.find((entry) => entry.code.value === code?.value && entry.code.scheme === code.scheme)
    ?.level;
}

/** The AI's value with another ICDR level (concept and the rest kept; the AI's confidence dropped). */
export function withIcdrLevel(finding: FindingView, level: number): Record<string, unknown> {
  const code = icdrLevels.find((entry) => entry.level === level)?.code;
  if (code === undefined) {
    throw new RangeError(`no ICDR level ${level}`);
  }
  const { confidence: _confidence, ...rest } = fields(finding);
  return { ...rest, value: { ...code } };
}

/** The AI's measurement with another number (concept, unit and qualifier kept). */
export function withMeasurement(finding: FindingView, amount: number): Record<string, unknown> {
  return { ...fields(finding), value: amount };
}

/** A quality verdict set by the reviewer (the AI's score and component measures kept as they were measured). */
export function withQuality(
  finding: FindingView,
  verdict: 'gradable' | 'ungradable',
  reason: (typeof ungradableReasons)[number] | undefined,
): Record<string, unknown> {
  const value = fields(finding);
  return {
    ...value,
    verdict,
    reasons: verdict === 'ungradable' && reason !== undefined ? [reason] : [],
  };
}

/** The unit of a measurement finding (its UCUM code), or '' when there is none. */
export function unitOf(finding: FindingView): string {
  const unit = codeOf(fields(finding).unit);
  return unit === undefined || unit.value === '1' ? '' : unit.value;
}

/** The number a measurement finding states. */
export function amountOf(value: Readonly<Record<string, unknown>>): number | undefined {
  return typeof value.value === 'number' ? value.value : undefined;
}
