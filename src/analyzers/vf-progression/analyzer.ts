/**
 * The `vf-progression` analyzer (use case `glaucoma-progression`): for each eye with a visual field (OPV) or a
 * peripapillary OCT circle scan in the study, the eye's series — the current tests and the earlier ones among
 * the Case's priors — is analysed: function (MD trend, PoPLR, GPA-style events) and structure (global RNFL
 * trend and event), combined into one verdict with the structure–function agreement. Findings per eye: the
 * verdict, the agreement, the fast-progressor flag, MD and RNFL slopes with their 95% CI and p, the PoPLR p,
 * the current global RNFL thickness, and a `referable` triage suggestion for likely progression. The numbers
 * are about the series; the findings cite the current study's instances, the raw output every test used.
 * @see https://cran.r-project.org/package=visualFields
 */
import { createHash } from 'node:crypto';
import {
  throwIfAborted,
  type AnalysisCase,
  type Analyzer,
  type AnalyzerHelpers,
  type AnalyzerManifest,
  type AnalyzerOutput,
  type Applicability,
  type CaseInstance,
  type CodedConcept,
  type Eye,
  type FindingDraft,
} from '../sdk/index.ts';
import {
  isCircleScanCandidate,
  optSopClassUid,
  readCircleScan,
  type CircleScanMeasurement,
} from './circle-scans.ts';
import { normativeModel } from './normative-values.ts';
import { convertOpv, opvSopClassUid, seriesFromOpv, type OpvConversion, type OpvDataset } from './opv.ts';
import { analyzeVfSeries, verdictRules, type VfProgression, type VfVerdict } from './progression.ts';
import { rnflParameters } from './rnfl-circle-scan.ts';
import {
  analyzeRnflSeries,
  combineVerdicts,
  rnflRules,
  type RnflProgression,
  type StructureFunction,
} from './rnfl-progression.ts';
import type { LinearFit } from './statistics.ts';

/** SHA-256 of the normative model and the verdict thresholds (a classical method: its parameters are its model). */
export const modelHash = createHash('sha256')
  .update(JSON.stringify({ normativeModel, verdictRules, rnflParameters, rnflRules }))
  .digest('hex');

/** The analyzer's manifest. */
export const manifest: AnalyzerManifest = {
  id: 'vf-progression',
  version: '0.2.0',
  displayName: 'Glaucoma progression (24-2 fields and peripapillary RNFL)',
  intendedUse:
    'Estimates whether glaucoma is progressing from an eye’s series of 24-2 static perimetry tests (MD trend, ' +
    'pointwise regression, PoPLR, event analysis) and peripapillary OCT circle scans (global RNFL trend and ' +
    'event), to support a clinician’s review; it does not diagnose glaucoma.',
  useCases: ['glaucoma-progression'],
  inputs: { sopClassUids: [opvSopClassUid, optSopClassUid], modalities: ['OPV', 'OPT'] },
  outputs: ['classification', 'measurement'],
  timeoutMs: 120_000,
  reviewRequired: true,
  needsPriors: true,
  modelHash,
};

const local = (value: string, meaning: string): CodedConcept => ({ value, scheme: '99FOVEA', meaning });
const verdictConcept = local('vf-progression', 'Glaucoma progression');
const verdicts: Readonly<Record<VfVerdict, CodedConcept>> = {
  'insufficient-data': local('vf-insufficient', 'Too few tests to assess progression'),
  stable: local('vf-stable', 'No progression detected'),
  'possible-progression': local('vf-possible', 'Possible progression'),
  'likely-progression': local('vf-likely', 'Likely progression'),
};
const agreementConcept = local('structure-function', 'Structure–function agreement');
const agreements: Readonly<Record<StructureFunction, CodedConcept>> = {
  'both-progressing': local('sf-both', 'Structure and function progressing'),
  'function-only': local('sf-function', 'Function progressing, structure stable'),
  'structure-only': local('sf-structure', 'Structure progressing, function stable'),
  'both-stable': local('sf-stable', 'Structure and function stable'),
  'not-assessable': local('sf-na', 'Structure–function agreement not assessable'),
};
const fastConcept = local('fast-progressor', 'Fast progressor (MD ≤ −1 dB/yr or RNFL ≤ −2 µm/yr)');
const yes = local('yes', 'Yes');
const no = local('no', 'No');
const dbPerYear: CodedConcept = { value: 'dB/a', scheme: 'UCUM', meaning: 'dB per year' };
const umPerYear: CodedConcept = { value: 'um/a', scheme: 'UCUM', meaning: 'micrometre per year' };
const micrometre: CodedConcept = { value: 'um', scheme: 'UCUM', meaning: 'micrometre' };
const ratio: CodedConcept = { value: '1', scheme: 'UCUM', meaning: 'no units' };

