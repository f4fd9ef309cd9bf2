/**
 * The outbound message builders, field by field: ORU^R01 results (preliminary, final, corrected), the
 * critical-finding alert and the ORM^O01 priority update; delimiters in data escaped (read back by Fovea's
 * parser and by python3-hl7); control IDs and bytes deterministic; UTF-8 with MSH-18 `UNICODE UTF-8`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FoveaError } from '../core/errors.ts';
import type { AnalysisRecord, Finding, FindingDraft } from '../core/finding.ts';
import { encodeHl7, encodeHl7Bytes } from './encode.ts';
import { interpretHl7 } from './interpret.ts';
import type { Hl7Message } from './message.ts';
import { buildOrderPriorityUpdate } from './orm-o01.ts';
import { buildCriticalFindingAlert, buildOruR01, type OruR01Input } from './oru-r01.ts';
import { controlIdFromName, dicomDateTimeToHl7, dicomNameToXpn } from './outbound.ts';
import { parseHl7 } from './parse.ts';
import { python, requirePythonHl7, runAsync } from './test-support.ts';

const provenance = {
  analyzerId: 'dr-screening',
  analyzerVersion: '0.1.0',
  modelHash: 'ab'.repeat(32),
  inputSopInstanceUids: ['1.2.3.1', '1.2.3.2'],
  startedAt: new Date('2026-03-10T09:00:00Z'),
  finishedAt: new Date('2026-03-10T09:00:05Z'),
};

const drafts: FindingDraft[] = [
  {
    eye: 'L',
    useCase: 'dr-screening',
    key: 'icdr',
    value: {
      kind: 'classification',
      concept: { value: '71490-7', scheme: 'LN', meaning: 'Left eye Diabetic retinopathy severity level' },
      value: { value: 'LA18643-9', scheme: 'LN', meaning: 'No apparent retinopathy' },
      confidence: 0.93,
    },
    sourceSopInstanceUids: ['1.2.3.2'],
    triage: { bucket: 'review-and-release', reason: 'no apparent diabetic retinopathy', confidence: 0.93 },
  },
  {
    eye: 'R',
    useCase: 'dr-screening',
    key: 'icdr',
    value: {
      kind: 'classification',
      concept: { value: '71491-5', scheme: 'LN', meaning: 'Right eye Diabetic retinopathy severity level' },
      value: {
        value: '312905005',
        scheme: 'SCT',
        meaning: 'Severe nonproliferative retinopathy due to diabetes mellitus',
      },
      confidence: 0.81,
    },
    sourceSopInstanceUids: ['1.2.3.1'],
    triage: {
      bucket: 'referable',
      reason: 'referable diabetic retinopathy (ICDR level 3)',
      confidence: 0.81,
    },
  },
  {
    eye: 'R',
    useCase: 'dr-screening',
    key: 'cst',
    value: {
      kind: 'measurement',
      concept: { value: '57109-1', scheme: 'LN', meaning: 'Macular grid.center subfield thickness by OCT' },
      value: 331.25,
      unit: { value: 'um', scheme: 'UCUM', meaning: 'micrometre' },
      qualifier: { value: '111929', scheme: 'DCM', meaning: 'Total retinal thickness (ILM to BM)' },
    },
    sourceSopInstanceUids: ['1.2.3.1'],
  },
  {
    eye: 'R',
    useCase: 'dr-screening',
    key: 'lesions-microaneurysm',
    value: {
      kind: 'region',
      concept: { value: 'DRS-MA', scheme: '99FOVEA', meaning: 'Microaneurysm' },
      sopInstanceUid: '1.2.3.1',
      graphicType: 'MULTIPOINT',
      points: [10, 20, 30, 40, 50, 60],
      confidence: 0.7,
    },
    sourceSopInstanceUids: ['1.2.3.1'],
  },
  {
    eye: 'L',
    useCase: 'dr-screening',
    key: 'gradability',
    value: { kind: 'quality', verdict: 'ungradable', score: 0.2, reasons: ['blur'], components: {} },
    sourceSopInstanceUids: ['1.2.3.2'],
    triage: { bucket: 'recapture', reason: 'ungradable (blur)' },
  },
];

function analysisWith(
  status: (finding: FindingDraft) => Finding['status'] = () => 'preliminary',
): AnalysisRecord {
  const findings: Finding[] = drafts.map((draft, index) => ({
    ...draft,
    id: `f-${index + 1}`,
    studyInstanceUid: '1.2.840.99.1',
    analysisId: 'an-0123456789abcdef',
    provenance,
    status: status(draft),
    createdAt: provenance.finishedAt,
  }));
  return {
    id: 'an-0123456789abcdef',
    studyInstanceUid: '1.2.840.99.1',
    analyzerId: 'dr-screening',
    analyzerVersion: '0.1.0',
    useCase: 'dr-screening',
    phase: 'assistive',
    status: 'succeeded',
    findings,
    raw: {},
    provenance,
  };
}

const input: OruR01Input = {
  endpoints: { sendingFacility: 'EYE-CLINIC', receivingApplication: 'RIS', receivingFacility: 'HOSP' },
  controlId: controlIdFromName('oru:an-0123456789abcdef:preliminary:ris'),
  messageDateTime: new Date('2026-03-10T09:00:05Z'),
  patient: {
    patientId: 'PAT-001',
    issuerOfPatientId: 'HOSP-MRN',
    patientName: 'Müller^Anna^Maria^Dr^PhD',
    birthDate: '19600101',
    sex: 'F',
  },
  study: {
    studyInstanceUid: '1.2.840.99.1',
    accessionNumber: 'ACC-42',
    studyDate: '20260310',
    studyTime: '083015.123',
  },
  analysis: analysisWith(),
  status: 'preliminary',
  useCaseText: 'Diabetic retinopathy screening',
};

/** The message as Fovea's own (lenient, independent of the builder) parser reads its bytes. */
function reread(message: Hl7Message): Hl7Message {
  return parseHl7(encodeHl7Bytes(message));
}

