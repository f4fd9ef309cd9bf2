import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisRecord, Finding, FindingValue, RolloutPhase } from './finding.ts';
import type { Eye } from './eye.ts';
import { ruleSuggestions, triageStudy, type MeasurementTriageRule, type TriageSuggestion } from './triage.ts';

const provenance = {
  analyzerId: 'a',
  analyzerVersion: '1.0.0',
  modelHash: 'c'.repeat(64),
  inputSopInstanceUids: ['1.2.3'],
  startedAt: new Date(0),
  finishedAt: new Date(0),
};

const gradable: FindingValue = {
  kind: 'quality',
  verdict: 'gradable',
  score: 0.9,
  reasons: [],
  components: {},
};
const ungradable: FindingValue = {
  kind: 'quality',
  verdict: 'ungradable',
  score: 0.2,
  reasons: ['blur'],
  components: {},
};

function finding(eye: Eye, value: FindingValue, triage?: TriageSuggestion, status = 'preliminary'): Finding {
  return {
    id: `f-${eye}-${Math.random()}`,
    studyInstanceUid: '1.2',
    analysisId: 'an',
    eye,
    useCase: 'x',
    key: 'k',
    value,
    sourceSopInstanceUids: ['1.2.3'],
    provenance,
    status: status as Finding['status'],
    createdAt: new Date(0),
    ...(triage === undefined ? {} : { triage }),
  };
}

function analysis(id: string, findings: Finding[], phase: RolloutPhase = 'assistive'): AnalysisRecord {
  return {
    id,
    studyInstanceUid: '1.2',
    analyzerId: id,
    analyzerVersion: '1.0.0',
    useCase: 'x',
    phase,
    status: 'succeeded',
    findings,
    raw: null,
    provenance,
  };
}

const grade = (bucket: TriageSuggestion['bucket'], confidence: number): TriageSuggestion => ({
  bucket,
  reason: bucket,
  confidence,
});
const policy = { releaseConfidence: 0.9 };
const now = new Date(0);