function opvOf(instances: readonly CaseInstance[]): CaseInstance[] {
  return instances.filter(
    (instance) =>
      instance.sopClassUid === opvSopClassUid &&
      (instance.modality === undefined || instance.modality === 'OPV'),
  );
}

/** The current study's inputs per eye: visual fields and circle-scan candidates. */
interface EyeInputs {
  readonly fields: CaseInstance[];
  readonly circles: CaseInstance[];
}

function currentByEye(analysisCase: AnalysisCase): Map<Eye, EyeInputs> {
  const byEye = new Map<Eye, EyeInputs>();
  for (const entry of analysisCase.eyes) {
    const fields = opvOf(entry.instances);
    const circles = entry.instances.filter(isCircleScanCandidate);
    if (fields.length > 0 || circles.length > 0) {
      byEye.set(entry.eye, { fields, circles });
    }
  }
  return byEye;
}

/** One eye's combined result. */
interface EyeResult {
  readonly eye: Eye;
  readonly fields?: VfProgression;
  readonly rnfl?: RnflProgression;
  readonly current?: CircleScanMeasurement;
  readonly verdict: VfVerdict;
  readonly agreement: StructureFunction;
  readonly fastProgressor: boolean;
}

function trendFindings(
  base: Omit<FindingDraft, 'key' | 'value'>,
  prefix: string,
  meaning: string,
  fit: LinearFit,
  unit: CodedConcept,
): FindingDraft[] {
  const measurement = (key: string, what: string, value: number, u: CodedConcept): FindingDraft => ({
    ...base,
    key: `${prefix}-${key}`,
    value: { kind: 'measurement', concept: local(`${prefix}-${key}`, `${meaning} ${what}`), value, unit: u },
  });
  return [
    {
      ...base,
      key: prefix,
      value: { kind: 'measurement', concept: local(prefix, meaning), value: fit.slope, unit },
    },
    measurement('ci-lower', '95% CI lower limit', fit.ci95[0], unit),
    measurement('ci-upper', '95% CI upper limit', fit.ci95[1], unit),
    measurement('p', 'one-sided p-value', fit.pLeft, ratio),
  ];
}

