/**
 * dr-screening on synthetic phantoms (src/synth, 1024 × 768, every ICDR level, DME, ungradable artefacts):
 * exact ICDR agreement, referable sensitivity and specificity, no ungradable image graded "none". The
 * gradability verdict passed in is the fundus-quality analyzer's (a test may use both analyzers) combined
 * with dr-screening's own checks. The confusion matrix is printed; `npm run bench:dr-screening` runs ≥ 200.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  analyzePhotograph,
  gradeEye,
  gradeOptions,
  type EyeGrade,
} from '../../src/analyzers/dr-screening/index.ts';
import { assessFundusQuality } from '../../src/analyzers/fundus-quality/index.ts';
import { generateFundusPixels } from '../../src/synth/index.ts';
import { confusionLines, phantomFrame, phantomSpecs, sensitivitySpecificity } from './dr-data.ts';

interface Outcome {
  readonly truthIcdr: number;
  readonly truthReferable: boolean;
  readonly truthGradable: boolean;
  readonly grade: EyeGrade;
}

/** Grades one phantom with the combined gradability verdict. */
export function gradePhantom(
  spec: Parameters<typeof generateFundusPixels>[0],
): Outcome & { durationMs: number } {
  const pixels = generateFundusPixels(spec);
  const frame = phantomFrame(pixels);
  const started = performance.now();
  const quality = assessFundusQuality(frame);
  const analysis = analyzePhotograph(frame);
  const reasons = [...quality.reasons, ...analysis.ownQuality.reasons];
  const grade = gradeEye(
    analysis.evidence,
    { verdict: reasons.length > 0 ? 'ungradable' : 'gradable', reasons, score: quality.score },
    gradeOptions,
  );
  return {
    truthIcdr: pixels.truth.icdr,
    truthReferable: pixels.truth.referable,
    truthGradable: pixels.truth.gradable,
    grade,
    durationMs: performance.now() - started,
  };
}

describe('dr-screening on synthetic phantoms', () => {
  const outcomes: Outcome[] = [];
  before(() => {
    for (const spec of phantomSpecs(32, 'dr-test')) {
      outcomes.push(gradePhantom({ ...spec, width: 1024, height: 768 }));
    }
  });

  it('prints the confusion matrix and measures ICDR agreement and referable sensitivity/specificity', (t) => {
    const gradable = outcomes.filter((outcome) => outcome.truthGradable && outcome.grade.gradable);
    const label = (grade: EyeGrade): string => (grade.gradable ? String(grade.icdr) : 'U');
    const pairs = outcomes.map(
      (outcome) => [outcome.truthGradable ? String(outcome.truthIcdr) : 'U', label(outcome.grade)] as const,
    );
    for (const line of confusionLines(
      pairs,
      ['0', '1', '2', '3', '4', 'U'],
      ['0', '1', '2', '3', '4', 'U'],
    )) {
      t.diagnostic(line);
    }
    const exact =
      gradable.filter((outcome) => outcome.grade.icdr === outcome.truthIcdr).length / gradable.length;
    const referable = sensitivitySpecificity(
      gradable.map((outcome) => [outcome.truthReferable, outcome.grade.referable] as const),
    );
    t.diagnostic(
      `exact ICDR agreement ${exact.toFixed(3)} (${gradable.length} gradable); referable sensitivity ` +
        `${referable.sensitivity.toFixed(3)} (${referable.positives}), specificity ${referable.specificity.toFixed(3)} (${referable.negatives})`,
    );
    assert.ok(gradable.length >= 20);
    t.test(
      'exact ICDR agreement ≥ 0.90',
      {
        todo: 'not met (README): new vessels at the disc are found in about half of the PDR phantoms that have them, new vessels elsewhere never, so the other PDR phantoms without a pre-retinal haemorrhage grade as moderate',
      },
      () => {
        assert.ok(exact >= 0.9);
      },
    );
    assert.ok(referable.sensitivity >= 0.97, 'referable sensitivity ≥ 0.97');
    assert.ok(referable.specificity >= 0.9, 'referable specificity ≥ 0.90');
  });

  it('never grades an ungradable phantom "none"', (t) => {
    const ungradable = outcomes.filter((outcome) => !outcome.truthGradable);
    const gradedNone = ungradable.filter((outcome) => outcome.grade.gradable && outcome.grade.icdr === 0);
    t.diagnostic(
      `ungradable phantoms ${ungradable.length}; called ungradable ${ungradable.filter((o) => !o.grade.gradable).length}; graded none ${gradedNone.length}`,
    );
    assert.ok(ungradable.length >= 4);
    assert.equal(gradedNone.length, 0);
  });
});
