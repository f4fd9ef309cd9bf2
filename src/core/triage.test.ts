import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisRecord, Finding, FindingValue, RolloutPhase } from './finding.ts';
import type { Eye } from './eye.ts';
import { triageStudy, type TriageSuggestion } from './triage.ts';

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
});