function findingsOf(result: EyeResult, sources: readonly string[]): FindingDraft[] {
  const base = { eye: result.eye, useCase: 'glaucoma-progression', sourceSopInstanceUids: sources };
  const p = result.fields?.poplr?.p;
  const confidence = result.verdict === 'likely-progression' || result.verdict === 'possible-progression';
  const findings: FindingDraft[] = [
    {
      ...base,
      key: 'verdict',
      value: {
        kind: 'classification',
        concept: verdictConcept,
        value: verdicts[result.verdict],
        ...(p === undefined || !confidence ? {} : { confidence: Math.min(1, Math.max(0, 1 - p)) }),
      },
      ...(result.verdict === 'likely-progression'
        ? {
            triage: {
              bucket: 'referable' as const,
              reason: `likely glaucoma progression (${result.agreement})${result.fastProgressor ? ', fast' : ''}`,
              ...(p === undefined ? {} : { confidence: Math.min(1, Math.max(0, 1 - p)) }),
            },
          }
        : {}),
    },
    {
      ...base,
      key: 'structure-function',
      value: { kind: 'classification', concept: agreementConcept, value: agreements[result.agreement] },
    },
  ];
  if (result.fields?.trendEligible === true || result.rnfl?.trendEligible === true) {
    findings.push({
      ...base,
      key: 'fast-progressor',
      value: { kind: 'classification', concept: fastConcept, value: result.fastProgressor ? yes : no },
    });
  }
  if (result.fields?.mdTrend !== undefined) {
    findings.push(
      ...trendFindings(base, 'md-slope', 'Mean deviation rate of change', result.fields.mdTrend, dbPerYear),
    );
  }
  if (p !== undefined) {
    findings.push({
      ...base,
      key: 'poplr-p',
      value: {
        kind: 'measurement',
        concept: local('poplr-p', 'PoPLR permutation p-value'),
        value: p,
        unit: ratio,
      },
    });
  }
  if (result.current !== undefined) {
    findings.push({
      ...base,
      key: 'rnfl-global',
      value: {
        kind: 'measurement',
        concept: local('rnfl-global', 'Peripapillary RNFL thickness, global mean'),
        value: result.current.globalUm,
        unit: micrometre,
      },
    });
  }
  if (result.rnfl?.trend !== undefined) {
    findings.push(
      ...trendFindings(
        base,
        'rnfl-slope',
        'Global RNFL thickness rate of change',
        result.rnfl.trend,
        umPerYear,
      ),
    );
  }
  return findings;
}

/** Reads the current and prior circle scans, per eye; unreadable ones become problems. */
async function circleScansByEye(
  analysisCase: AnalysisCase,
  helpers: AnalyzerHelpers,
  problems: string[],
): Promise<Map<Eye, CircleScanMeasurement[]>> {
  const byEye = new Map<Eye, CircleScanMeasurement[]>();
  const entries = [...analysisCase.eyes, ...analysisCase.priors.flatMap((prior) => prior.eyes)];
  for (const entry of entries) {
    for (const instance of entry.instances.filter(isCircleScanCandidate)) {
      throwIfAborted(helpers.signal);
      const reading = await readCircleScan(instance, entry.eye, helpers);
      if (reading.ok) {
        byEye.set(entry.eye, [...(byEye.get(entry.eye) ?? []), reading.measurement]);
      } else {
        problems.push(`${reading.sopInstanceUid}: ${reading.problem}`);
      }
    }
  }
  return byEye;
}

function combine(
  eye: Eye,
  fields: VfProgression | undefined,
  rnfl: RnflProgression | undefined,
  current: CircleScanMeasurement | undefined,
): EyeResult {
  const { verdict, agreement } = combineVerdicts(
    fields?.verdict ?? 'insufficient-data',
    rnfl?.verdict ?? 'insufficient-data',
  );
  return {
    eye,
    ...(fields === undefined ? {} : { fields }),
    ...(rnfl === undefined ? {} : { rnfl }),
    ...(current === undefined ? {} : { current }),
    verdict,
    agreement,
    fastProgressor: (fields?.fastProgressor ?? false) || (rnfl?.fastProgressor ?? false),
  };
}

