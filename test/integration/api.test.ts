/**
 * The HTTP API over a real gateway: health, OpenAPI, problem+json errors, metrics, study listing and detail,
 * routing explanations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import {
  bearer,
  getJson,
  startTestGateway,
  testApiToken,
  testIngestToken,
  waitFor,
} from '../peers/gateway.ts';
import { makeOphthalmicPhotograph } from '../fixtures/dicom-files.ts';

describe('HTTP API', () => {
  let database: TestDatabase;
  let gateway: Gateway;
  const patientId = `API-${Date.now()}`;
  const studyUids: string[] = [];

  before(async () => {
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(database, { 'assembly.quietPeriodSeconds': 3600 });
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    for (let index = 0; index < 3; index++) {
      const fixture = await makeOphthalmicPhotograph({
        patientId,
        eye: index === 0 ? 'L' : 'R',
        accessionNumber: `A${index}`,
      });
      studyUids.push(fixture.studyInstanceUid);
      await client.storeInstances([fixture.part10]);
    }
    await gateway.ingest.flush();
  });
  after(async () => {
    await gateway.close();
    await database.dispose();
  });

  it('reports health', async () => {
    const health = await getJson<{ status: string; checks: Record<string, { ok: boolean }> }>(
      gateway,
      '/api/health',
    );
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
    assert.deepEqual(Object.keys(health.body.checks).sort(), ['database', 'dicom', 'indexQueue', 'spool']);
  });

  it('publishes an OpenAPI document listing the routes', async () => {
    const document = await getJson<{ openapi: string; paths: Record<string, unknown> }>(
      gateway,
      '/api/openapi.json',
    );
    assert.equal(document.body.openapi, '3.1.0');
    for (const path of [
      '/api/health',
      '/api/studies',
      '/api/studies/{StudyInstanceUID}',
      '/api/studies/{StudyInstanceUID}/explain',
      '/dicomweb/studies',
    ]) {
      assert.ok(path in document.body.paths, path);
    }
  });

  it('lists studies with filters and paging', async () => {
    const all = await getJson<{ items: { studyInstanceUid: string; eyes: string[] }[]; total: number }>(
      gateway,
      `/api/studies?patientId=${patientId}&limit=2`,
    );
    assert.equal(all.status, 200);
    assert.equal(all.body.total, 3);
    assert.equal(all.body.items.length, 2);
    const byAccession = await getJson<{ items: { studyInstanceUid: string; eyes: string[] }[] }>(
      gateway,
      '/api/studies?accessionNumber=A0',
    );
    assert.deepEqual(
      byAccession.body.items.map((study) => study.studyInstanceUid),
      [studyUids[0]],
    );
    assert.deepEqual(byAccession.body.items[0]?.eyes, ['L']);
    const receiving = await getJson<{ total: number }>(
      gateway,
      `/api/studies?patientId=${patientId}&state=receiving`,
    );
    assert.equal(receiving.body.total, 3);
  });

  it('explains the routing of a study still receiving as a preview', async () => {
    const explain = await getJson<{
      basis: string;
      useCases: { useCase: string }[];
      rules: { ruleId: string; matched: boolean }[];
    }>(gateway, `/api/studies/${studyUids[1]}/explain`);
    assert.equal(explain.status, 200);
    assert.equal(explain.body.basis, 'preview');
    assert.deepEqual(explain.body.useCases.map((entry) => entry.useCase).sort(), [
      'dr-screening',
      'image-quality',
    ]);
    assert.equal(explain.body.rules.find((rule) => rule.ruleId === 'colour-fundus')?.matched, true);
  });

  it('answers problem+json for unknown studies, bad parameters and unknown routes', async () => {
    const cases: [string, number, string][] = [
      ['/api/studies/1.2.3.4.5', 404, 'FOVEA_HTTP_NOT_FOUND'],
      ['/api/studies/1.2.3.4.5/explain', 404, 'FOVEA_HTTP_NOT_FOUND'],
      ['/api/studies?limit=100000', 400, 'FOVEA_HTTP_BAD_REQUEST'],
      ['/api/studies?state=bogus', 400, 'FOVEA_HTTP_BAD_REQUEST'],
      ['/api/studies/not-a-uid', 400, 'FOVEA_HTTP_BAD_REQUEST'],
      ['/api/nothing-here', 404, 'FOVEA_HTTP_NOT_FOUND'],
    ];
    for (const [path, status, code] of cases) {
      const response = await getJson<{ code: string; status: number; type: string; title: string }>(
        gateway,
        path,
      );
      assert.equal(response.status, status, path);
      assert.match(response.type, /application\/problem\+json/u, path);
      assert.equal(response.body.code, code, path);
      assert.equal(response.body.status, status, path);
      assert.ok(response.body.title.length > 0);
    }
  });

  it('exposes Prometheus metrics', async () => {
    const response = await fetch(`${gateway.httpUrl}/metrics`, { headers: bearer(testApiToken) });
    const text = await response.text();
    assert.equal(response.status, 200);
    assert.match(text, /fovea_instances_received_total\{protocol="stow-rs",outcome="stored"\} 3/u);
    assert.match(text, /fovea_instances_indexed_total 3/u);
  });

  it('routes a study once its quiet period has passed', async () => {
    const uid = studyUids[2]!;
    const study = (await gateway.store.index.getStudy(uid))!;
    assert.equal(await gateway.store.index.markStable(uid, study.version, new Date()), true);
    assert.equal(await gateway.assembler.routeOne(uid), true);
    const detail = await waitFor(async () => {
      const response = await getJson<{
        study: { state: string };
        case: { eyes: { eye: string; instances: unknown[] }[] };
      }>(gateway, `/api/studies/${uid}`);
      return response.body.study.state === 'routed' ? response.body : undefined;
    });
    assert.deepEqual(
      detail.case.eyes.map((eye) => [eye.eye, eye.instances.length]),
      [
        ['R', 1],
        ['L', 0],
      ],
    );
  });
});
