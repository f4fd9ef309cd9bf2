/**
 * HL7 v2 results through the outbox, end to end, with python3-hl7 as the receiver (`test/peers/hl7-receiver`,
 * an asyncio MLLP server on loopback that records what python3-hl7 parsed and answers AA):
 *
 * - A referable DR study (synthetic fundus photographs, ICDR 3 right eye; a Patient ID, issuer and name
 *   holding HL7 delimiters) is sent by STOW-RS to a gateway with MLLP destinations; the gateway's dr-screening
 *   (assistive) analyses it and the receiver gets one preliminary ORU^R01, checked
 *   field by field as python3-hl7 read it (MSH-9, PID-3, OBR-4, each OBX-3/5/6/8/11). image-quality stays
 *   silent: nothing of it leaves. A receiver that answers AE twice, and one that is down at first, each end
 *   with exactly one accepted copy (same MSH-10) and one delivered delivery. After review and sign-off the
 *   same receiver gets the final ORU^R01 (OBR-25 F, the signer in OBR-32).
 * - Critical finding: the classical dr-screening does not grade the synthetic proliferative DR as PDR, so after
 *   the gateway's own analysis of a study, a stored analysis with a stat suggestion (PDR, right eye) is
 *   published through the gateway (the outbox level): the study is triaged stat, the alerts destination gets the ORU^R01 alert, the orders destination
 *   the ORM^O01 XO with priority STAT carrying the order numbers the gateway received over HL7 earlier.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AnalysisRecord, Finding } from '../../src/core/finding.ts';
import type { Delivery } from '../../src/core/result-store.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { encodeHl7Bytes, parseHl7, sendMllpMessage } from '../../src/hl7/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { generatePatientStudy, writeObjects, type SynthPatient } from '../../src/synth/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { bearer, getJson, startTestGateway, testIngestToken, waitFor } from '../peers/gateway.ts';
import {
  pythonField,
  segmentNames,
  startHl7Receiver,
  type Hl7Receiver,
  type ReceivedHl7,
} from '../peers/hl7-receiver.ts';
import { freePort, peerInstalled, requirePeer } from '../peers/peers.ts';

interface WrittenStudy {
  readonly directory: string;
  readonly studyInstanceUid: string;
  readonly accessionNumber: string;
  readonly patient: SynthPatient;
  readonly files: string[];
  readonly rightSop: string;
}

/** A synthetic two-eye fundus study whose patient has HL7 delimiters in the Patient ID, issuer and name. */
async function writeStudy(
  seed: number,
  findings: Parameters<typeof generatePatientStudy>[0]['findings'],
  patientId: string,
): Promise<WrittenStudy> {
  const options = { seed, eyes: ['R', 'L'] as const, fundusSize: { width: 768, height: 768 }, findings };
  const plain = await generatePatientStudy(options);
  const patient: SynthPatient = {
    ...plain.patient,
    patientId,
    issuerOfPatientId: 'EYE&HOSP',
    patientName: 'SYNTH|Nunez&Co^Jose~Maria',
  };
  const study = await generatePatientStudy({ ...options, patient });
  const directory = mkdtempSync(join(tmpdir(), 'fovea-hl7-e2e-'));
  const files = (await writeObjects(directory, study.objects)).filter((file) => file.endsWith('.dcm'));
  const right = study.objects.find((object) => object.kind === 'fundus' && object.eye === 'R');
  return {
    directory,
    studyInstanceUid: study.study.studyInstanceUid,
    accessionNumber: study.study.accessionNumber,
    patient,
    files,
    rightSop: right?.sopInstanceUid ?? '',
  };
}

/** The MLLP deliveries of a study. */
async function mllpDeliveries(gateway: Gateway, uid: string): Promise<Delivery[]> {
  return (await gateway.results.listDeliveries(uid)).filter((delivery) => delivery.protocol === 'mllp');
}

