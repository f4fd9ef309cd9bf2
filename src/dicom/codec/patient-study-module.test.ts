import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { patientStudyModule, type SourcePatientStudy, type ValueChecks } from './patient-study-module.ts';

const study: SourcePatientStudy = {
  patientName: 'Doe^Jane',
  patientId: 'P1',
  patientBirthDate: '19600102',
  patientSex: 'F',
  studyInstanceUid: '1.2.3',
  studyDate: '20261204',
  studyTime: '101500.25',
  studyId: 'S1',
  accessionNumber: 'A1',
  referringPhysicianName: '',
};

const checks: ValueChecks = {
  text: (value, maxLength, what) => {
    if (value.length > maxLength) {
      throw new Error(`writer's own error: ${what}`);
    }
    return value;
  },
  uid: (value, what) => {
    if (!/^\d+(\.\d+)*$/u.test(value)) {
      throw new Error(`writer's own error: ${what}`);
    }
    return value;
  },
};

describe('patient and general study module of a derived object', () => {
  it('copies the source study, names as PN, an empty name as no value', () => {
    const attributes = patientStudyModule({ ...study, issuerOfPatientId: 'HOSP' }, checks);
    assert.deepEqual(attributes.PatientName, [{ Alphabetic: 'Doe^Jane' }]);
    assert.deepEqual(attributes.ReferringPhysicianName, []);
    assert.equal(attributes.PatientBirthDate, '19600102');
    assert.equal(attributes.StudyTime, '101500.25');
    assert.equal(attributes.IssuerOfPatientID, 'HOSP');
    assert.equal(attributes.StudyDescription, undefined);
  });

  it('writes a malformed Type 2 date, time or sex of the source empty', () => {
    const attributes = patientStudyModule(
      {
        ...study,
        patientBirthDate: '1960-01-02',
        patientSex: 'female',
        studyDate: '4.12.2026',
        studyTime: '10:15',
      },
      checks,
    );
    assert.equal(attributes.PatientBirthDate, '');
    assert.equal(attributes.PatientSex, '');
    assert.equal(attributes.StudyDate, '');
    assert.equal(attributes.StudyTime, '');
  });

  it("throws the writer's own error for a value that does not fit", () => {
    assert.throws(
      () => patientStudyModule({ ...study, studyId: 'S'.repeat(17) }, checks),
      /own error: StudyID/u,
    );
    assert.throws(
      () => patientStudyModule({ ...study, studyInstanceUid: 'x' }, checks),
      /Study Instance UID/u,
    );
  });
});
