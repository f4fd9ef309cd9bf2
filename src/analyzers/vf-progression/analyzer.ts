/**
 * The `vf-progression` analyzer: for each eye with a visual field (OPV) in the study, the eye's series — the
 * current test and the earlier ones among the Case's priors — is analysed (MD trend, PoPLR, GPA-style events,
 * verdict). Findings per eye: the verdict (classification), the MD slope with its 95% CI and p, the PoPLR p,
 * and a `referable` triage suggestion for likely progression. The numbers are about the series; the findings
 * cite the current study's fields (the run's inputs), the raw output lists every test used.
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
import { normativeModel } from './normative-values.ts';
import { convertOpv, opvSopClassUid, seriesFromOpv, type OpvConversion, type OpvDataset } from './opv.ts';
import { analyzeVfSeries, verdictRules, type VfProgression, type VfVerdict } from './progression.ts';

/** SHA-256 of the normative model and the verdict thresholds (a classical method: its parameters are its model). */
export const modelHash = createHash('sha256')
  .update(JSON.stringify({ normativeModel, verdictRules }))
  .digest('hex');

/** The analyzer's manifest. */
export const manifest: AnalyzerManifest = {
  id: 'vf-progression',
  version: '0.1.0',
  displayName: 'Visual field progression (24-2)',
  intendedUse:
    'Estimates whether glaucomatous visual field loss is progressing from an eye’s series of 24-2 static ' +
    'perimetry tests (MD trend, pointwise regression, PoPLR, event analysis), to support a clinician’s review; ' +
    'it does not diagnose glaucoma.',
  useCases: ['glaucoma-progression'],
  inputs: { sopClassUids: [opvSopClassUid], modalities: ['OPV'] },
  outputs: ['classification', 'measurement'],
  timeoutMs: 120_000,
  reviewRequired: true,
  needsPriors: true,
  modelHash,
};

const local = (value: string, meaning: string): CodedConcept => ({ value, scheme: '99FOVEA', meaning });
const verdictConcept = local('vf-progression', 'Visual field progression');
const verdicts: Readonly<Record<VfVerdict, CodedConcept>> = {
  'insufficient-data': local('vf-insufficient', 'Too few tests to assess progression'),
  stable: local('vf-stable', 'No progression detected'),
  'possible-progression': local('vf-possible', 'Possible progression'),
  'likely-progression': local('vf-likely', 'Likely progression'),
};
const dbPerYear: CodedConcept = { value: 'dB/a', scheme: 'UCUM', meaning: 'dB per year' };
const ratio: CodedConcept = { value: '1', scheme: 'UCUM', meaning: 'no units' };

function opvOf(instances: readonly CaseInstance[]): CaseInstance[] {
  return instances.filter(
    (instance) =>
      instance.sopClassUid === opvSopClassUid &&
      (instance.modality === undefined || instance.modality === 'OPV'),
  );
}

function currentByEye(analysisCase: AnalysisCase): Map<Eye, CaseInstance[]> {
  const byEye = new Map<Eye, CaseInstance[]>();
  for (const entry of analysisCase.eyes) {
    const fields = opvOf(entry.instances);
    if (fields.length > 0) {
      byEye.set(entry.eye, fields);
    }
  }
  return byEye;
}

function findingsOf(eye: Eye, result: VfProgression, sources: readonly string[]): FindingDraft[] {
  const base = { eye, useCase: 'glaucoma-progression', sourceSopInstanceUids: sources };
  const p = result.poplr?.p;
  const findings: FindingDraft[] = [
    {
      ...base,
      key: 'verdict',
      value: {
        kind: 'classification',
        concept: verdictConcept,
        value: verdicts[result.verdict],
        ...(p === undefined ? {} : { confidence: Math.min(1, Math.max(0, 1 - p)) }),
      },
      ...(result.verdict === 'likely-progression'
        ? {
            triage: {
              bucket: 'referable' as const,
              reason: `likely visual field progression${result.fastProgressor ? ' (fast)' : ''}`,
              confidence: Math.min(1, Math.max(0, 1 - (p ?? 0))),
            },
          }
        : {}),
    },
  ];
  if (result.mdTrend !== undefined) {
    findings.push({
      ...base,
      key: 'md-slope',
      value: {
        kind: 'measurement',
        concept: local('md-slope', 'Mean deviation rate of change'),
        value: result.mdTrend.slope,
        unit: dbPerYear,
      },
    });
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
  return findings;
}

/** The vf-progression analyzer. */
export const analyzer: Analyzer = {
  manifest,

  isApplicable(analysisCase: AnalysisCase): Applicability {
    const current = currentByEye(analysisCase);
    if (current.size === 0) {
      return { applicable: false, reason: 'no visual field (OPV) of a known eye in the study' };
    }
    return {
      applicable: true,
      reason: [...current].map(([eye, fields]) => `${eye}: ${fields.length} visual field(s)`).join(', '),
    };
  },

  async analyze(analysisCase: AnalysisCase, helpers: AnalyzerHelpers): Promise<AnalyzerOutput> {
    const pixels = helpers.pixels;
    if (pixels.dataset === undefined) {
      throw new Error('the host gives no data set access (helpers.pixels.dataset)');
    }
    const current = currentByEye(analysisCase);
    const all = [
      ...[...current.values()].flat(),
      ...analysisCase.priors.flatMap((prior) => prior.eyes.flatMap((entry) => opvOf(entry.instances))),
    ];
    const conversions: OpvConversion[] = [];
    for (const instance of all) {
      throwIfAborted(helpers.signal);
      const dataset: OpvDataset = await pixels.dataset(instance);
      conversions.push(convertOpv(dataset));
    }
    const { series, problems } = seriesFromOpv(conversions, analysisCase.studyInstanceUid);
    const findings: FindingDraft[] = [];
    const results: VfProgression[] = [];
    for (const eyeSeries of series) {
      const fields = current.get(eyeSeries.eye);
      if (fields === undefined) {
        continue;
      }
      throwIfAborted(helpers.signal);
      const result = analyzeVfSeries(eyeSeries, { signal: helpers.signal });
      results.push(result);
      findings.push(
        ...findingsOf(
          eyeSeries.eye,
          result,
          fields.map((field) => field.sopInstanceUid),
        ),
      );
    }
    return {
      findings,
      raw: {
        problems,
        eyes: results.map((result) => ({
          eye: result.eye,
          verdict: result.verdict,
          reasons: result.reasons,
          fastProgressor: result.fastProgressor,
          spanYears: result.spanYears,
          trendEligible: result.trendEligible,
          mdTrend: result.mdTrend ?? null,
          poplr: result.poplr === undefined ? null : { s: result.poplr.s, p: result.poplr.p },
          gpa: result.gpa,
          tests: result.tests.map((test) => ({
            date: test.date,
            sopInstanceUid: test.sopInstanceUid ?? null,
            md: test.indices.md,
            psd: test.indices.psd,
          })),
        })),
      },
    };
  },
};
