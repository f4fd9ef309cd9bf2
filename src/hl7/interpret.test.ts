/**
 * Reading patient identity, merges, orders and lab observations out of accepted messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FoveaError } from '../core/errors.ts';
import { hl7DateTimeToIso, interpretHl7, parseHl7 } from './index.ts';

const msh = (type: string, version = '2.5.1'): string =>
  `MSH|^~\\&|SENDER|HOSP|FOVEA|EYE|20250101120000||${type}|CTRL1|P|${version}`;
const message = (...segments: string[]): ReturnType<typeof parseHl7> => parseHl7(segments.join('\r'));

describe('interpretHl7', () => {
  it('reads patient identity from ADT^A01/A04/A08/A31', () => {
    for (const event of ['A01', 'A04', 'A08', 'A31']) {
      const result = interpretHl7(
        message(
          msh(`ADT^${event}^ADT_A01`),
          'PID|1||99887766^^^NHS&2.16.840.1.113883.2.1.4.1&ISO^NH~PID0001^^^HOSP^MR||Test^Ophthalmic^J||19600131|F',
        ),
      );
      assert.equal(result.kind, 'patient');
      if (result.kind !== 'patient') {
        return;
      }
      assert.deepEqual(result.source, {
        messageType: `ADT^${event}`,
        controlId: 'CTRL1',
        sendingApplication: 'SENDER',
        sendingFacility: 'HOSP',
      });
      assert.deepEqual(result.patient, {
        key: { patientId: 'PID0001', issuer: 'HOSP' },
        identifiers: [
          { id: '99887766', assigningAuthority: 'NHS', identifierType: 'NH' },
          { id: 'PID0001', assigningAuthority: 'HOSP', identifierType: 'MR' },
        ],
        name: { family: 'Test', given: 'Ophthalmic', middle: 'J' },
        birthDate: '1960-01-31',
        sex: 'F',
      });
    }
    const universal = interpretHl7(message(msh('ADT^A04'), 'PID|1||X1^^^&1.2.3&ISO'));
    assert.ok(universal.kind === 'patient');
    assert.deepEqual(universal.patient.key, { patientId: 'X1', issuer: '1.2.3' });
  });

  it('reads merges from ADT^A40 (MRG-1 old identifiers into PID-3)', () => {
    const result = interpretHl7(
      message(
        msh('ADT^A40^ADT_A39'),
        'PID|1||NEW1^^^HOSP^MR',
        'MRG|OLD1^^^HOSP^MR~OLD2^^^HOSP',
        'PID|1||NEW2^^^HOSP',
        'MRG|OLD3',
      ),
    );
    assert.ok(result.kind === 'merge');
    assert.equal(result.merges.length, 2);
    assert.deepEqual(result.merges[0]!.patient.key, { patientId: 'NEW1', issuer: 'HOSP' });
    assert.deepEqual(result.merges[0]!.from, [
      { id: 'OLD1', assigningAuthority: 'HOSP', identifierType: 'MR' },
      { id: 'OLD2', assigningAuthority: 'HOSP' },
    ]);
    assert.deepEqual(result.merges[1]!.from, [{ id: 'OLD3' }]);
    assert.throws(
      () => interpretHl7(message(msh('ADT^A40'), 'PID|1||NEW1', 'MRG|')),
      (error: unknown) => error instanceof FoveaError && error.path === 'MRG(1)-1',
    );
  });

  it('reads ORM^O01 orders: accession from OBR-18, Study Instance UID from ZDS-1, priority from ORC-7', () => {
    const result = interpretHl7(
      message(
        msh('ORM^O01', '2.3.1'),
        'PID|1||PID0001^^^HOSP^MR||Test^Ophthalmic',
        'ORC|NW|PLC123|FIL456||SC||^^^20250101^^S',
        'OBR|1|PLC123|FIL456|OPFUNDUS^Fundus photography^L|||20250101|||||||||||ACC789|RP001',
        'ZDS|1.2.826.0.1.3680043.10.1.1^100^Application^DICOM',
      ),
    );
    assert.ok(result.kind === 'orders');
    assert.deepEqual(result.orders, [
      {
        accessionNumber: 'ACC789',
        control: 'NW',
        placerOrderNumber: 'PLC123',
        fillerOrderNumber: 'FIL456',
        procedure: { code: 'OPFUNDUS', text: 'Fundus photography', system: 'L' },
        requestedProcedureId: 'RP001',
        priority: 'S',
        studyInstanceUid: '1.2.826.0.1.3680043.10.1.1',
      },
    ]);
  });

  it('reads OMI^O23 orders: accession, requested procedure and Study Instance UID from IPC, priority from TQ1-9', () => {
    const result = interpretHl7(
      message(
        msh('OMI^O23^OMI_O23'),
        'PID|1||PID0001^^^HOSP^MR',
        'ORC|NW|P1|F1',
        'TQ1|1||||||||R',
        'OBR|1|P1|F1|92250^Fundus photography^C4',
        'IPC|ACC1|RP1|1.2.3.4.5|SPS1|OP',
        'ORC|CA|P2|F2',
        `OBR|1|P2|F2|92134^OCT^C4${'|'.repeat(14)}ACC2`,
      ),
    );
    assert.ok(result.kind === 'orders');
    assert.deepEqual(
      result.orders.map((order) => [
        order.accessionNumber,
        order.control,
        order.studyInstanceUid,
        order.priority,
        order.modality,
      ]),
      [
        ['ACC1', 'NW', '1.2.3.4.5', 'R', 'OP'],
        ['ACC2', 'CA', undefined, undefined, undefined],
      ],
    );
    assert.equal(result.orders[0]!.requestedProcedureId, 'RP1');
    assert.throws(
      () => interpretHl7(message(msh('ORM^O01'), 'PID|1||P', 'ORC|NW|P1', 'OBR|1|P1')),
      (error: unknown) =>
        error instanceof FoveaError &&
        error.code === 'FOVEA_MLLP_REQUIRED_FIELD_MISSING' &&
        error.path === 'OBR(1)-18',
    );
  });

  it('reads ORU^R01 observations and recognises HbA1c (4548-4, 17856-6)', () => {
    const result = interpretHl7(
      message(
        msh('ORU^R01^ORU_R01'),
        'PID|1||PID0001^^^HOSP^MR',
        'OBR|1||LAB1|4548-4^HbA1c^LN|||20241201080000',
        'OBX|1|NM|4548-4^Hemoglobin A1c/Hemoglobin.total in Blood^LN||7.2|%^percent^UCUM|4.0-6.0|H|||F|||20241201083000+0100',
        'OBX|2|NM|HBA1C^HbA1c IFCC^99LAB^17856-6^HbA1c IFCC^LN||55|mmol/mol^^UCUM||||F',
        'OBX|3|SN|2345-7^Glucose^LN||>^300|mg/dL|||||P',
        'OBX|4|CWE|44249-1^PHQ-9^LN||LA6568-5^Not at all^LN||||||C',
        'OBX|5|ST|X^Comment^L||free \\T\\ text||||||F',
      ),
    );
    assert.ok(result.kind === 'observations');
    const [a, b, c, d, e] = result.observations;
    assert.deepEqual(a, {
      ordinal: 1,
      code: { code: '4548-4', text: 'Hemoglobin A1c/Hemoglobin.total in Blood', system: 'LN' },
      isHba1c: true,
      valueType: 'NM',
      value: 7.2,
      unit: '%',
      abnormalFlags: ['H'],
      status: 'F',
      observedAt: '2024-12-01T08:30:00+01:00',
      panel: { code: '4548-4', text: 'HbA1c', system: 'LN' },
    });
    assert.deepEqual(
      [b!.code.code, b!.isHba1c, b!.value, b!.unit, b!.observedAt],
      ['17856-6', true, 55, 'mmol/mol', '2024-12-01T08:00:00'],
    );
    assert.deepEqual([c!.isHba1c, c!.value, c!.status], [false, '>300', 'P']);
    assert.deepEqual([d!.value, d!.valueText, d!.status], ['LA6568-5', 'Not at all', 'C']);
    assert.equal(e!.value, 'free & text');
  });

  it('answers unsupported for other types and names the missing field otherwise', () => {
    assert.deepEqual(interpretHl7(message(msh('SIU^S12'))).kind, 'unsupported');
    for (const [segments, path] of [
      [[msh('ADT^A01')], 'PID'],
      [[msh('ADT^A01'), 'PID|1||'], 'PID-3'],
      [[msh('ORU^R01'), 'PID|1||P1', 'OBX|1|NM|||5'], 'OBX(1)-3'],
    ] as const) {
      assert.throws(
        () => interpretHl7(message(...segments)),
        (error: unknown) =>
          error instanceof FoveaError &&
          error.code === 'FOVEA_MLLP_REQUIRED_FIELD_MISSING' &&
          error.path === path,
      );
    }
  });

  it('converts HL7 date/times at the precision sent', () => {
    assert.equal(hl7DateTimeToIso('1960'), '1960');
    assert.equal(hl7DateTimeToIso('196001'), '1960-01');
    assert.equal(hl7DateTimeToIso('20250101123456.12-0500'), '2025-01-01T12:34:56.12-05:00');
    assert.equal(hl7DateTimeToIso('202501011234'), '2025-01-01T12:34');
    assert.equal(hl7DateTimeToIso('20251301'), undefined);
    assert.equal(hl7DateTimeToIso('yesterday'), undefined);
  });
});
