import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  dicomJsonTags as tags,
  getNumber,
  getNumbers,
  getPersonName,
  getSequence,
  getString,
  getStrings,
  isDicomJsonDataset,
  normalizeTag,
  setNumbers,
  setPersonName,
  setSequence,
  setStrings,
  type DicomJsonDataset,
} from './dicom-json.ts';
import { buildStoreInstancesResponse, storeInstancesStatus, type StowPartResult } from './stow-response.ts';

describe('DICOM JSON helpers', () => {
  const dataset: DicomJsonDataset = {
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'DOE^JANE' }] },
    '00100020': { vr: 'LO', Value: ['PID1'] },
    '00080061': { vr: 'CS', Value: ['OP', null, 'OPT'] },
    '00201208': { vr: 'IS', Value: [3] },
    '00201206': { vr: 'IS', Value: ['2 '] },
    '0020000d': { vr: 'UI', Value: ['1.2.3'] },
    '00081199': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['1.2.3.4'] } }] },
    '00080020': { vr: 'DA' },
  };

  test('read values by tag', () => {
    assert.equal(getPersonName(dataset, tags.PatientName), 'DOE^JANE');
    assert.equal(getString(dataset, tags.PatientID), 'PID1');
    assert.deepEqual(getStrings(dataset, tags.ModalitiesInStudy), ['OP', 'OPT']);
    assert.equal(getNumber(dataset, tags.NumberOfStudyRelatedInstances), 3);
    assert.deepEqual(getNumbers(dataset, tags.NumberOfStudyRelatedSeries), [2]);
    assert.equal(getString(dataset, tags.StudyInstanceUID), '1.2.3', 'lower case keys are read too');
    assert.equal(getString(dataset, '(0020,000D)'), '1.2.3');
    assert.equal(
      getString(getSequence(dataset, tags.ReferencedSOPSequence)[0]!, tags.ReferencedSOPInstanceUID),
      '1.2.3.4',
    );
    assert.equal(getString(dataset, tags.StudyDate), undefined);
    assert.equal(getString(dataset, tags.AccessionNumber), undefined);
    assert.deepEqual(getSequence(dataset, tags.PatientName), []);
  });

  test('write values by tag', () => {
    const written: DicomJsonDataset = {};
    setStrings(written, tags.PatientID, 'LO', 'PID2');
    setStrings(written, tags.ModalitiesInStudy, 'CS', ['OP', 'OPT']);
    setStrings(written, tags.AccessionNumber, 'SH', undefined);
    setNumbers(written, tags.FailureReason, 'US', 0xc000);
    setPersonName(written, tags.PatientName, 'ROE^RICHARD');
    setSequence(written, tags.FailedSOPSequence, []);
    assert.deepEqual(written, {
      '00100020': { vr: 'LO', Value: ['PID2'] },
      '00080061': { vr: 'CS', Value: ['OP', 'OPT'] },
      '00080050': { vr: 'SH' },
      '00081197': { vr: 'US', Value: [49152] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'ROE^RICHARD' }] },
      '00081198': { vr: 'SQ' },
    });
    assert.ok(isDicomJsonDataset(written));
    assert.throws(() => {
      setStrings(written, 'PatientID', 'LO', 'x');
    });
  });

  test('normalizeTag', () => {
    assert.equal(normalizeTag('0020000d'), '0020000D');
    assert.equal(normalizeTag('(0020,000d)'), '0020000D');
    assert.equal(normalizeTag('0020,000D'), '0020000D');
    assert.equal(normalizeTag('StudyInstanceUID'), undefined);
    assert.equal(normalizeTag('0020000G'), undefined);
  });

  test('isDicomJsonDataset', () => {
    assert.ok(isDicomJsonDataset(dataset));
    assert.ok(isDicomJsonDataset({}));
    for (const bad of [
      null,
      [],
      'x',
      { PatientID: { vr: 'LO' } },
      { '00100020': { Value: ['x'] } },
      { '00100020': { vr: 'lo' } },
      { '00100020': { vr: 'LO', Value: 'x' } },
      { '00081199': { vr: 'SQ', Value: ['x'] } },
      { '00081199': { vr: 'SQ', Value: [{ bad: 1 }] } },
      { '00100020': { vr: 'LO', Value: [{ x: 1 }] } },
    ]) {
      assert.equal(isDicomJsonDataset(bad), false, JSON.stringify(bad));
    }
  });
});