describe('ORU^R01 results', () => {
  const directories: string[] = [];
  after(() => {
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('writes MSH, PID, ORC and OBR field by field', () => {
    const m = reread(buildOruR01(input));
    assert.deepEqual(
      m.segments.map((segment) => segment.name),
      ['MSH', 'PID', 'ORC', 'OBR', 'NTE', 'OBX', 'NTE', 'OBX', 'OBX', 'NTE', 'OBX', 'NTE', 'OBX', 'NTE'],
    );
    assert.equal(m.get('MSH-3'), 'FOVEA');
    assert.equal(m.get('MSH-4'), 'EYE-CLINIC');
    assert.equal(m.get('MSH-5'), 'RIS');
    assert.equal(m.get('MSH-6'), 'HOSP');
    assert.equal(m.get('MSH-7'), '20260310090005+0000');
    assert.equal(m.messageType, 'ORU^R01');
    assert.equal(m.get('MSH-9.3'), 'ORU_R01');
    assert.equal(m.controlId, input.controlId);
    assert.match(m.controlId, /^[0-9A-F]{20}$/u);
    assert.equal(m.get('MSH-11'), 'P');
    assert.equal(m.version, '2.5.1');
    assert.equal(m.get('MSH-15'), undefined, 'original acknowledgement mode');
    assert.equal(m.charset, 'UNICODE UTF-8');
    assert.equal(m.get('PID-1'), '1');
    assert.equal(m.get('PID-3.1'), 'PAT-001');
    assert.equal(m.get('PID-3.4'), 'HOSP-MRN');
    assert.equal(m.get('PID-3.5'), 'MR');
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((c) => m.get(`PID-5.${c}`)),
      ['Müller', 'Anna', 'Maria', 'PhD', 'Dr'],
    );
    assert.equal(m.get('PID-7'), '19600101');
    assert.equal(m.get('PID-8'), 'F');
    assert.equal(m.get('ORC-1'), 'RE');
    assert.equal(m.get('ORC-3.1'), 'an-0123456789abcdef');
    assert.equal(m.get('OBR-1'), '1');
    assert.equal(m.get('OBR-3.1'), 'an-0123456789abcdef');
    assert.equal(m.get('OBR-3.2'), 'FOVEA');
    assert.deepEqual(
      [1, 2, 3].map((c) => m.get(`OBR-4.${c}`)),
      ['dr-screening', 'Diabetic retinopathy screening', '99FOVEA'],
    );
    assert.equal(m.get('OBR-7'), '20260310083015');
    assert.equal(m.get('OBR-18'), 'ACC-42');
    assert.equal(m.get('OBR-22'), '20260310090005+0000');
    assert.equal(m.get('OBR-25'), 'P');
    assert.equal(m.get('OBR-32'), undefined);
    assert.match(m.get('NTE-3') ?? '', /^AI-generated result of dr-screening@0\.1\.0 .*not reviewed/u);
  });

  it('writes one OBX per finding, right eye first, with code, eye, value, unit, flag and status', () => {
    const m = reread(buildOruR01(input));
    const rows = m.segmentsNamed('OBX').map((_, index) => {
      const at = (path: string): string | undefined => m.get(`OBX(${index + 1})-${path}`);
      return {
        set: at('1'),
        type: at('2'),
        code: [at('3.1'), at('3.3')].join(' '),
        eye: at('4'),
        value: [at('5.1'), at('5.3')].filter((v) => v !== undefined).join(' '),
        unit: at('6.1'),
        flag: at('8'),
        status: at('11'),
      };
    });
    assert.deepEqual(rows, [
      {
        set: '1',
        type: 'CWE',
        code: '71491-5 LN',
        eye: 'R',
        value: '312905005 SCT',
        unit: undefined,
        flag: 'A',
        status: 'P',
      },
      {
        set: '2',
        type: 'NM',
        code: '57109-1 LN',
        eye: 'R',
        value: '331.25',
        unit: 'um',
        flag: undefined,
        status: 'P',
      },
      {
        set: '3',
        type: 'NM',
        code: 'DRS-MA 99FOVEA',
        eye: 'R',
        value: '3',
        unit: '{count}',
        flag: undefined,
        status: 'P',
      },
      {
        set: '4',
        type: 'CWE',
        code: '71490-7 LN',
        eye: 'L',
        value: 'LA18643-9 LN',
        unit: undefined,
        flag: 'N',
        status: 'P',
      },
      {
        set: '5',
        type: 'CWE',
        code: '111694 DCM',
        eye: 'L',
        value: 'UNGRADABLE 99FOVEA',
        unit: undefined,
        flag: undefined,
        status: 'P',
      },
    ]);
    assert.equal(m.get('OBX(1)-3.2'), 'Right eye Diabetic retinopathy severity level');
    assert.equal(m.get('OBX(2)-6.3'), 'UCUM');
    assert.equal(m.get('OBX(1)-14'), '20260310083015', 'OBX-14: when the images were taken');
    assert.equal(m.get('OBX(1)-19'), '20260310090005+0000', 'OBX-19: when the AI analysed them');
    assert.equal(m.get('OBX(1)-17.1'), 'AI');
    assert.equal(m.get('OBX(1)-17.2'), 'AI-generated (dr-screening@0.1.0)');
    assert.equal(m.get('OBX(1)-17.3'), '99FOVEA');
    assert.equal(m.get('OBX(2)-17(2).1'), '111929', 'the measurement qualifier as a second method');
    assert.equal(m.get('OBX(1)-18.1'), 'dr-screening@0.1.0');
    assert.equal(m.get('OBX(1)-18.2'), 'FOVEA');
    assert.equal(
      m.get('NTE(2)-3'),
      'AI confidence 0.81; worklist: referable (referable diabetic retinopathy (ICDR level 3)).',
    );
    assert.equal(
      m.get('NTE(5)-3'),
      'quality score 0.2; ungradable: blur; worklist: recapture (ungradable (blur)).',
    );
    const raw = encodeHl7(buildOruR01(input)).split('\r');
    assert.equal(
      raw.find((line) => line.startsWith('OBX|2|')),
      'OBX|2|NM|57109-1^Macular grid.center subfield thickness by OCT^LN|R|331.25|um^micrometre^UCUM|||||P|||' +
        '20260310083015|||AI^AI-generated (dr-screening@0.1.0)^99FOVEA~111929^Total retinal thickness (ILM to BM)^DCM|' +
        'dr-screening@0.1.0^FOVEA|20260310090005+0000',
    );
  });

  it('flags a measurement the site rules make referable or stat, and a stat suggestion AA', () => {
    const analysis = analysisWith();
    const m = reread(
      buildOruR01({
        ...input,
        analysis: {
          ...analysis,
          findings: analysis.findings.map((finding) =>
            finding.key === 'icdr' && finding.eye === 'R'
              ? { ...finding, triage: { bucket: 'stat', reason: 'proliferative DR suspected' } }
              : finding,
          ),
        },
        flags: new Map([['f-3', 'referable']]),
      }),
    );
    assert.equal(m.get('OBX(1)-8'), 'AA');
    assert.equal(m.get('OBX(2)-8'), 'A');
  });

  it('writes final and corrected versions with the signer, rejected findings deleted (D)', () => {
    const signed = analysisWith((draft) => (draft.key === 'gradability' ? 'rejected' : 'accepted'));
    const verifier = { name: 'Reader^Dana', dateTime: new Date('2026-03-11T10:00:00Z') };
    const final = reread(
      buildOruR01({
        ...input,
        analysis: signed,
        status: 'final',
        verifier,
        messageDateTime: verifier.dateTime,
      }),
    );
    assert.equal(final.get('OBR-25'), 'F');
    assert.equal(final.get('OBR-32.1.2'), 'Reader');
    assert.equal(final.get('OBR-32.1.3'), 'Dana');
    assert.deepEqual(
      final.segmentsNamed('OBX').map((_, i) => final.get(`OBX(${i + 1})-11`)),
      ['F', 'F', 'F', 'F', 'D'],
    );
    assert.match(final.get('NTE-3') ?? '', /reviewed and signed by a clinician/u);
    const corrected = reread(buildOruR01({ ...input, analysis: signed, status: 'corrected', verifier }));
    assert.equal(corrected.get('OBR-25'), 'C');
    assert.deepEqual(
      corrected.segmentsNamed('OBX').map((_, i) => corrected.get(`OBX(${i + 1})-11`)),
      ['C', 'C', 'C', 'C', 'D'],
    );
  });

  it('escapes the delimiters in data: Fovea and python3-hl7 read the values back', async (t) => {
    const nasty = {
      ...input,
      patient: { patientId: 'ID|^~\\&1', issuerOfPatientId: 'A&B', patientName: 'O|Brien~X^Ann&Lee' },
      study: { ...input.study, accessionNumber: 'ACC^1|~2&\\' },
    };
    const message = buildOruR01(nasty);
    const text = encodeHl7(message);
    const pid = text.split('\r').find((line) => line.startsWith('PID|'))!;
    assert.equal(pid, 'PID|1||ID\\F\\\\S\\\\R\\\\E\\\\T\\1^^^A\\T\\B^MR||O\\F\\Brien\\R\\X^Ann\\T\\Lee');
    assert.ok(text.includes('|ACC\\S\\1\\F\\\\R\\2\\T\\\\E\\|'), 'OBR-18 escaped');
    const m = reread(message);
    assert.equal(m.get('PID-3.1'), 'ID|^~\\&1');
    assert.equal(m.get('PID-3.4'), 'A&B');
    assert.equal(m.get('PID-5.1'), 'O|Brien~X');
    assert.equal(m.get('PID-5.2'), 'Ann&Lee');
    assert.equal(m.get('OBR-18'), 'ACC^1|~2&\\');
    if (!requirePythonHl7(t)) {
      return;
    }
    const directory = mkdtempSync(join(tmpdir(), 'fovea-oru-'));
    directories.push(directory);
    const file = join(directory, 'oru.hl7');
    writeFileSync(file, encodeHl7Bytes(message));
    const read = await runAsync(python, [
      '-c',
      `import hl7, json, sys
m = hl7.parse(open(sys.argv[1], encoding='utf-8', newline='').read())
print(json.dumps([m.extract_field('PID', 1, 3, 1, 1), m.extract_field('PID', 1, 3, 1, 4),
  m.extract_field('PID', 1, 5, 1, 1), m.extract_field('PID', 1, 5, 1, 2), m.extract_field('OBR', 1, 18, 1, 1),
  str(m.segment('MSH')[9]), len(m.segments('OBX'))]))`,
      file,
    ]);
    assert.equal(read.status, 0, read.stderr);
    assert.deepEqual(JSON.parse(read.stdout), [
      'ID|^~\\&1',
      'A&B',
      'O|Brien~X',
      'Ann&Lee',
      'ACC^1|~2&\\',
      'ORU^R01^ORU_R01',
      5,
    ]);
  });

  it('writes UTF-8 bytes and the same bytes and control ID for the same result, another ID per version', () => {
    const bytes = encodeHl7Bytes(buildOruR01(input));
    assert.ok(bytes.includes(Buffer.from('Müller', 'utf8')), 'UTF-8');
    assert.deepEqual(encodeHl7Bytes(buildOruR01(input)), bytes, 'deterministic bytes');
    const ids = [
      controlIdFromName('oru:an-0123456789abcdef:preliminary:ris'),
      controlIdFromName('oru:an-0123456789abcdef:final:ris'),
      controlIdFromName('oru:an-0123456789abcdef:corrected-2:ris'),
      controlIdFromName('oru:an-0123456789abcdef:corrected-3:ris'),
      controlIdFromName('oru:an-0123456789abcdef:preliminary:other-ris'),
    ];
    assert.equal(ids[0], controlIdFromName('oru:an-0123456789abcdef:preliminary:ris'));
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => /^[0-9A-F]{20}$/u.test(id)));
  });

  it('refuses a study without Patient ID and an analysis without findings', () => {
    assert.throws(
      () => buildOruR01({ ...input, patient: { patientId: ' ' } }),
      (error: unknown) =>
        error instanceof FoveaError &&
        error.code === 'FOVEA_MLLP_REQUIRED_FIELD_MISSING' &&
        error.path === 'PID-3',
    );
    assert.throws(
      () => buildOruR01({ ...input, analysis: { ...input.analysis, findings: [] } }),
      (error: unknown) => error instanceof FoveaError && error.path === 'OBX',
    );
  });

  it('converts DICOM dates, times and names', () => {
    assert.equal(dicomDateTimeToHl7('20260310', '0830'), '202603100830');
    assert.equal(dicomDateTimeToHl7('20260310', '08:30:15'), '20260310083015');
    assert.equal(dicomDateTimeToHl7('20260310', '083'), '2026031008');
    assert.equal(dicomDateTimeToHl7('2026-03-10'), undefined);
    assert.deepEqual(dicomNameToXpn('Yamada^Tarou=山田^太郎'), ['Yamada', 'Tarou', '', '', '']);
  });
});

