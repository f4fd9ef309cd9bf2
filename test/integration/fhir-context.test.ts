/**
 * FHIR patient context end to end: a FHIR R4 server on loopback (the in-memory third-party server of
 * test/peers/fhir.ts) holds a patient's HbA1c, prior DR grade and diabetes; a fundus photograph of that patient
 * sent with DCMTK `storescu` is analysed, and the study's context in the API shows the three items with their
 * FHIR source. While the FHIR server fails, analyses still run (the context is simply not refreshed).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/main/index.ts';
import { makeOphthalmicPhotograph } from '../fixtures/dicom-files.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { startFhirServer, type FhirServerPeer } from '../peers/fhir.ts';
import { getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { requirePeer, runAsync } from '../peers/peers.ts';

const system = 'urn:oid:1.2.826.0.1.3680043.9.7777.2';

interface StudyDetail {
  readonly study: { readonly state: string };
  readonly context: {
    readonly code: string;
    readonly value?: number | string;
    readonly kind: string;
    readonly source: { readonly protocol: string; readonly reference?: string };
  }[];
}

describe('FHIR patient context end to end', () => {
  let database: TestDatabase;
  let fhir: FhirServerPeer;
  let gateway: Gateway;
  const directory = mkdtempSync(join(tmpdir(), 'fovea-fhir-'));

  before(async () => {
    database = await createTestDatabase('pglite');
    fhir = await startFhirServer();
    gateway = await startTestGateway(
      database,
      { 'fhir.identifierSystem': system, 'fhir.cacheSeconds': 0 },
      {
        FOVEA_PHASES: 'image-quality:assistive',
        FOVEA_FHIR_URL: fhir.baseUrl,
        FOVEA_FHIR_TOKEN: 'fhir-test-token',
      },
    );
  });
  after(async () => {
    await gateway.close();
    await fhir.close();
    await database.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  async function sendPhotograph(patientId: string, name: string): Promise<string> {
    const photograph = await makeOphthalmicPhotograph({ patientId, eye: 'R' });
    const file = join(directory, name);
    writeFileSync(file, photograph.part10);
    const stored = await runAsync('storescu', [
      '-aec',
      'FOVEA',
      '127.0.0.1',
      String(gateway.dicomPort),
      file,
    ]);
    assert.equal(stored.status, 0, stored.output);
    return photograph.studyInstanceUid;
  }

  async function analysedDetail(uid: string): Promise<StudyDetail> {
    await waitFor(
      async () => {
        const findings = await getJson<{ findings?: unknown[] }>(gateway, `/api/studies/${uid}/findings`);
        return (findings.body.findings?.length ?? 0) > 0 ? true : undefined;
      },
      60_000,
      'the study analysed',
    );
    return (await getJson<StudyDetail>(gateway, `/api/studies/${uid}`)).body;
  }

  it("shows the patient's HbA1c, prior DR grade and diabetes from FHIR in the analysed study", async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const patientId = `FHIR${Date.now()}`;
    const patient = await fhir.create({
      resourceType: 'Patient',
      identifier: [{ system, value: patientId }],
    });
    const subject = { reference: `Patient/${String(patient.id)}` };
    await fhir.create({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      subject,
      effectiveDateTime: '2026-10-01T08:30:00Z',
      valueQuantity: { value: 9.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    });
    await fhir.create({
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '71490-7' }] },
      subject,
      valueCodeableConcept: { text: 'moderate NPDR' },
    });
    await fhir.create({
      resourceType: 'Condition',
      subject,
      code: {
        coding: [{ system: 'http://snomed.info/sct', code: '46635009', display: 'Diabetes mellitus type 1' }],
      },
    });
    const uid = await sendPhotograph(patientId, 'fundus.dcm');
    const detail = await analysedDetail(uid);
    assert.deepEqual(
      detail.context
        .map((entry) => [entry.kind, entry.code, entry.value ?? null, entry.source.protocol])
        .sort(),
      [
        ['condition', '46635009', null, 'fhir'],
        ['grade', '71490-7', 'moderate NPDR', 'fhir'],
        ['lab', '4548-4', 9.1, 'fhir'],
      ],
    );
    assert.ok(
      fhir.requests.some((request) => request.authorization === 'Bearer fhir-test-token'),
      'the bearer token reaches the FHIR server',
    );
  });

  it('still analyses a study while the FHIR server fails', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    fhir.failNext(1000, 503);
    const before = fhir.requests.length;
    try {
      const uid = await sendPhotograph(`FHIRDOWN${Date.now()}`, 'fundus-down.dcm');
      const detail = await analysedDetail(uid);
      assert.deepEqual(detail.context, []);
      assert.ok(fhir.requests.length > before, 'the FHIR server was asked (and failed)');
    } finally {
      fhir.failNext(0, 503);
    }
  });
});