describe('Store Instances Response', () => {
  const stored: StowPartResult = {
    ok: true,
    sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
    sopInstanceUid: '1.2.3.4.1',
    studyInstanceUid: '1.2.3',
    seriesInstanceUid: '1.2.3.4',
  };
  const warned: StowPartResult = { ...stored, sopInstanceUid: '1.2.3.4.2', warningReason: 0xb000 };
  const failed: StowPartResult = {
    ok: false,
    sopClassUid: stored.sopClassUid,
    sopInstanceUid: '1.2.3.4.3',
    failureReason: 0xa900,
  };
  const unreadable: StowPartResult = { ok: false, failureReason: 0xc000 };

  test('HTTP status per PS3.18 Table 10.5.3-1', () => {
    assert.equal(storeInstancesStatus([stored]), 200);
    assert.equal(storeInstancesStatus([stored, warned]), 202);
    assert.equal(storeInstancesStatus([stored, failed]), 202);
    assert.equal(storeInstancesStatus([failed, unreadable]), 409);
  });

  test('response module with RetrieveURLs, warning and failure reasons', () => {
    const response = buildStoreInstancesResponse([stored, warned, failed, unreadable], {
      retrieveBaseUrl: 'http://h:1/dicomweb/',
    });
    assert.deepEqual(response, {
      '00081190': { vr: 'UR', Value: ['http://h:1/dicomweb/studies/1.2.3'] },
      '00081198': {
        vr: 'SQ',
        Value: [
          {
            '00081150': { vr: 'UI', Value: [stored.sopClassUid] },
            '00081155': { vr: 'UI', Value: ['1.2.3.4.3'] },
            '00081197': { vr: 'US', Value: [0xa900] },
          },
          { '00081150': { vr: 'UI' }, '00081155': { vr: 'UI' }, '00081197': { vr: 'US', Value: [0xc000] } },
        ],
      },
      '00081199': {
        vr: 'SQ',
        Value: [
          {
            '00081150': { vr: 'UI', Value: [stored.sopClassUid] },
            '00081155': { vr: 'UI', Value: ['1.2.3.4.1'] },
            '00081190': {
              vr: 'UR',
              Value: ['http://h:1/dicomweb/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.1'],
            },
          },
          {
            '00081150': { vr: 'UI', Value: [stored.sopClassUid] },
            '00081155': { vr: 'UI', Value: ['1.2.3.4.2'] },
            '00081190': {
              vr: 'UR',
              Value: ['http://h:1/dicomweb/studies/1.2.3/series/1.2.3.4/instances/1.2.3.4.2'],
            },
            '00081196': { vr: 'US', Value: [0xb000] },
          },
        ],
      },
    });
  });

  test('RetrieveURL of the study is empty for several studies, without a base, or when nothing was stored', () => {
    const other: StowPartResult = { ...stored, studyInstanceUid: '9.9', sopInstanceUid: '9.9.1' };
    assert.deepEqual(
      buildStoreInstancesResponse([stored, other], { retrieveBaseUrl: 'http://h' })['00081190'],
      {
        vr: 'UR',
      },
    );
    assert.deepEqual(buildStoreInstancesResponse([stored])['00081190'], { vr: 'UR' });
    const none = buildStoreInstancesResponse([failed], {
      retrieveBaseUrl: 'http://h',
      studyInstanceUid: '1.2.3',
    });
    assert.deepEqual(none['00081190'], { vr: 'UR' });
    assert.equal(none['00081199'], undefined);
  });
});
