/**
 * The review station's value editors against the gateway's own rules, without a browser: the ICDR levels the
 * station offers are the codes dr-screening writes; every value an editor builds from a finding is one the review
 * API accepts as a modification (`core/review.ts` modificationProblem: same kind, concept, unit, image); the
 * latest review of a finding counts, as in the gateway. Fails when either side changes alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  icdrCodes,
  macularEdemaCode,
  macularEdemaConcept,
  severityConcept,
} from '../../src/analyzers/dr-screening/codes.ts';
import type { FindingValue } from '../../src/core/finding.ts';
import { modificationProblem } from '../../src/core/review.ts';
import type { FindingView, ReviewView } from '../../web/src/api.ts';
import {
  editorOf,
  icdrLevelOf,
  icdrLevels,
  withIcdrLevel,
  withMeasurement,
  withQuality,
} from '../../web/src/review-values.ts';
import { latestReviewOf } from '../../web/src/reviews.ts';

function view(value: FindingValue): FindingView {
  return {
    id: 'f-1',
    eye: 'R',
    useCase: 'dr-screening',
    key: 'k',
    value: value as unknown as Record<string, unknown>,
    sourceSopInstanceUids: ['1.2.3'],
    status: 'preliminary',
    aiGenerated: true,
    label: 'AI-generated — verify',
    provenance: {
      analyzer: 'x@1',
      modelHash: 'sha256:0',
      inputSopInstanceUids: ['1.2.3'],
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
    },
  };
}

describe('review station value editors', () => {
  it('offers the five ICDR levels as dr-screening codes them', () => {
    assert.deepEqual(
      icdrLevels.map((entry) => entry.code),
      [0, 1, 2, 3, 4].map((level) => icdrCodes[level as 0 | 1 | 2 | 3 | 4]),
    );
  });

  it('builds ICDR grades the API accepts for both eyes, and reads the level back', () => {
    for (const eye of ['R', 'L'] as const) {
      const ai = view({
        kind: 'classification',
        concept: severityConcept(eye),
        value: icdrCodes[3],
        confidence: 0.9,
      });
      assert.equal(editorOf(ai), 'icdr');
      for (const { level } of icdrLevels) {
        const modified = withIcdrLevel(ai, level);
        assert.equal(
          modificationProblem(ai.value as unknown as FindingValue, modified as unknown as FindingValue),
          undefined,
        );
        assert.equal(icdrLevelOf(modified), level);
        assert.equal(modified.confidence, undefined, "the AI's confidence is not the reviewer's");
      }
    }
  });

  it('offers no editor for other classifications and regions (accept or reject only)', () => {
    const dme = view({ kind: 'classification', concept: macularEdemaConcept('R'), value: macularEdemaCode });
    assert.equal(editorOf(dme), 'none');
    const region = view({
      kind: 'region',
      concept: { value: 'DRS-MA', scheme: '99FOVEA', meaning: 'Microaneurysm' },
      sopInstanceUid: '1.2.3',
      graphicType: 'MULTIPOINT',
      points: [1, 2],
    });
    assert.equal(editorOf(region), 'none');
  });

  it('builds measurements and quality verdicts the API accepts', () => {
    const cst = view({
      kind: 'measurement',
      concept: { value: 'CST', scheme: '99FOVEA', meaning: 'Central subfield thickness' },
      value: 301.2,
      unit: { value: 'um', scheme: 'UCUM', meaning: 'micrometer' },
      qualifier: { value: 'C', scheme: '99FOVEA', meaning: 'central subfield' },
    });
    assert.equal(editorOf(cst), 'measurement');
    const measured = withMeasurement(cst, 312.5);
    assert.equal(
      modificationProblem(cst.value as unknown as FindingValue, measured as unknown as FindingValue),
      undefined,
    );
    assert.deepEqual(measured.qualifier, (cst.value as Record<string, unknown>).qualifier);
    const quality = view({
      kind: 'quality',
      verdict: 'gradable',
      score: 0.8,
      reasons: [],
      components: { blur: 0.9 },
    });
    assert.equal(editorOf(quality), 'quality');
    const ungradable = withQuality(quality, 'ungradable', 'blur');
    assert.equal(
      modificationProblem(quality.value as unknown as FindingValue, ungradable as unknown as FindingValue),
      undefined,
    );
    assert.deepEqual(ungradable.reasons, ['blur']);
    assert.equal(ungradable.score, 0.8, "the AI's measured score is kept");
  });

  it('counts the latest review of each finding', () => {
    const review = (id: string, findingId: string, at: string): ReviewView => ({
      id,
      findingId,
      decision: 'accept',
      reviewer: 'r',
      reviewedAt: at,
    });
    const latest = latestReviewOf([
      review('a', 'f-1', '2026-01-01T00:00:02.000Z'),
      review('b', 'f-1', '2026-01-01T00:00:01.000Z'),
      review('c', 'f-2', '2026-01-01T00:00:01.000Z'),
      review('d', 'f-1', '2026-01-01T00:00:03.000Z'),
    ]);
    assert.equal(latest.get('f-1')?.id, 'd');
    assert.equal(latest.get('f-2')?.id, 'c');
  });
});
