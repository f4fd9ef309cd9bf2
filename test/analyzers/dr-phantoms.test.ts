/**
 * dr-screening on synthetic phantoms — issue 6's acceptance set: 200 phantoms (src/synth) at 2000 × 2000, a
 * screening camera's resolution and the size of the speed target, every ICDR level, DME on a third of levels
 * ≥ 2, one in eight with an ungradable artefact. Exact ICDR agreement ≥ 0.90, referable sensitivity ≥ 0.97
 * and specificity ≥ 0.90, no ungradable image graded "none"; the confusion matrix is printed. The gradability
 * verdict is fundus-quality's combined with dr-screening's own checks. `npm run bench:dr-screening` grades the
 * same set (and the same phantoms at 1024 × 768) and times the analysis. None of these seeds was used to set a
 * threshold (development phantoms are `nvdev-*`).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  confusionLines,
  gradePhantom,
  label,
  phantomSpecs,
  sensitivitySpecificity,
  type PhantomOutcome,
} from './dr-data.ts';

describe('dr-screening on synthetic phantoms (200 at 2000 × 2000)', () => {
  const outcomes: PhantomOutcome[] = [];
  before(() => {
    for (const spec of phantomSpecs(200, 'bench')) {
      outcomes.push(gradePhantom({ ...spec, width: 2000, height: 2000 }));
    }
  });

  it('prints the confusion matrix; exact ICDR agreement ≥ 0.90, referable sensitivity ≥ 0.97 and specificity ≥ 0.90', (t) => {
    const gradable = outcomes.filter((outcome) => outcome.truthGradable && outcome.grade.gradable);
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
    assert.ok(gradable.length >= 150);
    assert.ok(exact >= 0.9, `exact ICDR agreement ${exact.toFixed(3)}`);
    assert.ok(referable.sensitivity >= 0.97, 'referable sensitivity ≥ 0.97');
    assert.ok(referable.specificity >= 0.9, 'referable specificity ≥ 0.90');
  });

  it('calls every ungradable phantom ungradable, so none is graded "none"', (t) => {
    const ungradable = outcomes.filter((outcome) => !outcome.truthGradable);
    const graded = ungradable.filter((outcome) => outcome.grade.gradable);
    t.diagnostic(
      `ungradable phantoms ${ungradable.length}; called ungradable ${ungradable.length - graded.length}; graded none ${graded.filter((o) => o.grade.icdr === 0).length}`,
    );
    assert.ok(ungradable.length >= 20);
    assert.equal(graded.filter((outcome) => outcome.grade.icdr === 0).length, 0);
    assert.equal(graded.length, 0);
  });
});