/** Waits until the study has `count` MLLP deliveries, all delivered. */
async function allDelivered(gateway: Gateway, uid: string, count: number): Promise<Delivery[]> {
  return waitFor(
    async () => {
      const deliveries = await mllpDeliveries(gateway, uid);
      return deliveries.length === count && deliveries.every((delivery) => delivery.state === 'delivered')
        ? deliveries
        : undefined;
    },
    90_000,
    `${count} MLLP deliveries delivered`,
  );
}

/** The messages a receiver got about one study (PID-3 and the study's accession number in OBR-18). */
function messagesAbout(receiver: Hl7Receiver, study: WrittenStudy, application?: string): ReceivedHl7[] {
  return receiver
    .received()
    .filter(
      (message) =>
        pythonField(message, 'PID', 1, 3) === study.patient.patientId &&
        pythonField(message, 'OBR', 1, 18) === study.accessionNumber &&
        (application === undefined || pythonField(message, 'MSH', 1, 5) === application),
    );
}

/** Every OBX as python3-hl7 read it: OBX-3.1, OBX-3.3, OBX-4, OBX-5.1, OBX-6.1, OBX-8, OBX-11. */
function observations(message: ReceivedHl7): string[][] {
  const count = segmentNames(message).filter((name) => name === 'OBX').length;
  return Array.from({ length: count }, (_, index) =>
    [3, 3.3, 4, 5, 6, 8, 11].map((field) => {
      const [f, c] = field === 3.3 ? [3, 3] : [field, 1];
      return pythonField(message, 'OBX', index + 1, f!, c) ?? '';
    }),
  );
}

/** What each finding must become (the table of docs/conformance/hl7.md §9), independent of the builder. */
function expectedObservation(finding: Finding, status: string): string[] {
  const value = finding.value;
  const flag =
    finding.triage?.bucket === 'stat'
      ? 'AA'
      : finding.triage?.bucket === 'referable'
        ? 'A'
        : finding.triage?.bucket === 'review-and-release' || finding.triage?.bucket === 'routine'
          ? 'N'
          : '';
  switch (value.kind) {
    case 'classification':
      return [value.concept.value, value.concept.scheme, finding.eye, value.value.value, '', flag, status];
    case 'measurement':
      return [
        value.concept.value,
        value.concept.scheme,
        finding.eye,
        String(value.value),
        value.unit.value,
        flag,
        status,
      ];
    case 'region':
      return [
        value.concept.value,
        value.concept.scheme,
        finding.eye,
        String(value.points.length / 2),
        '{count}',
        flag,
        status,
      ];
    case 'quality':
      return ['111694', 'DCM', finding.eye, value.verdict.toUpperCase(), '', flag, status];
  }
}

