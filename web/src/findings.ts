/**
 * Reading AI findings for display: the value's kind, a one-line summary, the confidence, and the lesion marks of
 * region findings (column,row pairs on a source instance).
 */
import type { FindingView } from './api.ts';

interface Coded {
  readonly value: string;
  readonly scheme: string;
  readonly meaning: string;
}

/** A region finding's geometry on its source instance. */
export interface RegionMark {
  readonly findingId: string;
  readonly key: string;
  readonly eye: 'R' | 'L';
  readonly label: string;
  readonly sopInstanceUid: string;
  readonly frame: number;
  readonly graphicType: 'POINT' | 'MULTIPOINT' | 'POLYLINE' | 'CIRCLE';
  /** Flat column,row pairs in source pixels. */
  readonly points: readonly number[];
  readonly confidence?: number;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

function coded(value: unknown): Coded | undefined {
  const object = record(value);
  return typeof object?.meaning === 'string' && typeof object.value === 'string'
    ? {
        value: object.value,
        scheme: typeof object.scheme === 'string' ? object.scheme : '',
        meaning: object.meaning,
      }
    : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** The finding's value as a plain record (the API schema leaves it open: its `kind` says what it holds). */
function fieldsOf(finding: FindingView): Readonly<Record<string, unknown>> {
  return finding.value as Record<string, unknown>;
}

/** The kind of a finding's value: quality, classification, measurement or region. */
export function kindOf(finding: FindingView): string {
  const kind = fieldsOf(finding).kind;
  return typeof kind === 'string' ? kind : 'unknown';
}

/** The finding's confidence in [0, 1], when it states one (value or triage suggestion). */
export function confidenceOf(finding: FindingView): number | undefined {
  return number(fieldsOf(finding).confidence) ?? finding.triage?.confidence;
}

/** A short statement of what the finding says. */
export function summaryOf(finding: FindingView): string {
  const value = fieldsOf(finding);
  switch (value.kind) {
    case 'quality': {
      const reasons = Array.isArray(value.reasons)
        ? value.reasons.filter((reason): reason is string => typeof reason === 'string')
        : [];
      const score = number(value.score);
      return [
        `Image quality: ${String(value.verdict)}`,
        score === undefined ? '' : ` (score ${score.toFixed(2)})`,
        reasons.length > 0 ? ` — ${reasons.join(', ')}` : '',
      ].join('');
    }
    case 'classification': {
      const concept = coded(value.concept);
      const answer = coded(value.value);
      return `${concept?.meaning ?? finding.key}: ${answer?.meaning ?? '?'}`;
    }
    case 'measurement': {
      const concept = coded(value.concept);
      const unit = coded(value.unit);
      const qualifier = coded(value.qualifier);
      const amount = number(value.value);
      return `${concept?.meaning ?? finding.key}${qualifier === undefined ? '' : ` (${qualifier.meaning})`}: ${
        amount === undefined ? '?' : String(Math.round(amount * 1000) / 1000)
      } ${unit?.value ?? ''}`.trim();
    }
    case 'region': {
      const concept = coded(value.concept);
      const points = Array.isArray(value.points) ? value.points.length : 0;
      const marks = value.graphicType === 'MULTIPOINT' || value.graphicType === 'POINT' ? points / 2 : 1;
      return `${concept?.meaning ?? finding.key}: ${marks} mark${marks === 1 ? '' : 's'} on the image`;
    }
    default:
      return finding.key;
  }
}

/** The lesion marks of a study's region findings. */
export function regionMarks(findings: readonly FindingView[]): RegionMark[] {
  const marks: RegionMark[] = [];
  for (const finding of findings) {
    const value = fieldsOf(finding);
    if (value.kind !== 'region' || typeof value.sopInstanceUid !== 'string' || !Array.isArray(value.points)) {
      continue;
    }
    const graphicType = value.graphicType;
    if (
      graphicType !== 'POINT' &&
      graphicType !== 'MULTIPOINT' &&
      graphicType !== 'POLYLINE' &&
      graphicType !== 'CIRCLE'
    ) {
      continue;
    }
    const points = (value.points as unknown[]).filter((point): point is number => typeof point === 'number');
    const confidence = number(value.confidence);
    marks.push({
      findingId: finding.id,
      key: finding.key,
      eye: finding.eye,
      label: coded(value.concept)?.meaning ?? finding.key,
      sopInstanceUid: value.sopInstanceUid,
      frame: number(value.frame) ?? 1,
      graphicType,
      points,
      ...(confidence === undefined ? {} : { confidence }),
    });
  }
  return marks;
}

const markColours: Readonly<Record<string, string>> = {
  microaneurysm: '#ff4d4d',
  haemorrhage: '#ff9f1a',
  'hard-exudate': '#ffe14d',
  'cotton-wool-spot': '#7fdbff',
  'new-vessels-disc': '#ff4dff',
  'new-vessels-elsewhere': '#c04dff',
  'preretinal-haemorrhage': '#ff6f91',
};

/** The colour a lesion type is drawn in (by the finding key's `lesions-<type>` suffix). */
export function markColour(key: string): string {
  return markColours[key.replace(/^lesions-/u, '')] ?? '#00e5a0';
}
