import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultDrFollowUpTable, drRecommendation } from './dr-follow-up.ts';
import type { Eye } from './eye.ts';
import type { Finding, FindingValue } from './finding.ts';
import { draftReport } from './report-draft.ts';

const provenance = {
  analyzerId: 'dr-screening',
  analyzerVersion: '0.4.0',
  modelHash: 'a'.repeat(64),
  inputSopInstanceUids: ['1.2.3'],
  startedAt: new Date('2026-01-02T10:00:00Z'),
  finishedAt: new Date('2026-01-02T10:00:01Z'),
};

const grades: Readonly<Record<number, { value: string; scheme: string; meaning: string }>> = {
  0: { value: 'LA18643-9', scheme: 'LN', meaning: 'No apparent retinopathy' },
  1: {
    value: '312903003',
    scheme: 'SCT',
    meaning: 'Mild nonproliferative retinopathy due to diabetes mellitus',
  },
  2: {
    value: '312904009',
    scheme: 'SCT',
    meaning: 'Moderate nonproliferative retinopathy due to diabetes mellitus',
  },
  3: {
    value: '312905005',
    scheme: 'SCT',
    meaning: 'Severe nonproliferative retinopathy due to diabetes mellitus',
  },
  4: { value: '59276001', scheme: 'SCT', meaning: 'Proliferative retinopathy due to diabetes mellitus' },
};

function finding(
  eye: Eye,
  key: string,
  value: FindingValue,
  status: Finding['status'] = 'preliminary',
): Finding {
  return {
    id: `${key}-${eye}`,
    analysisId: 'an-1',
    studyInstanceUid: '1.2.3.4',
    eye,
    useCase: 'dr-screening',
    key,
    value,
    sourceSopInstanceUids: ['1.2.3'],
    status,
    createdAt: provenance.finishedAt,
    provenance,
  };
}

const concept = { value: '71491-5', scheme: 'LN', meaning: 'DR severity' };
const icdr = (eye: Eye, level: number, status?: Finding['status']): Finding =>
  finding(eye, 'icdr', { kind: 'classification', concept, value: grades[level]!, confidence: 0.9 }, status);
const dme = (eye: Eye, status?: Finding['status']): Finding =>
  finding(
    eye,
    'dme',
    {
      kind: 'classification',
      concept: { value: '71489-9', scheme: 'LN', meaning: 'Macular edema' },
      value: { value: '312912001', scheme: 'SCT', meaning: 'Macular edema due to diabetes mellitus' },
      confidence: 0.8,
    },
    status,
  );
const ungradable = (eye: Eye): Finding =>
  finding(eye, 'gradability', {
    kind: 'quality',
    verdict: 'ungradable',
    score: 0,
    reasons: ['blur'],
    components: {},
  });

describe('DR screening recommendation (standards-reference §B.4)', () => {
  it('follows the worse eye through the ADA table', () => {
    assert.equal(
      drRecommendation([icdr('R', 0), icdr('L', 0)]),
      'Recommendation (No apparent retinopathy (right eye)): eye examination by an ophthalmologist within 12 ' +
        'months; follow-up every 12–24 months.',
    );
    assert.match(
      drRecommendation([icdr('R', 1), icdr('L', 0)])!,
      /Mild .*right eye.*within 12 months; follow-up every 12 months/u,
    );
    assert.match(
      drRecommendation([icdr('R', 0), icdr('L', 2)])!,
      /Moderate .*left eye.*within 3 months; follow-up every 6–9 months/u,
    );
    assert.match(
      drRecommendation([icdr('R', 3), icdr('L', 4)])!,
      /Proliferative .*left eye.*refer to an ophthalmologist now; follow-up every 3 months/u,
    );
    assert.match(
      drRecommendation([icdr('R', 1), dme('R'), icdr('L', 1)])!,
      /macular oedema suspected \(right eye\).*within 3 months; follow-up every 6 months/u,
    );
  });

  it('uses the reviewed values: a modified grade counts as modified, a rejected finding not at all', () => {
    const modified = { ...icdr('R', 3), status: 'modified' as const, value: icdr('R', 1).value };
    assert.match(drRecommendation([modified, icdr('L', 0)])!, /Mild/u);
    assert.match(drRecommendation([icdr('R', 1), dme('R', 'rejected'), icdr('L', 0)])!, /Mild.*12 months/u);
  });

  it('asks for recapture while an eye is ungradable, whatever the other eye shows', () => {
    assert.equal(
      drRecommendation([icdr('R', 0), ungradable('L')]),
      'Recommendation: recapture the left eye (ungradable) within 1 month; no screening outcome until every eye ' +
        'is graded.',
    );
  });

  it('takes a site table, and the draft ends its DR section with the recommendation', () => {
    const table = {
      ...defaultDrFollowUpTable,
      moderate: { referWithinMonths: 'immediate' as const, followUpMonths: [3, 3] as const },
    };
    assert.match(
      drRecommendation([icdr('R', 2)], table)!,
      /refer to an ophthalmologist now; follow-up every 3 months/u,
    );
    const draft = draftReport([icdr('R', 2), icdr('L', 0)], table);
    assert.match(
      draft,
      /^Diabetic retinopathy screening\nRight eye: .*\nLeft eye: .*\nRecommendation \(Moderate/mu,
    );
    assert.equal(drRecommendation([]), undefined);
  });

  it('names each eye once: a laterality-specific concept loses its eye prefix in the draft', () => {
    const lateral = (eye: Eye, level: number): Finding =>
      finding(eye, 'icdr', {
        kind: 'classification',
        concept: {
          value: eye === 'R' ? '71491-5' : '71490-7',
          scheme: 'LN',
          meaning: `${eye === 'R' ? 'Right' : 'Left'} eye Diabetic retinopathy severity level by Ophthalmoscopy`,
        },
        value: grades[level]!,
        confidence: 0.9,
      });
    const draft = draftReport([lateral('R', 1), lateral('L', 0)]);
    assert.match(
      draft,
      /^Right eye: Diabetic retinopathy severity level by Ophthalmoscopy: Mild nonproliferative retinopathy due to diabetes mellitus \[AI, not reviewed\]\.$/mu,
    );
    assert.match(
      draft,
      /^Left eye: Diabetic retinopathy severity level by Ophthalmoscopy: No apparent retinopathy/mu,
    );
    assert.doesNotMatch(draft, /eye: (Right|Left) eye/u);
  });
});
