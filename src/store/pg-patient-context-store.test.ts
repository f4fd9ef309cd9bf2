import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { latestObservation, type ContextObservation } from '../core/patient-context.ts';
import { newUid } from '../core/uid.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { openStore, PgPatientContextStore, type Store } from './index.ts';

function hba1c(id: string, value: number, observedAt: string): ContextObservation {
  return {
    id,
    kind: 'lab',
    system: 'http://loinc.org',
    code: '4548-4',
    display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
    value,
    unit: '%',
    observedAt: new Date(observedAt),
    status: 'F',
    source: { protocol: 'hl7v2', reference: `MSG-${id}` },
    receivedAt: new Date(),
  };
}

for (const backend of await testBackends()) {
  describe(`PgPatientContextStore on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;
    let context: PgPatientContextStore;

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
      context = new PgPatientContextStore(store.sql);
    });
    after(async () => {
      await store.close();
      await database.dispose();
    });

    it('stores observations once, newest first, and matches issuers safely', async () => {
      const patientId = `P${newUid().slice(-8)}`;
      const a = `o-${newUid()}`;
      const b = `o-${newUid()}`;
      const patient = { patientId, issuer: 'HOSP-A' };
      assert.equal(
        await context.recordObservations(patient, [
          hba1c(a, 7.9, '2026-01-10T09:00:00Z'),
          hba1c(b, 8.4, '2026-06-01T09:00:00Z'),
        ]),
        2,
      );
      assert.equal(await context.recordObservations(patient, [hba1c(a, 7.9, '2026-01-10T09:00:00Z')]), 0);
      const same = await context.getContext(patient);
      assert.deepEqual(
        same.observations.map((observation) => observation.value),
        [8.4, 7.9],
      );
      assert.equal(latestObservation(same, ['4548-4'])?.value, 8.4);
      assert.equal(
        latestObservation(same, ['4548-4'])?.observedAt?.toISOString(),
        '2026-06-01T09:00:00.000Z',
      );
      assert.equal((await context.getContext({ patientId })).observations.length, 2, 'no issuer matches any');
      assert.equal(
        (await context.getContext({ patientId, issuer: 'HOSP-B' })).observations.length,
        0,
        'another issuer is another patient',
      );
    });

    it('moves a merged patient context to the surviving identifier, orders too', async () => {
      const from = { patientId: `OLD${newUid().slice(-8)}` };
      const to = { patientId: `NEW${newUid().slice(-8)}` };
      await context.recordObservations(from, [hba1c(`o-${newUid()}`, 6.1, '2025-03-01T09:00:00Z')]);
      const accessionNumber = `ACC${newUid().slice(-10)}`;
      await context.recordOrder({
        accessionNumber,
        patient: from,
        placerOrderNumber: 'PO1',
        priority: 'R',
        control: 'NW',
        source: { protocol: 'hl7v2', reference: 'MSG1' },
        receivedAt: new Date(),
      });
      await context.mergePatients(from, to);
      assert.equal((await context.getContext(from)).observations.length, 0);
      assert.equal((await context.getContext(to)).observations.length, 1);
      assert.equal((await context.getOrder(accessionNumber))?.patient.patientId, to.patientId);
      const studyInstanceUid = newUid();
      await context.recordOrder({
        accessionNumber,
        patient: to,
        studyInstanceUid,
        priority: 'S',
        control: 'XO',
        source: { protocol: 'hl7v2', reference: 'MSG2' },
        receivedAt: new Date(),
      });
      const order = await context.getOrder(accessionNumber);
      assert.equal(order?.studyInstanceUid, studyInstanceUid);
      assert.equal(order?.priority, 'S');
      assert.equal(order?.placerOrderNumber, 'PO1', 'an update keeps what it does not restate');
    });
  });
}
