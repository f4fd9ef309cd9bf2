import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import { readContentNode, sequenceItems, stringValue } from './content-tree.ts';
import { preliminaryInput, sampleStudy, testDevice } from './fixtures.test.ts';
import { readDocumentTitle } from './parse-measurement-report.ts';
import { readPart10Dataset } from './part10.ts';
import { sourceStudyContextOf } from './source-study.ts';
import { comprehensive3dSrSopClassUid } from './tid1500-measurement-report.ts';
import {
  buildRejectionNote,
  keyObjectSelectionSopClassUid,
  rejectionTitles,
} from './tid2010-rejection-note.ts';
import type { RejectionNoteInput, RejectionReason } from './tid2010-rejection-note.ts';

async function rejectionInput(reason: RejectionReason = 'quality'): Promise<RejectionNoteInput> {
  const sample = await sampleStudy();
  const report = preliminaryInput(sample);
  return {
    study: sample.context,
    rejected: [
      {
        seriesInstanceUid: report.seriesInstanceUid,
        sopClassUid: comprehensive3dSrSopClassUid,
        sopInstanceUid: report.sopInstanceUid,
      },
    ],
    reason,
    device: testDevice,
    description: 'Withdrawn: replaced by a corrected report.',
    seriesInstanceUid: '2.25.23883516049101662542718413542700470470',
    seriesNumber: 9003,
    sopInstanceUid: '2.25.288117350883186327451311958567891425530',
    instanceNumber: 1,
    contentDateTime: new Date('2026-01-11T08:00:00Z'),
  };
}

describe('TID 2010 rejection note (IOCM)', () => {
  it('is a KOS in the same study whose title gives the reason and whose content references the rejected SR', async () => {
    const input = await rejectionInput();
    const dataset = readPart10Dataset(buildRejectionNote(input));
    assert.equal(stringValue(dataset, 'SOPClassUID'), keyObjectSelectionSopClassUid);
    assert.equal(stringValue(dataset, 'Modality'), 'KO');
    assert.deepEqual(sourceStudyContextOf(dataset), input.study);
    const root = readContentNode(dataset);
    assert.deepEqual(root.concept, {
      value: '113001',
      scheme: 'DCM',
      meaning: 'Rejected for Quality Reasons',
    });
    assert.equal(
      stringValue(sequenceItems(dataset, 'ContentTemplateSequence')[0], 'TemplateIdentifier'),
      '2010',
    );
    const composites = root.children.filter((child) => child.valueType === 'COMPOSITE');
    assert.deepEqual(
      composites.map((child) => [
        child.relationship,
        child.reference?.sopClassUid,
        child.reference?.sopInstanceUid,
      ]),
      [['CONTAINS', comprehensive3dSrSopClassUid, input.rejected[0]?.sopInstanceUid]],
    );
    const evidence = sequenceItems(dataset, 'CurrentRequestedProcedureEvidenceSequence');
    assert.equal(stringValue(evidence[0], 'StudyInstanceUID'), input.study.studyInstanceUid);
    const series = sequenceItems(evidence[0], 'ReferencedSeriesSequence')[0];
    assert.equal(stringValue(series, 'SeriesInstanceUID'), input.rejected[0]?.seriesInstanceUid);
    assert.equal(
      stringValue(sequenceItems(series, 'ReferencedSOPSequence')[0], 'ReferencedSOPInstanceUID'),
      input.rejected[0]?.sopInstanceUid,
    );
    const description = root.children.find((child) => child.concept?.value === '113012');
    assert.equal(description?.relationship, 'CONTAINS');
    assert.equal(description?.text, input.description);
  });

  it('uses the CID 7010 title of each reason', async () => {
    const expected: Record<RejectionReason, string> = {
      quality: '113001',
      'patient-safety': '113037',
      'incorrect-worklist-entry': '113038',
      'retention-expired': '113039',
    };
    for (const reason of Object.keys(rejectionTitles) as RejectionReason[]) {
      const title = readDocumentTitle(buildRejectionNote(await rejectionInput(reason)));
      assert.equal(title?.value, expected[reason], reason);
      assert.equal(title?.scheme, 'DCM');
    }
    assert.equal(rejectionTitles['patient-safety'].meaning, 'Rejected for Patient Safety Reasons');
  });

  it('is deterministic and refuses what IOCM does not allow', async () => {
    const input = await rejectionInput();
    assert.ok(Buffer.from(buildRejectionNote(input)).equals(Buffer.from(buildRejectionNote({ ...input }))));
    const [rejected] = input.rejected;
    assert.ok(rejected);
    const cases: [string, RejectionNoteInput][] = [
      ['nothing rejected', { ...input, rejected: [] }],
      ['other study', { ...input, rejected: [{ ...rejected, studyInstanceUid: '2.25.42' }] }],
      ['itself', { ...input, rejected: [{ ...rejected, sopInstanceUid: input.sopInstanceUid }] }],
      ['bad UID', { ...input, rejected: [{ ...rejected, sopInstanceUid: 'x' }] }],
    ];
    for (const [name, bad] of cases) {
      assert.throws(
        () => buildRejectionNote(bad),
        (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_SR_INVALID',
        name,
      );
    }
  });
});
