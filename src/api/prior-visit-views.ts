/**
 * The prior visit beside the current one: the key measures of each eye at both visits and their change — mean
 * deviation for visual fields (from the `vf-progression` raw output, which holds every test of the series),
 * central subfield thickness and fluid volumes for macular OCT, the ICDR grade for DR screening (from the
 * visible findings of each study). Every value is an AI output and carries its analyzer id@version.
 */
import type { AnalysisRecord, Finding } from '../core/finding.ts';
import { aiLabel, visibleFindings } from './result-views.ts';
import type { PriorVisitMeasureView } from './visual-field-schemas.ts';
import { latestVisibleAnalysis, seriesOf } from './visual-field-views.ts';

/** The key measures read from findings, by finding key, in the order they are shown. */
const findingMeasures: readonly { key: string; name: string }[] = [
  { key: 'icdr', name: 'DR grade (ICDR)' },
  { key: 'cst', name: 'Central subfield thickness' },
  { key: 'central-fluid-volume', name: 'Fluid in the central subfield' },
  { key: 'irf-volume', name: 'Intraretinal fluid volume' },
  { key: 'srf-volume', name: 'Subretinal fluid volume' },
];

/** One visit's analyses and the SOP Instance UIDs of its instances. */
export interface VisitResults {
  readonly studyInstanceUid: string;
  readonly analyses: readonly AnalysisRecord[];
  readonly sopInstanceUids: ReadonlySet<string>;
}

type MeasureValue = NonNullable<PriorVisitMeasureView['current']>;

/** The latest visible finding of a key for an eye. */
function latestFinding(visit: VisitResults, key: string, eye: 'R' | 'L'): Finding | undefined {
  return visibleFindings(visit.analyses)
    .filter((finding) => finding.key === key && finding.eye === eye)
    .sort((a, b) => b.provenance.finishedAt.getTime() - a.provenance.finishedAt.getTime())[0];
}

function findingValue(visit: VisitResults, finding: Finding): MeasureValue | undefined {
  const value = finding.value;
  const analyzer = `${finding.provenance.analyzerId}@${finding.provenance.analyzerVersion}`;
  const base = {
    studyInstanceUid: visit.studyInstanceUid,
    analyzer,
    aiGenerated: true as const,
    label: aiLabel,
  };
  if (value.kind === 'measurement') {
    return { ...base, value: value.value, code: null };
  }
  if (value.kind === 'classification') {
    const { value: code, scheme, meaning } = value.value;
    return { ...base, value: null, code: { value: code, scheme, meaning } };
  }
  return undefined;
}

/** The MD of the visit's field of an eye: from the first analysis (of those given) whose series holds it. */
function meanDeviation(
  visit: VisitResults,
  eye: 'R' | 'L',
  analyses: readonly (AnalysisRecord | undefined)[],
): MeasureValue | undefined {
  for (const analysis of analyses) {
    if (analysis === undefined) {
      continue;
    }
    const test = seriesOf(analysis, eye)
      .filter((entry) => entry.sopInstanceUid !== null && visit.sopInstanceUids.has(entry.sopInstanceUid))
      .at(-1);
    if (test !== undefined) {
      return {
        studyInstanceUid: visit.studyInstanceUid,
        value: test.md,
        code: null,
        analyzer: `${analysis.analyzerId}@${analysis.analyzerVersion}`,
        aiGenerated: true,
        label: aiLabel,
      };
    }
  }
  return undefined;
}

function measure(
  eye: 'R' | 'L',
  key: string,
  name: string,
  unit: string | null,
  current: MeasureValue | undefined,
  prior: MeasureValue | undefined,
): PriorVisitMeasureView {
  const both = current !== undefined && prior !== undefined;
  return {
    eye,
    key,
    name,
    unit,
    current: current ?? null,
    prior: prior ?? null,
    change: both && current.value !== null && prior.value !== null ? current.value - prior.value : null,
    changed:
      both && current.code !== null && prior.code !== null
        ? current.code.value !== prior.code.value || current.code.scheme !== prior.code.scheme
        : null,
  };
}

/**
 * The key measures of both eyes at the current visit and the prior one (right eye first), each present at
 * either visit; the change is current − prior.
 */
export function priorVisitMeasures(
  current: VisitResults,
  prior: VisitResults | undefined,
): PriorVisitMeasureView[] {
  const measures: PriorVisitMeasureView[] = [];
  const currentVf = latestVisibleAnalysis(current.analyses, 'vf-progression');
  const priorVf = prior === undefined ? undefined : latestVisibleAnalysis(prior.analyses, 'vf-progression');
  for (const eye of ['R', 'L'] as const) {
    // The current analysis's series holds the prior test too, computed with the same model: preferred.
    const md = [
      meanDeviation(current, eye, [currentVf]),
      prior === undefined ? undefined : meanDeviation(prior, eye, [currentVf, priorVf]),
    ] as const;
    if (md[0] !== undefined || md[1] !== undefined) {
      measures.push(measure(eye, 'md', 'Mean deviation (MD)', 'dB', md[0], md[1]));
    }
    for (const { key, name } of findingMeasures) {
      const now = latestFinding(current, key, eye);
      const then = prior === undefined ? undefined : latestFinding(prior, key, eye);
      if (now === undefined && then === undefined) {
        continue;
      }
      const unitOf = (finding: Finding | undefined) =>
        finding?.value.kind === 'measurement' ? finding.value.unit.value : undefined;
      measures.push(
        measure(
          eye,
          key,
          name,
          unitOf(now) ?? unitOf(then) ?? null,
          now === undefined ? undefined : findingValue(current, now),
          then === undefined || prior === undefined ? undefined : findingValue(prior, then),
        ),
      );
    }
  }
  return measures;
}