describe('critical-finding alert', () => {
  it('is an ORU^R01 with TQ1 stat, the reason and the coded finding flagged AA', () => {
    const analysis = analysisWith();
    const finding = {
      ...analysis.findings[1]!,
      triage: { bucket: 'stat' as const, reason: 'PDR | suspected' },
    };
    const m = reread(
      buildCriticalFindingAlert({
        endpoints: { receivingApplication: 'ALERTS' },
        controlId: controlIdFromName('alert:x'),
        messageDateTime: provenance.finishedAt,
        patient: input.patient,
        study: input.study,
        alertId: 'alert-1',
        reasons: [{ eye: 'R', reason: 'PDR | suspected', finding, analyzerId: 'dr-screening' }],
      }),
    );
    assert.deepEqual(
      m.segments.map((segment) => segment.name),
      ['MSH', 'PID', 'ORC', 'OBR', 'NTE', 'TQ1', 'OBX', 'OBX'],
    );
    assert.equal(m.messageType, 'ORU^R01');
    assert.equal(m.get('MSH-5'), 'ALERTS');
    assert.equal(m.get('OBR-3.1'), 'alert-1');
    assert.equal(m.get('OBR-4.1'), 'CRITICAL-FINDING');
    assert.equal(m.get('OBR-18'), 'ACC-42');
    assert.equal(m.get('OBR-25'), 'P');
    assert.equal(m.get('TQ1-9.1'), 'S');
    assert.equal(m.get('TQ1-9.3'), 'HL70485');
    assert.match(m.get('NTE-3') ?? '', /not reviewed by a clinician/u);
    assert.deepEqual(
      [m.get('OBX(1)-2'), m.get('OBX(1)-3.1'), m.get('OBX(1)-4'), m.get('OBX(1)-5'), m.get('OBX(1)-8')],
      ['ST', 'CRITICAL-REASON', 'R', 'PDR | suspected', 'AA'],
    );
    assert.deepEqual(
      [m.get('OBX(2)-3.1'), m.get('OBX(2)-4'), m.get('OBX(2)-5.1'), m.get('OBX(2)-8'), m.get('OBX(2)-11')],
      ['71491-5', 'R', '312905005', 'AA', 'P'],
    );
    assert.equal(m.get('OBX(1)-18.1'), 'dr-screening@0.1.0');
  });
});

