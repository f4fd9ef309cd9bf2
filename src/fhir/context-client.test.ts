/**
 * The FHIR context client against a real (in-memory, third-party) FHIR R4 server seeded with two patients:
 * the patient's HbA1c, prior DR grade and diabetes Condition are read, nothing else (another patient's
 * results, an unrelated Observation, a refuted Condition, an entered-in-error result); the bearer token is
 * sent; answers are cached; an ambiguous identifier gives nothing; a failing server gives FOVEA_FHIR_UNAVAILABLE.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FoveaError } from '../core/errors.ts';
import { startFhirServer, type FhirServerPeer } from '../../test/peers/fhir.ts';
import { FhirContextClient } from './context-client.ts';

const system = 'urn:oid:1.2.826.0.1.3680043.9.7777';

describe('FHIR context client', () => {
  let server: FhirServerPeer;
  before(async () => {
    server = await startFhirServer();
    const patient = await server.create({
      resourceType: 'Patient',
      identifier: [{ system, value: 'P-100' }],
    });
    const other = await server.create({ resourceType: 'Patient', identifier: [{ system, value: 'P-200' }] });
    await server.create({ resourceType: 'Patient', identifier: [{ system, value: 'TWIN' }] });
    await server.create({ resourceType: 'Patient', identifier: [{ system, value: 'TWIN' }] });
    const subject = { reference: `Patient/${String(patient.id)}` };
    const loinc = (code: string, display: string): unknown => ({
      coding: [{ system: 'http://loinc.org', code, display }],
    });
    await server.create({
      resourceType: 'Observation',
      status: 'final',
      code: loinc('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'),
      subject,
      effectiveDateTime: '2026-10-01T08:30:00Z',
      valueQuantity: { value: 8.4, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    });
    await server.create({
      resourceType: 'Observation',
      status: 'entered-in-error',
      code: loinc('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'),
      subject,
      effectiveDateTime: '2026-09-01T08:30:00Z',
      valueQuantity: { value: 12, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    });
    await server.create({
      resourceType: 'Observation',
      status: 'final',
      code: loinc('71491-5', 'Diabetic retinopathy severity, right eye'),
      subject,
      effectiveDateTime: '2025-11-20',
      valueCodeableConcept: {
        coding: [{ system: 'http://snomed.info/sct', code: '312903003' }],
        text: 'mild NPDR',
      },
    });
    await server.create({
      resourceType: 'Observation',
      status: 'final',
      code: loinc('8867-4', 'Heart rate'),
      subject,
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    });
    await server.create({
      resourceType: 'Condition',
      subject,
      code: {
        coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabetes mellitus type 2' }],
      },
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      onsetDateTime: '2019-05-01',
    });
    await server.create({
      resourceType: 'Condition',
      subject,
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10', code: 'E10.9' }] },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'refuted' }],
      },
    });
    await server.create({
      resourceType: 'Observation',
      status: 'final',
      code: loinc('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'),
      subject: { reference: `Patient/${String(other.id)}` },
      valueQuantity: { value: 5.1, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    });
  });
  after(() => server.close());

  it("reads the patient's HbA1c, prior DR grade and diabetes, with the token, and nothing else", async () => {
    const client = new FhirContextClient({
      baseUrl: server.baseUrl,
      token: 'fhir-secret',
      identifierSystem: system,
    });
    const before = server.requests.length;
    const context = await client.fetchContext({ patientId: 'P-100' });
    const summary = context
      .map((entry) => [
        entry.kind,
        entry.code,
        entry.value ?? null,
        entry.unit ?? null,
        entry.eye ?? null,
        entry.status ?? null,
      ])
      .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    assert.deepEqual(summary, [
      ['condition', '44054006', null, null, null, 'active'],
      ['lab', '4548-4', 8.4, '%', null, 'final'],
      ['grade', '71491-5', '312903003', null, 'R', 'final'],
    ]);
    assert.ok(context.every((entry) => entry.source.protocol === 'fhir' && entry.id.startsWith('fhir:')));
    assert.equal(
      context.find((entry) => entry.code === '4548-4')?.observedAt?.toISOString(),
      '2026-10-01T08:30:00.000Z',
    );
    const made = server.requests.slice(before);
    assert.equal(made.length, 3);
    assert.ok(made.every((request) => request.authorization === 'Bearer fhir-secret'));
    assert.match(made[0]!.path, /^\/fhir\/R4\/Patient\?identifier=urn%3Aoid%3A1\.2\.826/u);
    await client.fetchContext({ patientId: 'P-100' });
    assert.equal(server.requests.length, before + 3, 'the second read comes from the cache');
  });

  it('uses a URI issuer as the identifier system, and gives nothing for an unknown or ambiguous identifier', async () => {
    const client = new FhirContextClient({ baseUrl: `${server.baseUrl}/`, cacheSeconds: 0 });
    assert.equal(client.identifierToken({ patientId: 'P-100', issuer: system }), `${system}|P-100`);
    assert.equal(client.identifierToken({ patientId: 'P-100', issuer: 'HOSP A' }), 'P-100');
    assert.equal((await client.fetchContext({ patientId: 'P-100', issuer: system })).length, 3);
    assert.deepEqual(await client.fetchContext({ patientId: 'NOBODY', issuer: system }), []);
    assert.deepEqual(await client.fetchContext({ patientId: 'TWIN', issuer: system }), []);
  });

  it('reports a server that fails as FOVEA_FHIR_UNAVAILABLE, and one that is down too', async () => {
    const client = new FhirContextClient({
      baseUrl: server.baseUrl,
      identifierSystem: system,
      cacheSeconds: 0,
    });
    server.failNext(1, 503);
    await assert.rejects(client.fetchContext({ patientId: 'P-100' }), (error: unknown) => {
      assert.ok(error instanceof FoveaError);
      assert.equal(error.code, 'FOVEA_FHIR_UNAVAILABLE');
      assert.match(error.detail ?? '', /503/u);
      return true;
    });
    const down = new FhirContextClient({ baseUrl: 'http://127.0.0.1:9/fhir', timeoutMs: 2000 });
    await assert.rejects(down.fetchContext({ patientId: 'P-100' }), /FHIR server did not answer/u);
  });
});
