/**
 * HL7 v2 patient context end to end: python3-hl7's `mllp_send` sends an ADT^A04 and an ORU^R01 with an HbA1c
 * to Fovea's MLLP server (AA for both); the patient's next fundus study, sent with DCMTK `storescu`, shows the
 * HbA1c in its context; a resent ORU stores nothing twice; an A40 merge moves the context. PGlite and
 * PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { frameMllp } from '../../src/hl7/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { makeOphthalmicPhotograph } from '../fixtures/dicom-files.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { requirePeer, runAsync } from '../peers/peers.ts';

const mllpSend = '/usr/bin/mllp_send';

function framed(...messages: string[]): Buffer {
  return Buffer.concat(messages.map((message) => frameMllp(Buffer.from(message, 'utf8'))));
}

function messages(patientId: string, control: string): { adt: string; oru: string; merge: string } {
  const msh = (type: string, id: string): string =>
    `MSH|^~\\&|LAB|HOSP|FOVEA|EYE|20251201120000||${type}|${id}|P|2.5.1`;
  return {
    adt: [
      msh('ADT^A04^ADT_A01', `${control}-ADT`),
      'EVN|A04|20251201120000',
      `PID|1||${patientId}^^^HOSP^MR||Test^Patient||19600101|F`,
      '',
    ].join('\r'),
    oru: [
      msh('ORU^R01^ORU_R01', `${control}-ORU`),
      `PID|1||${patientId}^^^HOSP^MR`,
      'OBR|1||LAB1|4548-4^HbA1c^LN|||20251130080000',
      'OBX|1|NM|4548-4^Hemoglobin A1c/Hemoglobin.total in Blood^LN||8.2|%^^UCUM|4.0-6.0|H|||F|||20251130083000',
      '',
    ].join('\r'),
    merge: [
      msh('ADT^A40^ADT_A39', `${control}-MRG`),
      'EVN|A40|20251201130000',
      `PID|1||${patientId}-NEW^^^HOSP^MR||Test^Patient`,
      `MRG|${patientId}^^^HOSP^MR`,
      '',
    ].join('\r'),
  };
}

async function send(
  gateway: Gateway,
  directory: string,
  name: string,
  ...texts: string[]
): Promise<string[]> {
  const file = join(directory, name);
  writeFileSync(file, framed(...texts));
  const result = await runAsync(mllpSend, ['-p', String(gateway.mllpPort), '-f', file, '127.0.0.1']);
  assert.equal(result.status, 0, result.output);
  return result.stdout.split('\n').filter((line) => line.includes('MSA'));
}

for (const backend of await testBackends()) {
  describe(`HL7 v2 patient context on ${backend}`, () => {
    let database: TestDatabase;
    let gateway: Gateway;
    const directory = mkdtempSync(join(tmpdir(), 'fovea-hl7-'));

    before(async () => {
      database = await createTestDatabase(backend);
      gateway = await startTestGateway(database, {}, { FOVEA_PHASES: 'image-quality:assistive' });
    });
    after(async () => {
      await gateway.close();
      await database.dispose();
      rmSync(directory, { recursive: true, force: true });
    });

    it("shows the HbA1c sent over MLLP in the patient's next study, once however often it is sent", async (t) => {
      if (!requirePeer(t, 'python3-hl7') || !requirePeer(t, 'dcmtk')) {
        return;
      }
      const patientId = `HL7${Date.now()}`;
      const { adt, oru } = messages(patientId, `C${Date.now()}`);
      const acks = await send(gateway, directory, 'adt-oru.hl7', adt, oru);
      assert.equal(acks.length, 2, acks.join('\n'));
      assert.ok(
        acks.every((line) => /MSA\|AA\|/u.test(line)),
        acks.join('\n'),
      );
      const again = await send(gateway, directory, 'oru-again.hl7', oru);
      assert.match(again[0] ?? '', /MSA\|AA\|/u);

      const photograph = await makeOphthalmicPhotograph({ patientId, eye: 'R' });
      const file = join(directory, 'fundus.dcm');
      writeFileSync(file, photograph.part10);
      const stored = await runAsync('storescu', [
        '-aec',
        'FOVEA',
        '127.0.0.1',
        String(gateway.dicomPort),
        file,
      ]);
      assert.equal(stored.status, 0, stored.output);
      const detail = await waitFor(
        async () => {
          const response = await getJson<{
            study: { state: string };
            context: {
              code: string;
              value: number;
              unit: string;
              observedAt: string;
              source: { protocol: string };
            }[];
          }>(gateway, `/api/studies/${photograph.studyInstanceUid}`);
          return response.status === 200 && response.body.study.state === 'routed'
            ? response.body
            : undefined;
        },
        30_000,
        'the study to be routed',
      );
      assert.deepEqual(
        detail.context.map((entry) => [entry.code, entry.value, entry.unit, entry.source.protocol]),
        [['4548-4', 8.2, '%', 'hl7v2']],
        'the HbA1c once, although the ORU came twice',
      );
      // OBX-14 has no offset: it is read as the Fovea host's local time.
      assert.equal(detail.context[0]!.observedAt, new Date('2025-11-30T08:30:00').toISOString());
    });

    it('moves the context to the surviving identifier on an A40 merge', async (t) => {
      if (!requirePeer(t, 'python3-hl7')) {
        return;
      }
      const patientId = `MRG${Date.now()}`;
      const { oru, merge } = messages(patientId, `M${Date.now()}`);
      const acks = await send(gateway, directory, 'merge.hl7', oru, merge);
      assert.ok(
        acks.every((line) => /MSA\|AA\|/u.test(line)),
        acks.join('\n'),
      );
      const survivor = await gateway.store.sql.query<{ patient_id: string }>(
        'SELECT patient_id FROM patient_observation WHERE patient_id IN ($1, $2)',
        [patientId, `${patientId}-NEW`],
      );
      assert.deepEqual(
        survivor.rows.map((row) => row.patient_id),
        [`${patientId}-NEW`],
      );
    });
  });
}
