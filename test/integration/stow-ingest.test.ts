/**
 * DICOMweb STOW-RS into Fovea (curl and Fovea's own client as senders): PS3.18 responses, failures per
 * instance with reasons, problem+json for whole-request errors, nothing half-written. PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DicomWebClient, getSequence, getNumber, getString } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { bearer, startTestGateway, testApiToken, testIngestToken } from '../peers/gateway.ts';
import { nonEmptyFiles, requirePeer, runAsync } from '../peers/peers.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography } from '../fixtures/dicom-files.ts';

const Referenced = '00081199';
const Failed = '00081198';
const FailureReason = '00081197';
const SopInstance = '00081155';

for (const backend of await testBackends()) {
  describe(`STOW-RS ingest on ${backend}`, () => {
    let database: TestDatabase;
    let gateway: Gateway;
    let client: DicomWebClient;

    before(async () => {
      database = await createTestDatabase(backend);
      gateway = await startTestGateway(database, { 'dicomweb.maxPartBytes': 2_000_000 });
      client = new DicomWebClient({
        baseUrl: `${gateway.httpUrl}/dicomweb`,
        auth: { bearer: testIngestToken },
      });
    });
    after(async () => {
      await gateway.close();
      await database.dispose();
    });

    it('stores both eyes of a study and answers 200 with the referenced instances', async () => {
      const studyInstanceUid = `2.25.${Date.now()}1`;
      const right = await makeOphthalmicPhotograph({ studyInstanceUid, eye: 'R' });
      const left = makeOphthalmicTomography({ studyInstanceUid, eye: 'L' });
      const result = await client.storeInstances([right.part10, left.part10], studyInstanceUid);
      assert.equal(result.status, 200);
      const referenced = getSequence(result.response, Referenced).map((item) => getString(item, SopInstance));
      assert.deepEqual(referenced.sort(), [right.sopInstanceUid, left.sopInstanceUid].sort());
      await gateway.ingest.flush();
      const study = await gateway.store.index.getStudy(studyInstanceUid);
      assert.equal(study?.instanceCount, 2);
      assert.deepEqual(study?.eyes, ['R', 'L']);
      const instances = await gateway.store.index.listInstances(studyInstanceUid);
      assert.equal(instances[0]?.origin.protocol, 'stow-rs');
    });

    it('fails an instance of another study than the URL names with 0xA900 and does not keep it (409)', async () => {
      const other = await makeOphthalmicPhotograph();
      const result = await client.storeInstances([other.part10], `2.25.${Date.now()}2`);
      assert.equal(result.status, 409);
      const failed = getSequence(result.response, Failed);
      assert.equal(getNumber(failed[0]!, FailureReason), 0xa900);
      await gateway.ingest.flush();
      assert.equal(await gateway.store.index.getStudy(other.studyInstanceUid), undefined);
    });

    it('stores the good instance and fails the truncated one with 0xC000 (202)', async () => {
      const good = await makeOphthalmicPhotograph();
      const bad = await makeOphthalmicPhotograph();
      const result = await client.storeInstances([
        good.part10,
        bad.part10.subarray(0, bad.part10.length - 50),
      ]);
      assert.equal(result.status, 202);
      assert.equal(getSequence(result.response, Referenced).length, 1);
      assert.equal(getNumber(getSequence(result.response, Failed)[0]!, FailureReason), 0xc000);
      await gateway.ingest.flush();
      assert.ok(await gateway.store.index.getStudy(good.studyInstanceUid));
      assert.equal(await gateway.store.index.getStudy(bad.studyInstanceUid), undefined);
      assert.deepEqual(nonEmptyFiles(join(gateway.spool.root, 'tmp')), []);
    });

    it('answers problem+json for whole-request errors', async () => {
      const notMultipart = await fetch(`${gateway.httpUrl}/dicomweb/studies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...bearer(testIngestToken) },
        body: '{}',
      });
      assert.equal(notMultipart.status, 415);
      assert.match(notMultipart.headers.get('content-type') ?? '', /application\/problem\+json/u);
      const problem = (await notMultipart.json()) as { code: string; status: number };
      assert.equal(problem.code, 'FOVEA_HTTP_UNSUPPORTED_MEDIA_TYPE');
      const big = await makeOphthalmicPhotograph({ rows: 1024, columns: 1024 });
      await assert.rejects(client.storeInstances([big.part10]), /413|too large|larger/iu);
    });

    it('refuses STOW-RS without a token (401) and with a token lacking the ingest role (403)', async () => {
      const fixture = await makeOphthalmicPhotograph({ eye: 'R' });
      const anonymous = new DicomWebClient({ baseUrl: `${gateway.httpUrl}/dicomweb` });
      await assert.rejects(anonymous.storeInstances([fixture.part10]), /401/u);
      const reader = new DicomWebClient({
        baseUrl: `${gateway.httpUrl}/dicomweb`,
        auth: { bearer: testApiToken },
      });
      await assert.rejects(reader.storeInstances([fixture.part10]), /403/u);
      await gateway.ingest.flush();
      assert.equal(await gateway.store.index.getStudy(fixture.studyInstanceUid), undefined);
    });

    it('accepts a multipart body sent by curl', async (t) => {
      if (!requirePeer(t, 'curl')) {
        return;
      }
      const fixture = await makeOphthalmicPhotograph({ eye: 'L' });
      const dir = mkdtempSync(join(tmpdir(), 'fovea-stow-curl-'));
      const body = Buffer.concat([
        Buffer.from('--XBOUNDARYX\r\nContent-Type: application/dicom\r\n\r\n'),
        fixture.part10,
        Buffer.from('\r\n--XBOUNDARYX--\r\n'),
      ]);
      writeFileSync(join(dir, 'body'), body);
      const curl = await runAsync('curl', [
        '-s',
        '-o',
        '-',
        '-w',
        '\n%{http_code}',
        '-H',
        'Content-Type: multipart/related; type="application/dicom"; boundary=XBOUNDARYX',
        '-H',
        'Accept: application/dicom+json',
        '-H',
        `Authorization: Bearer ${testIngestToken}`,
        '--data-binary',
        `@${join(dir, 'body')}`,
        `${gateway.httpUrl}/dicomweb/studies`,
      ]);
      assert.equal(curl.stdout.trim().split('\n').at(-1), '200', curl.output);
      await gateway.ingest.flush();
      assert.equal((await gateway.store.index.getStudy(fixture.studyInstanceUid))?.eyes[0], 'L');
    });
  });
}
