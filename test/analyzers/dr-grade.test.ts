/**
 * The dr-screening grading rules (pure): ICDR levels from lesion evidence with the 4-2-1 rule, DME from
 * exudates near the fovea, the referable flag, the follow-up table, and the ungradable rules (an ungradable
 * eye is never "none"; one ungradable and one "none" eye make a recapture patient).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultFollowUpTable,
  gradeEye,
  gradePatient,
  type EyeEvidence,
} from '../../src/analyzers/dr-screening/index.ts';

const none: EyeEvidence = {
  microaneurysms: 0,
  haemorrhages: 0,
  hardExudates: 0,
  cottonWoolSpots: 0,
  haemorrhagesByQuadrant: { superotemporal: 0, superonasal: 0, inferotemporal: 0, inferonasal: 0 },
  venousBeadingQuadrants: 0,
  irmaQuadrants: 0,
  newVesselsAtDisc: false,
  newVesselsElsewhere: false,
  preretinalHaemorrhage: false,
  vitreousHaemorrhage: false,
  exudatesWithinOneDiscDiameter: 0,
  exudatesInvolvingCentre: 0,
  confidence: 0.9,
};

describe('dr-screening grading rules', () => {
  it('grades ICDR levels from the lesions (Wilkinson 2003)', () => {
    assert.equal(gradeEye(none).icdr, 0);
    assert.equal(gradeEye({ ...none, microaneurysms: 3 }).icdr, 1);
    assert.equal(gradeEye({ ...none, microaneurysms: 3, haemorrhages: 1 }).icdr, 2);
    assert.equal(gradeEye({ ...none, cottonWoolSpots: 1 }).icdr, 2);
    assert.equal(gradeEye({ ...none, newVesselsElsewhere: true }).icdr, 4);
    assert.equal(gradeEye({ ...none, preretinalHaemorrhage: true }).urgent, true);
  });

  it('applies the 4-2-1 rule for severe NPDR', () => {
    const over = { superotemporal: 21, superonasal: 22, inferotemporal: 25, inferonasal: 21 };
    assert.equal(gradeEye({ ...none, haemorrhages: 89, haemorrhagesByQuadrant: over }).icdr, 3);
    const three = { ...over, inferonasal: 20 };
    assert.equal(gradeEye({ ...none, haemorrhages: 88, haemorrhagesByQuadrant: three }).icdr, 2);
    assert.equal(gradeEye({ ...none, haemorrhages: 5, venousBeadingQuadrants: 2 }).icdr, 3);
    assert.equal(gradeEye({ ...none, haemorrhages: 5, venousBeadingQuadrants: 1 }).icdr, 2);
    const irma = gradeEye({ ...none, haemorrhages: 5, irmaQuadrants: 1 });
    assert.deepEqual([irma.icdr, irma.severeCriteria], [3, ['irma-1-quadrant']]);
    const recall = gradeEye(
      {
        ...none,
        haemorrhages: 64,
        haemorrhagesByQuadrant: { superotemporal: 16, superonasal: 16, inferotemporal: 16, inferonasal: 16 },
      },
      undefined,
      { haemorrhageRecall: 0.75 },
    );
    assert.equal(recall.icdr, 3);
  });

  it('flags DME and referable eyes, with the follow-up of the more urgent finding', () => {
    const dme = gradeEye({ ...none, microaneurysms: 2, hardExudates: 3, exudatesWithinOneDiscDiameter: 2 });
    assert.deepEqual([dme.icdr, dme.dme, dme.referable], [2, 'non-centre-involved', true]);
    const centre = gradeEye({
      ...none,
      hardExudates: 3,
      exudatesWithinOneDiscDiameter: 2,
      exudatesInvolvingCentre: 1,
    });
    assert.equal(centre.dme, 'centre-involved');
    assert.equal(centre.followUp.referWithinMonths, 'immediate');
    assert.deepEqual(centre.followUp.followUpMonths, [1, 4]);
    assert.equal(gradeEye({ ...none, microaneurysms: 5 }).referable, false);
    assert.deepEqual(gradeEye(none).followUp.followUpMonths, defaultFollowUpTable.none.followUpMonths);
    const custom = {
      ...defaultFollowUpTable,
      none: { referWithinMonths: 24, followUpMonths: [24, 24] as const },
    };
    assert.deepEqual(gradeEye(none, undefined, { followUpTable: custom }).followUp.followUpMonths, [12, 24]);
  });

  it('never grades an ungradable eye "none", and makes one ungradable + one none patient a recapture', () => {
    const ungradable = gradeEye(none, { verdict: 'ungradable', reasons: ['blur'] });
    assert.equal(ungradable.icdr, undefined);
    assert.equal(ungradable.gradable, false);
    assert.equal(ungradable.recapture, true);
    assert.equal(gradeEye(undefined).gradable, false);
    const patient = gradePatient([gradeEye(none), ungradable]);
    assert.equal(patient.outcome, 'recapture');
    assert.notEqual(patient.outcome, 'non-referable');
    const worse = gradePatient([gradeEye(none), gradeEye({ ...none, haemorrhages: 2 })]);
    assert.deepEqual([worse.icdr, worse.outcome], [2, 'referable']);
    assert.equal(gradePatient([ungradable, gradeEye({ ...none, newVesselsAtDisc: true })]).outcome, 'urgent');
    assert.equal(gradePatient([gradeEye(none), gradeEye(none)]).outcome, 'non-referable');
  });
});