describe('HL7 v2 results through the outbox to python3-hl7', () => {
  let database: TestDatabase;
  let gateway: Gateway;
  let ris: Hl7Receiver;
  let flaky: Hl7Receiver;
  let down: Hl7Receiver | undefined;
  let downPort = 0;
  const directories: string[] = [];
  let available = true;

  before(async () => {
    available = peerInstalled('python3-hl7');
    if (!available) {
      return;
    }
    database = await createTestDatabase('pglite');
    ris = await startHl7Receiver();
    flaky = await startHl7Receiver({ answers: ['AE', 'AE'] });
    downPort = await freePort();
    const mllp = (id: string, port: number, role: string, application: string): Record<string, unknown> => ({
      id,
      protocol: 'mllp',
      host: '127.0.0.1',
      port,
      role,
      receivingApplication: application,
      receivingFacility: 'EYE-HOSP',
      sendingFacility: 'EYE-CLINIC',
    });
    gateway = await startTestGateway(
      database,
      {
        'delivery.destinations': [
          mllp('ris', ris.port, 'results', 'RIS'),
          mllp('ris-flaky', flaky.port, 'results', 'FLAKY'),
          mllp('ris-down', downPort, 'results', 'DOWN'),
          mllp('alerts', ris.port, 'alerts', 'ALERTS'),
          mllp('orders', ris.port, 'orders', 'RIS-ORDERS'),
        ],
        'delivery.retryBaseSeconds': 0.2,
        'delivery.retryMaxSeconds': 1,
        'delivery.timeoutSeconds': 5,
      },
      { FOVEA_PHASES: 'dr-screening:assistive' },
    );
  });
  after(async () => {
    if (available) {
      await gateway.close();
      await database.dispose();
      await Promise.all([ris.close(), flaky.close(), down?.close()]);
    }
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  async function send(study: WrittenStudy): Promise<void> {
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    const stored = await client.storeInstances(
      study.files.map((file) => readFileSync(file)),
      study.studyInstanceUid,
    );
    assert.equal(stored.status, 200);
    await waitFor(
      async () => (await gateway.store.index.getStudy(study.studyInstanceUid))?.state === 'routed',
      60_000,
      'the study routed',
    );
  }

  /** The gateway's own dr-screening analysis of a study. */
  function drScreening(study: WrittenStudy): Promise<AnalysisRecord> {
    return waitFor(
      () =>
        gateway.results
          .listAnalyses(study.studyInstanceUid)
          .then((analyses) => analyses.find((analysis) => analysis.analyzerId === 'dr-screening')),
      120_000,
      'the gateway’s dr-screening analysis',
    );
  }

  it('delivers the preliminary ORU^R01 of a referable DR study, retries AE and a receiver that is down, then the final one on sign-off', async (t) => {
    if (!requirePeer(t, 'python3-hl7', available)) {
      return;
    }
    const study = await writeStudy(4242, { R: { icdr: 3 }, L: { icdr: 0 } }, 'E2E|42^&~1');
    directories.push(study.directory);
    await send(study);
    const analysis = await drScreening(study);
    const triage = await waitFor(() => gateway.results.getTriage(study.studyInstanceUid), 30_000, 'triage');
    assert.equal(triage.bucket, 'referable', 'dr-screening found the study referable');

    const firstFailure = await waitFor(
      async () =>
        (await mllpDeliveries(gateway, study.studyInstanceUid)).find(
          (delivery) => delivery.destination === 'ris-down' && delivery.attempts >= 1,
        ),
      30_000,
      'a failed attempt to the receiver that is down',
    );
    assert.equal(firstFailure.state, 'pending');
    assert.equal(firstFailure.lastError?.code, 'FOVEA_DELIVERY_FAILED');
    down = await startHl7Receiver({ port: downPort });
    const deliveries = await allDelivered(gateway, study.studyInstanceUid, 3);
    assert.deepEqual(deliveries.map((delivery) => delivery.destination).sort(), [
      'ris',
      'ris-down',
      'ris-flaky',
    ]);

    const [oru, ...others] = messagesAbout(ris, study);
    assert.ok(oru, 'the RIS received the ORU^R01');
    assert.equal(others.length, 0, 'one message only: image-quality is silent and nothing is sent twice');
    assert.equal(oru.ack, 'AA');
    assert.equal(pythonField(oru, 'MSH', 1, 9), 'ORU');
    assert.equal(pythonField(oru, 'MSH', 1, 9, 2), 'R01');
    assert.equal(pythonField(oru, 'MSH', 1, 9, 3), 'ORU_R01');
    assert.equal(pythonField(oru, 'MSH', 1, 3), 'FOVEA');
    assert.equal(pythonField(oru, 'MSH', 1, 4), 'EYE-CLINIC');
    assert.equal(pythonField(oru, 'MSH', 1, 5), 'RIS');
    assert.equal(pythonField(oru, 'MSH', 1, 6), 'EYE-HOSP');
    assert.equal(pythonField(oru, 'MSH', 1, 12), '2.5.1');
    assert.equal(pythonField(oru, 'MSH', 1, 18), 'UNICODE UTF-8');
    assert.equal(
      pythonField(oru, 'PID', 1, 3),
      'E2E|42^&~1',
      'PID-3.1 escaped by Fovea, unescaped by python3-hl7',
    );
    assert.equal(pythonField(oru, 'PID', 1, 3, 4), 'EYE&HOSP');
    assert.equal(pythonField(oru, 'PID', 1, 3, 5), 'MR');
    assert.equal(pythonField(oru, 'PID', 1, 5), 'SYNTH|Nunez&Co');
    assert.equal(pythonField(oru, 'PID', 1, 5, 2), 'Jose~Maria');
    assert.equal(pythonField(oru, 'PID', 1, 7), study.patient.birthDate);
    assert.equal(pythonField(oru, 'PID', 1, 8), study.patient.sex);
    assert.equal(pythonField(oru, 'OBR', 1, 3), analysis.id);
    assert.equal(pythonField(oru, 'OBR', 1, 4), 'dr-screening');
    assert.equal(pythonField(oru, 'OBR', 1, 4, 3), '99FOVEA');
    assert.equal(pythonField(oru, 'OBR', 1, 18), study.accessionNumber);
    assert.equal(pythonField(oru, 'OBR', 1, 25), 'P');
    assert.match(pythonField(oru, 'NTE', 1, 3) ?? '', /^AI-generated result of dr-screening@/u);
    const expected = [
      ...analysis.findings.filter((finding) => finding.eye === 'R'),
      ...analysis.findings.filter((finding) => finding.eye !== 'R'),
    ].map((finding) => expectedObservation(finding, 'P'));
    assert.deepEqual(observations(oru), expected);
    const rightGrade = observations(oru).find((row) => row[0] === '71491-5');
    assert.deepEqual(
      rightGrade && [rightGrade[2], rightGrade[5], rightGrade[6]],
      ['R', 'A', 'P'],
      'right eye referable',
    );
    const leftGrade = observations(oru).find((row) => row[0] === '71490-7');
    assert.deepEqual(leftGrade && [leftGrade[2], leftGrade[5]], ['L', 'N'], 'left eye normal');
    assert.equal(
      pythonField(oru, 'OBX', 1, 17, 2),
      `AI-generated (dr-screening@${analysis.analyzerVersion})`,
    );
    assert.equal(pythonField(oru, 'OBX', 1, 18), `dr-screening@${analysis.analyzerVersion}`);

    const flakyCopies = messagesAbout(flaky, study);
    assert.deepEqual(
      flakyCopies.map((message) => message.ack),
      ['AE', 'AE', 'AA'],
      'two AE answers, then accepted',
    );
    assert.equal(
      new Set(flakyCopies.map((message) => message.controlId)).size,
      1,
      'the same MSH-10 each time',
    );
    assert.deepEqual(
      flakyCopies.map((message) => message.raw),
      [flakyCopies[0]!.raw, flakyCopies[0]!.raw, flakyCopies[0]!.raw],
      'the same message each time',
    );
    const flakyDelivery = deliveries.find((delivery) => delivery.destination === 'ris-flaky')!;
    assert.equal(flakyDelivery.attempts, 3);
    const downCopies = messagesAbout(down, study);
    assert.deepEqual(
      downCopies.map((message) => message.ack),
      ['AA'],
      'the receiver that was down got it once',
    );
    assert.ok(deliveries.find((delivery) => delivery.destination === 'ris-down')!.attempts >= 2);
    t.diagnostic(
      `attempts: ${deliveries.map((delivery) => `${delivery.destination} ${delivery.attempts}`).join(', ')}`,
    );

    const findings = await getJson<{ findings: { id: string }[] }>(
      gateway,
      `/api/studies/${study.studyInstanceUid}/findings`,
    );
    assert.equal(
      findings.body.findings.length,
      analysis.findings.length,
      'the silent findings are not shown',
    );
    for (const finding of findings.body.findings) {
      const review = await fetch(
        `${gateway.httpUrl}/api/studies/${study.studyInstanceUid}/findings/${finding.id}/review`,
        {
          method: 'POST',
          headers: { ...bearer(), 'content-type': 'application/json' },
          body: JSON.stringify({ decision: 'accept' }),
        },
      );
      assert.equal(review.status, 200);
    }
    const signed = await fetch(`${gateway.httpUrl}/api/studies/${study.studyInstanceUid}/sign`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Referable DR, right eye.', signerName: 'Reader^Dana' }),
    });
    assert.equal(signed.status, 200);
    await allDelivered(gateway, study.studyInstanceUid, 6);
    const [, final] = messagesAbout(ris, study);
    assert.ok(final, 'the final ORU^R01');
    assert.notEqual(final.controlId, oru.controlId);
    assert.equal(pythonField(final, 'OBR', 1, 3), analysis.id, 'the same filler order number');
    assert.equal(pythonField(final, 'OBR', 1, 25), 'F');
    assert.equal(pythonField(final, 'OBR', 1, 32, 1, 1, 2), 'Reader');
    assert.deepEqual(
      observations(final),
      expected.map((row) => [...row.slice(0, 6), 'F']),
    );
  });

  it('sends the critical-finding alert and the STAT order update for a study triaged stat (stored stat triage)', async (t) => {
    if (!requirePeer(t, 'python3-hl7', available)) {
      return;
    }
    const study = await writeStudy(4343, { R: { icdr: 0 }, L: { icdr: 0 } }, 'E2E-STAT-7');
    directories.push(study.directory);
    const order = encodeHl7Bytes(
      parseHl7(
        [
          'MSH|^~\\&|HIS|HOSP|FOVEA|EYE|20260310080000||ORM^O01|ORD-NW-1|P|2.3.1',
          'PID|1||E2E-STAT-7^^^HOSP^MR',
          `ORC|NW|PL-77|FI-88`,
          [
            'OBR',
            '1',
            'PL-77',
            'FI-88',
            '92250^Fundus photography^C4',
            ...Array<string>(13).fill(''),
            study.accessionNumber,
          ].join('|'),
          '',
        ].join('\r'),
      ),
    );
    assert.ok(gateway.mllpPort !== undefined);
    const accepted = await sendMllpMessage({
      host: '127.0.0.1',
      port: gateway.mllpPort,
      message: order,
      timeoutMs: 5000,
    });
    assert.equal(accepted.code, 'AA', 'the gateway recorded the order');
    await send(study);
    const own = await drScreening(study);
    await allDelivered(gateway, study.studyInstanceUid, 3);
    assert.notEqual(
      (await gateway.results.getTriage(study.studyInstanceUid))?.bucket,
      'stat',
      'the gateway’s own analysis does not make the study stat',
    );
    const finishedAt = new Date();
    const provenance = {
      analyzerId: 'dr-screening',
      analyzerVersion: '0.1.0',
      modelHash: 'cd'.repeat(32),
      inputSopInstanceUids: [study.rightSop],
      startedAt: finishedAt,
      finishedAt,
    };
    const analysisId = 'an-e2e-stat-4343';
    const pdr: Finding = {
      id: 'fi-e2e-stat-4343-r',
      studyInstanceUid: study.studyInstanceUid,
      analysisId,
      eye: 'R',
      useCase: 'dr-screening',
      key: 'icdr',
      value: {
        kind: 'classification',
        concept: { value: '71491-5', scheme: 'LN', meaning: 'Right eye Diabetic retinopathy severity level' },
        value: {
          value: '59276001',
          scheme: 'SCT',
          meaning: 'Proliferative retinopathy due to diabetes mellitus',
        },
        confidence: 0.9,
      },
      sourceSopInstanceUids: [study.rightSop],
      triage: { bucket: 'stat', reason: 'proliferative diabetic retinopathy suspected', confidence: 0.9 },
      provenance,
      status: 'preliminary',
      createdAt: finishedAt,
    };
    const record: AnalysisRecord = {
      id: analysisId,
      studyInstanceUid: study.studyInstanceUid,
      analyzerId: 'dr-screening',
      analyzerVersion: '0.1.0',
      useCase: 'dr-screening',
      phase: 'assistive',
      status: 'succeeded',
      findings: [pdr],
      raw: {},
      provenance,
    };
    assert.ok(await gateway.results.saveAnalysis(record));
    await gateway.publish(record);
    assert.equal((await gateway.results.getTriage(study.studyInstanceUid))?.bucket, 'stat');
    await allDelivered(gateway, study.studyInstanceUid, 8);
    await gateway.publish(record);
    assert.equal(
      (await mllpDeliveries(gateway, study.studyInstanceUid)).length,
      8,
      'three results messages of each analysis, one alert, one priority update; publishing again adds nothing',
    );

    const [alert, ...moreAlerts] = messagesAbout(ris, study, 'ALERTS');
    assert.ok(alert, 'the alert');
    assert.equal(moreAlerts.length, 0);
    assert.equal(pythonField(alert, 'MSH', 1, 9), 'ORU');
    assert.equal(pythonField(alert, 'MSH', 1, 9, 2), 'R01');
    assert.equal(pythonField(alert, 'PID', 1, 3), 'E2E-STAT-7');
    assert.equal(pythonField(alert, 'OBR', 1, 4), 'CRITICAL-FINDING');
    assert.equal(pythonField(alert, 'TQ1', 1, 9), 'S');
    assert.deepEqual(observations(alert), [
      ['CRITICAL-REASON', '99FOVEA', 'R', 'proliferative diabetic retinopathy suspected', '', 'AA', 'P'],
      ['71491-5', 'LN', 'R', '59276001', '', 'AA', 'P'],
    ]);

    const orders = ris
      .received()
      .filter(
        (message) =>
          pythonField(message, 'MSH', 1, 5) === 'RIS-ORDERS' &&
          pythonField(message, 'OBR', 1, 18) === study.accessionNumber,
      );
    assert.equal(orders.length, 1, 'one priority update');
    const update = orders[0]!;
    assert.equal(pythonField(update, 'MSH', 1, 9), 'ORM');
    assert.equal(pythonField(update, 'MSH', 1, 9, 2), 'O01');
    assert.equal(pythonField(update, 'PID', 1, 3), 'E2E-STAT-7');
    assert.equal(pythonField(update, 'ORC', 1, 1), 'XO');
    assert.equal(pythonField(update, 'ORC', 1, 2), 'PL-77', 'the placer number received over HL7');
    assert.equal(pythonField(update, 'ORC', 1, 3), 'FI-88');
    assert.equal(pythonField(update, 'ORC', 1, 7, 6), 'S');
    assert.equal(pythonField(update, 'TQ1', 1, 9), 'S');
    assert.equal(pythonField(update, 'OBR', 1, 4, 2), 'Fundus photography');
    assert.equal(pythonField(update, 'OBR', 1, 27, 6), 'S');
    assert.equal(pythonField(update, 'ZDS', 1, 1), study.studyInstanceUid);
    assert.match(
      pythonField(update, 'NTE', 1, 3) ?? '',
      /right eye: proliferative diabetic retinopathy suspected/u,
    );

    const results = messagesAbout(ris, study, 'RIS');
    assert.deepEqual(
      results.map((message) => pythonField(message, 'OBR', 1, 3)).sort(),
      [analysisId, own.id].sort(),
    );
    const stored = results.find((message) => pythonField(message, 'OBR', 1, 3) === analysisId)!;
    assert.deepEqual(observations(stored), [['71491-5', 'LN', 'R', '59276001', '', 'AA', 'P']]);
  });
});