describe('ORM^O01 order priority update', () => {
  it('changes the order (XO) to STAT in ORC-7, TQ1-9 and OBR-27; Fovea’s inbound side reads it back', () => {
    const message = buildOrderPriorityUpdate({
      endpoints: { receivingApplication: 'RIS' },
      controlId: controlIdFromName('order-priority:x'),
      messageDateTime: provenance.finishedAt,
      patient: input.patient,
      order: {
        accessionNumber: 'ACC-42',
        placerOrderNumber: 'PL-7',
        fillerOrderNumber: 'FI-9',
        procedure: 'Fundus photography',
        studyInstanceUid: '1.2.840.99.1',
      },
      reason: 'right eye: proliferative DR suspected',
    });
    const m = reread(message);
    assert.deepEqual(
      m.segments.map((segment) => segment.name),
      ['MSH', 'PID', 'ORC', 'TQ1', 'OBR', 'NTE', 'ZDS'],
    );
    assert.equal(m.messageType, 'ORM^O01');
    assert.equal(m.get('MSH-9.3'), 'ORM_O01');
    assert.equal(m.get('ORC-1'), 'XO');
    assert.equal(m.get('ORC-2'), 'PL-7');
    assert.equal(m.get('ORC-3'), 'FI-9');
    assert.equal(m.get('ORC-7.6'), 'S');
    assert.equal(m.get('ORC-16.1'), 'STAT-AI');
    assert.equal(m.get('TQ1-9.1'), 'S');
    assert.equal(m.get('OBR-4.2'), 'Fundus photography');
    assert.equal(m.get('OBR-18'), 'ACC-42');
    assert.equal(m.get('OBR-27.6'), 'S');
    assert.equal(m.get('ZDS-1.1'), '1.2.840.99.1');
    assert.equal(m.get('ZDS-1.4'), 'DICOM');
    const read = interpretHl7(m);
    assert.equal(read.kind, 'orders');
    assert.equal(read.kind === 'orders' ? read.orders.length : 0, 1);
    const [order] = read.kind === 'orders' ? read.orders : [];
    assert.equal(order?.accessionNumber, 'ACC-42');
    assert.equal(order?.priority, 'S');
    assert.equal(order?.control, 'XO');
    assert.equal(order?.studyInstanceUid, '1.2.840.99.1');
    assert.equal(order?.placerOrderNumber, 'PL-7');
  });

  it('needs an accession number', () => {
    assert.throws(
      () =>
        buildOrderPriorityUpdate({
          endpoints: {},
          controlId: 'X',
          messageDateTime: provenance.finishedAt,
          patient: input.patient,
          order: { accessionNumber: '', studyInstanceUid: '1.2.3' },
          reason: 'stat',
        }),
      (error: unknown) => error instanceof FoveaError && error.path === 'OBR-18',
    );
  });
});