function rawOf(result: EyeResult): Record<string, unknown> {
  const fields = result.fields;
  const rnfl = result.rnfl;
  return {
    eye: result.eye,
    verdict: result.verdict,
    structureFunction: result.agreement,
    fastProgressor: result.fastProgressor,
    functionVerdict: fields?.verdict ?? 'insufficient-data',
    reasons: fields?.reasons ?? [],
    spanYears: fields?.spanYears ?? 0,
    trendEligible: fields?.trendEligible ?? false,
    mdTrend: fields?.mdTrend ?? null,
    poplr: fields?.poplr === undefined ? null : { s: fields.poplr.s, p: fields.poplr.p },
    gpa: fields?.gpa ?? null,
    tests: (fields?.tests ?? []).map((test) => ({
      date: test.date,
      sopInstanceUid: test.sopInstanceUid ?? null,
      md: test.indices.md,
      psd: test.indices.psd,
    })),
    rnfl:
      rnfl === undefined
        ? null
        : {
            verdict: rnfl.verdict,
            reasons: rnfl.reasons,
            event: rnfl.event,
            baselineUm: rnfl.baselineUm ?? null,
            spanYears: rnfl.spanYears,
            trendEligible: rnfl.trendEligible,
            fastProgressor: rnfl.fastProgressor,
            trend: rnfl.trend ?? null,
            scans: rnfl.scans.map((scan) => ({
              date: scan.date,
              sopInstanceUid: scan.sopInstanceUid ?? null,
              globalUm: scan.globalUm,
            })),
          },
    currentRnfl: result.current ?? null,
  };
}

/** The vf-progression analyzer. */
export const analyzer: Analyzer = {
  manifest,

  isApplicable(analysisCase: AnalysisCase): Applicability {
    const current = currentByEye(analysisCase);
    if (current.size === 0) {
      return {
        applicable: false,
        reason: 'no visual field (OPV) nor single-frame OCT (OPT circle scan) of a known eye in the study',
      };
    }
    return {
      applicable: true,
      reason: [...current]
        .map(
          ([eye, inputs]) =>
            `${eye}: ${inputs.fields.length} visual field(s), ${inputs.circles.length} OCT scan(s)`,
        )
        .join(', '),
    };
  },

  async analyze(analysisCase: AnalysisCase, helpers: AnalyzerHelpers): Promise<AnalyzerOutput> {
    const pixels = helpers.pixels;
    if (pixels.dataset === undefined) {
      throw new Error('the host gives no data set access (helpers.pixels.dataset)');
    }
    const current = currentByEye(analysisCase);
    const all = [
      ...[...current.values()].flatMap((inputs) => inputs.fields),
      ...analysisCase.priors.flatMap((prior) => prior.eyes.flatMap((entry) => opvOf(entry.instances))),
    ];
    const conversions: OpvConversion[] = [];
    for (const instance of all) {
      throwIfAborted(helpers.signal);
      const dataset: OpvDataset = await pixels.dataset(instance);
      conversions.push(convertOpv(dataset));
    }
    const { series, problems: fieldProblems } = seriesFromOpv(conversions, analysisCase.studyInstanceUid);
    const problems = [...fieldProblems];
    const circles = await circleScansByEye(analysisCase, helpers, problems);
    const findings: FindingDraft[] = [];
    const results: EyeResult[] = [];
    for (const [eye, inputs] of current) {
      throwIfAborted(helpers.signal);
      const eyeSeries = inputs.fields.length > 0 ? series.find((entry) => entry.eye === eye) : undefined;
      const fields =
        eyeSeries === undefined ? undefined : analyzeVfSeries(eyeSeries, { signal: helpers.signal });
      const currentUids = new Set(inputs.circles.map((instance) => instance.sopInstanceUid));
      const scans = circles.get(eye) ?? [];
      const currentScan = scans.find((scan) => currentUids.has(scan.sopInstanceUid));
      const rnfl =
        currentScan === undefined
          ? undefined
          : analyzeRnflSeries(
              scans.map((scan) => ({
                date: scan.date,
                globalUm: scan.globalUm,
                sopInstanceUid: scan.sopInstanceUid,
              })),
            );
      if (fields === undefined && rnfl === undefined) {
        continue;
      }
      const result = combine(eye, fields, rnfl, currentScan);
      results.push(result);
      const sources = [
        ...(fields === undefined ? [] : inputs.fields.map((field) => field.sopInstanceUid)),
        ...(currentScan === undefined ? [] : [currentScan.sopInstanceUid]),
      ];
      findings.push(...findingsOf(result, sources));
    }
    return { findings, raw: { problems, eyes: results.map(rawOf) } };
  },
};
