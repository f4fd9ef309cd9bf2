/**
 * FHIR results through the outbox, end to end: with `fhir.deliverResults`, a fundus study sent by `storescu`
 * gets its preliminary DiagnosticReport and Observations in a FHIR R4 server on loopback (the in-memory
 * third-party server of test/peers/fhir.ts, which validates every resource it stores; the test validates them
 * again with two validators); a server answering 503 is retried and still ends with one copy; after review and
 * sign-off the same resources are final and a Provenance records the signer. A referable DR study graded by the
 * gateway's dr-screening gets a valid DR severity Observation per eye (LOINC 71491-5 / 71490-7, bodySite).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { startFhirServer, validateFhir, type FhirServerPeer } from '../peers/fhir.ts';
import { bearer, getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { requirePeer } from '../peers/peers.ts';
import { storescuSend, writeFundusStudy } from '../peers/results.ts';

interface Bundle {
  entry?: { resource: Record<string, unknown> }[];
}

describe('FHIR results through the outbox', () => {
  let database: TestDatabase;
  let fhir: FhirServerPeer;
  let gateway: Gateway;
  const directories: string[] = [];

  before(async () => {
    database = await createTestDatabase('pglite');
    fhir = await startFhirServer();
    gateway = await startTestGateway(
      database,
      { 'fhir.deliverResults': true, 'delivery.retryBaseSeconds': 0.2 },
      { FOVEA_PHASES: 'image-quality:assistive', FOVEA_FHIR_URL: fhir.baseUrl },
    );
  });
  after(async () => {
    await gateway.close();
    await fhir.close();
    await database.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  async function search(path: string): Promise<Record<string, unknown>[]> {
    const response = await fetch(`${fhir.baseUrl}/${path}`);
    return ((await response.json()) as Bundle).entry?.map((entry) => entry.resource) ?? [];
  }

  async function reportsOf(uid: string): Promise<Record<string, unknown>[]> {
    return (await search('DiagnosticReport?_count=1000')).filter((report) =>
      JSON.stringify(report.imagingStudy ?? '').includes(`urn:oid:${uid}`),
    );
  }

  async function send(seed: number): Promise<string> {
    const study = await writeFundusStudy(seed, 512);
    directories.push(study.directory);
    await storescuSend(gateway.dicomPort, study.files);
    return study.studyInstanceUid;
  }

  async function delivered(uid: string, count: number): Promise<void> {
    await waitFor(
      async () => {
        const deliveries = await getJson<{ deliveries?: { protocol: string; state: string }[] }>(
          gateway,
          `/api/studies/${uid}/deliveries`,
        );
        const fhirDeliveries = (deliveries.body.deliveries ?? []).filter(
          (entry) => entry.protocol === 'fhir',
        );
        return fhirDeliveries.length === count && fhirDeliveries.every((entry) => entry.state === 'delivered')
          ? true
          : undefined;
      },
      60_000,
      `${count} FHIR deliveries delivered`,
    );
  }

  it('delivers valid preliminary results, retries a failing server, and makes them final on sign-off', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const uid = await send(5252);
    await delivered(uid, 1);
    const [report] = await reportsOf(uid);
    assert.ok(report, 'a DiagnosticReport for the study');
    assert.equal(report.status, 'preliminary');
    const observations = await Promise.all(
      (report.result as { reference: string }[]).map(async ({ reference }) => {
        const [type, id] = reference.split('/');
        return (await fhir.read(type!, id!))!;
      }),
    );
    assert.equal(observations.length, 2);
    for (const resource of [report, ...observations]) {
      assert.deepEqual(validateFhir(resource), [], `${String(resource.resourceType)}/${String(resource.id)}`);
    }
    assert.deepEqual(
      observations
        .map((observation) => (observation.bodySite as { coding: { code: string }[] }).coding[0]!.code)
        .sort(),
      ['362502000', '362503005'],
    );
    assert.ok(observations.every((observation) => observation.status === 'preliminary'));

    fhir.failNext(2, 503);
    const retried = await send(5353);
    await delivered(retried, 1);
    assert.equal((await reportsOf(retried)).length, 1, 'one report after the retries');
    t.diagnostic(`FHIR server requests: ${fhir.requests.length}`);

    const findings = await getJson<{ findings: { id: string }[] }>(gateway, `/api/studies/${uid}/findings`);
    for (const finding of findings.body.findings) {
      const review = await fetch(`${gateway.httpUrl}/api/studies/${uid}/findings/${finding.id}/review`, {
        method: 'POST',
        headers: { ...bearer(), 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'accept' }),
      });
      assert.equal(review.status, 200);
    }
    const signed = await fetch(`${gateway.httpUrl}/api/studies/${uid}/sign`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Both eyes gradable.', signerName: 'Reader^Dana' }),
    });
    assert.equal(signed.status, 200);
    await delivered(uid, 2);
    const [final] = await reportsOf(uid);
    assert.ok(final);
    assert.equal(final.id, report.id, 'the same DiagnosticReport, updated');
    assert.equal(final.status, 'final');
    assert.deepEqual(final.resultsInterpreter, [{ display: 'Reader^Dana' }]);
    const provenance = (await search('Provenance?_count=100')).filter((entry) =>
      JSON.stringify(entry.target).includes(`DiagnosticReport/${String(report.id)}`),
    );
    assert.equal(provenance.length, 1);
    assert.deepEqual(validateFhir(provenance[0]), []);
  });

  it('delivers a referable DR study as valid Observations (DR severity per eye) and a DiagnosticReport', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const drDatabase = await createTestDatabase('pglite');
    const drGateway = await startTestGateway(
      drDatabase,
      { 'fhir.deliverResults': true },
      { FOVEA_PHASES: 'dr-screening:assistive', FOVEA_FHIR_URL: fhir.baseUrl },
    );
    try {
      const study = await writeFundusStudy(4242, 768, { R: { icdr: 3 }, L: { icdr: 0 } });
      directories.push(study.directory);
      await storescuSend(drGateway.dicomPort, study.files);
      const uid = study.studyInstanceUid;
      const report = await waitFor(
        async () => (await reportsOf(uid))[0],
        180_000,
        'the DR screening DiagnosticReport in the FHIR server',
      );
      assert.equal(report.status, 'preliminary');
      assert.equal((await drGateway.results.getTriage(uid))?.bucket, 'referable');
      const observations = await Promise.all(
        (report.result as { reference: string }[]).map(async ({ reference }) => {
          const [type, id] = reference.split('/');
          return (await fhir.read(type!, id!))!;
        }),
      );
      for (const resource of [report, ...observations]) {
        assert.deepEqual(
          validateFhir(resource),
          [],
          `${String(resource.resourceType)}/${String(resource.id)}`,
        );
      }
      const severity = (loinc: string) =>
        observations.find((observation) =>
          (observation.code as { coding: { system: string; code: string }[] }).coding.some(
            (coding) => coding.system === 'http://loinc.org' && coding.code === loinc,
          ),
        );
      const right = severity('71491-5');
      const left = severity('71490-7');
      assert.ok(right && left, 'a DR severity Observation per eye');
      assert.equal((right.bodySite as { coding: { code: string }[] }).coding[0]!.code, '362503005');
      assert.equal((left.bodySite as { coding: { code: string }[] }).coding[0]!.code, '362502000');
      t.diagnostic(
        `right eye: ${JSON.stringify((right.valueCodeableConcept as { coding: unknown[] }).coding[0])}; ` +
          `${observations.length} Observations`,
      );
    } finally {
      await drGateway.close();
      await drDatabase.dispose();
    }
  });
});
