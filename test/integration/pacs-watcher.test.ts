/**
 * A study stored into Orthanc only is discovered by Fovea's PACS watcher (QIDO-RS) and fetched (WADO-RS),
 * indexed per eye and assembled; a later instance is fetched alone; the cursor survives a restart.
 * PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { startTestGateway, waitFor } from '../peers/gateway.ts';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer } from '../peers/peers.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography } from '../fixtures/dicom-files.ts';

const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');

for (const backend of await testBackends()) {
  describe(`PACS watcher against Orthanc on ${backend}`, () => {
    let database: TestDatabase;
    let orthanc: OrthancPeer | undefined;
    let gateway: Gateway | undefined;
    let pacs: DicomWebClient;
    const env = (peer: OrthancPeer) => ({
      FOVEA_PACS_DICOMWEB_URL: peer.dicomWebUrl,
      FOVEA_PACS_USER: peer.user,
      FOVEA_PACS_PASSWORD: peer.password,
    });

    before(async () => {
      database = await createTestDatabase(backend);
      if (peerInstalled('orthanc')) {
        orthanc = await startOrthanc();
        pacs = new DicomWebClient({
          baseUrl: orthanc.dicomWebUrl,
          auth: { user: orthanc.user, password: orthanc.password },
        });
      }
    });
    after(async () => {
      await gateway?.close();
      await orthanc?.dispose();
      await database.dispose();
    });

    it('discovers a study stored only in the PACS, fetches it, and fetches a later instance alone', async (t) => {
      if (!requirePeer(t, 'orthanc') || orthanc === undefined) {
        return;
      }
      const studyInstanceUid = `2.25.${Date.now()}7`;
      const right = await makeOphthalmicPhotograph({
        studyInstanceUid,
        eye: 'R',
        studyDate: today,
        transferSyntax: 'jpeg',
        rows: 96,
        columns: 96,
      });
      const left = await makeOphthalmicPhotograph({ studyInstanceUid, eye: 'L', studyDate: today });
      const stored = await pacs.storeInstances([right.part10, left.part10]);
      assert.equal(stored.status, 200);
      gateway = await startTestGateway(database, { 'watch.intervalSeconds': 0.5 }, env(orthanc));
      const active = gateway;
      const study = await waitFor(
        async () => {
          const found = await active.store.index.getStudy(studyInstanceUid);
          return found?.state === 'routed' ? found : undefined;
        },
        30_000,
        'the watched study to be routed',
      );
      assert.equal(study.instanceCount, 2);
      assert.deepEqual(study.eyes, ['R', 'L']);
      const instances = await active.store.index.listInstances(studyInstanceUid);
      assert.ok(instances.every((instance) => instance.origin.protocol === 'dicomweb-watch'));
      assert.equal(
        instances.find((instance) => instance.eye === 'R')?.transferSyntaxUid,
        '1.2.840.10008.1.2.4.50',
      );

      const oct = makeOphthalmicTomography({ studyInstanceUid, eye: 'L', studyDate: today });
      assert.equal((await pacs.storeInstances([oct.part10])).status, 200);
      await waitFor(
        async () =>
          (await active.store.index.getStudy(studyInstanceUid))?.instanceCount === 3 ? true : undefined,
        30_000,
        'the new instance',
      );
      const byRequest = new Set(
        (await active.store.index.listInstances(studyInstanceUid)).map(
          (instance) => instance.origin.requestId,
        ),
      );
      assert.equal(byRequest.size, 2, 'the later instance came in a later poll, alone');
    });

    it('keeps its cursor across a restart: nothing is fetched again', async (t) => {
      if (!requirePeer(t, 'orthanc') || orthanc === undefined || gateway === undefined) {
        return;
      }
      await gateway.close();
      gateway = await startTestGateway(database, { 'watch.intervalSeconds': 60 }, env(orthanc));
      assert.ok(gateway.watcher);
      const fetched = await gateway.watcher.poll();
      assert.equal(fetched, 0);
      await gateway.ingest.flush();
      assert.equal(gateway.ingest.queueDepth, 0);
    });
  });
}