describe('triage', () => {
  it('sends a study with one ungradable eye and one normal eye to recapture, never to release', () => {
    const triage = triageStudy(
      '1.2',
      [
        analysis('quality', [finding('R', gradable), finding('L', ungradable)]),
        analysis('dr', [finding('R', gradable, grade('review-and-release', 0.97))]),
      ],
      policy,
      now,
    );
    assert.equal(triage?.bucket, 'recapture');
    assert.deepEqual(
      triage.reasons.map((reason) => [reason.eye, reason.bucket]),
      [
        ['L', 'recapture'],
        ['R', 'review-and-release'],
      ],
    );
  });

  it('takes the most urgent eye: referable beats recapture, stat beats referable', () => {
    const referable = triageStudy(
      '1.2',
      [
        analysis('q', [finding('L', ungradable)]),
        analysis('dr', [finding('R', gradable, grade('referable', 0.8))]),
      ],
      policy,
      now,
    );
    assert.equal(referable?.bucket, 'referable');
    assert.equal(referable.priority, 700 + 79);
    const stat = triageStudy(
      '1.2',
      [
        analysis('dr', [
          finding('R', gradable, grade('referable', 0.99)),
          finding('L', gradable, grade('stat', 0.6)),
        ]),
      ],
      policy,
      now,
    );
    assert.equal(stat?.bucket, 'stat');
    assert.ok(stat.priority > referable.priority);
  });

  it('releases only confident normals; the least confident of them first', () => {
    const sure = triageStudy(
      '1.2',
      [analysis('dr', [finding('R', gradable, grade('review-and-release', 0.99))])],
      policy,
      now,
    );
    const unsure = triageStudy(
      '1.2',
      [analysis('dr', [finding('R', gradable, grade('review-and-release', 0.92))])],
      policy,
      now,
    );
    const below = triageStudy(
      '1.2',
      [analysis('dr', [finding('R', gradable, grade('review-and-release', 0.85))])],
      policy,
      now,
    );
    assert.equal(sure?.bucket, 'review-and-release');
    assert.ok(unsure!.priority > sure.priority);
    assert.equal(below?.bucket, 'routine');
    assert.equal(
      triageStudy(
        '1.2',
        [analysis('dr', [finding('R', gradable, grade('review-and-release', 0.85))])],
        { releaseConfidence: 0.8 },
        now,
      )?.bucket,
      'review-and-release',
    );
  });

  it('ignores silent and off analyses, failed ones and rejected findings', () => {
    assert.equal(
      triageStudy('1.2', [analysis('q', [finding('L', ungradable)], 'silent')], policy, now),
      undefined,
    );
    assert.equal(
      triageStudy('1.2', [analysis('q', [finding('L', ungradable)], 'off')], policy, now),
      undefined,
    );
    assert.equal(
      triageStudy('1.2', [analysis('q', [finding('L', ungradable, undefined, 'rejected')])], policy, now),
      undefined,
    );
    assert.equal(
      triageStudy('1.2', [{ ...analysis('q', [finding('L', ungradable)]), status: 'failed' }], policy, now),
      undefined,
    );
    assert.equal(triageStudy('1.2', [analysis('q', [finding('L', gradable)])], policy, now), undefined);
  });

  describe('measurement rules', () => {
    const rules: MeasurementTriageRule[] = [
      {
        concept: { value: 'CSF-FLUID', scheme: '99FOVEA' },
        atLeast: 0.002,
        unit: 'mm3',
        bucket: 'referable',
        reason: 'central fluid',
      },
      {
        concept: { value: 'SRF-MAX-HEIGHT', scheme: '99FOVEA' },
        atLeast: 500,
        unit: 'um',
        bucket: 'stat',
        reason: 'SRF dome',
      },
      {
        concept: { value: 'LOW', scheme: '99FOVEA' },
        atMost: 10,
        unit: 'um',
        bucket: 'routine',
        reason: 'thin',
      },
    ];
    const measured = (value: string, number: number, unit: string): FindingValue => ({
      kind: 'measurement',
      concept: { value, scheme: '99FOVEA', meaning: value },
      value: number,
      unit: { value: unit, scheme: 'UCUM', meaning: unit },
    });
    const withRules = { ...policy, measurementRules: rules };

    it("suggests a bucket at and beyond the threshold, in the rule's unit only", () => {
      assert.deepEqual(ruleSuggestions(finding('R', measured('CSF-FLUID', 0.002, 'mm3')), rules), [
        { bucket: 'referable', reason: 'central fluid (0.002 mm3)' },
      ]);
      assert.deepEqual(ruleSuggestions(finding('R', measured('CSF-FLUID', 0.0019, 'mm3')), rules), []);
      assert.deepEqual(ruleSuggestions(finding('R', measured('CSF-FLUID', 5, 'nl')), rules), []);
      assert.deepEqual(ruleSuggestions(finding('R', measured('LOW', 9, 'um')), rules).length, 1);
      assert.deepEqual(ruleSuggestions(finding('R', measured('LOW', 11, 'um')), rules), []);
      assert.deepEqual(ruleSuggestions(finding('R', gradable), rules), []);
    });

    it('puts a study with a tall SRF dome first (stat), the eye with central fluid referable', () => {
      const triage = triageStudy(
        '1.2',
        [
          analysis('oct', [
            finding('R', measured('CSF-FLUID', 0.01, 'mm3')),
            finding('L', measured('CSF-FLUID', 0.03, 'mm3')),
            finding('L', measured('SRF-MAX-HEIGHT', 620, 'um')),
          ]),
        ],
        withRules,
        now,
      );
      assert.equal(triage?.bucket, 'stat');
      assert.deepEqual(
        triage?.reasons.map((reason) => [reason.eye, reason.bucket, reason.reason]),
        [
          ['L', 'stat', 'SRF dome (620 um)'],
          ['R', 'referable', 'central fluid (0.01 mm3)'],
        ],
      );
    });

    it('ignores rejected findings, silent analyses and a policy without rules', () => {
      const fluid = measured('SRF-MAX-HEIGHT', 620, 'um');
      assert.equal(
        triageStudy('1.2', [analysis('oct', [finding('R', fluid, undefined, 'rejected')])], withRules, now),
        undefined,
      );
      assert.equal(
        triageStudy('1.2', [analysis('oct', [finding('R', fluid)], 'silent')], withRules, now),
        undefined,
      );
      assert.equal(triageStudy('1.2', [analysis('oct', [finding('R', fluid)])], policy, now), undefined);
    });

    it("keeps an analyzer's more urgent suggestion over a rule's", () => {
      const triage = triageStudy(
        '1.2',
        [analysis('oct', [finding('R', measured('CSF-FLUID', 0.01, 'mm3'), grade('stat', 0.9))])],
        withRules,
        now,
      );
      assert.equal(triage?.bucket, 'stat');
    });
  });
});
