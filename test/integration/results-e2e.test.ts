/**
 * The walking skeleton end to end with real peers: DCMTK storescu sends a synthetic fundus study (both eyes)
 * to Fovea; after the quiet period the fundus-quality analyzer runs and a preliminary SR (PARTIAL /
 * UNVERIFIED) lands in Orthanc over C-STORE, referencing the source instances, with per-eye quality findings,
 * passing dciodvfy. In the silent phase nothing reaches Orthanc. With Orthanc down, the delivery retries
 * and completes once it is back, exactly one SR stored. PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseMeasurementReport } from '../../src/dicom/sr/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer, runAsync } from '../peers/peers.ts';
import { dciodvfyErrors, orthancFile, orthancSrInstances, writeFundusStudy } from '../peers/results.ts';

const testSettings = {
  'delivery.retryBaseSeconds': 0.2,
  'delivery.retryMaxSeconds': 1,
  'analysis.retryBaseSeconds': 0.2,
};

async function storescu(port: number, files: readonly string[]): Promise<void> {
  const result = await runAsync(
    'storescu',
    ['-aet', 'MODALITY', '-aec', 'FOVEA', '127.0.0.1', String(port), ...files],
    {
      env: { ...process.env, TCP_NODELAY: '1' },
    },
  );
  assert.equal(result.status, 0, result.output);
}

interface FindingsBody {
  findings: { eye: string; value: { kind: string; verdict?: string }; provenance: { analyzer: string } }[];
}
interface WorklistBody {
  entries: {
    studyInstanceUid: string;
    triage: { bucket: string; priority: number; reasons: { eye: string }[] };
  }[];
}
interface StudyBody {
  findings: { eye: string; value: { verdict?: string } }[];
  triage: { bucket: string; aiGenerated: boolean } | null;
}
interface DeliveriesBody {
  deliveries: { state: string; attempts: number; destination: string }[];
  objects: { sopInstanceUid: string }[];
}

for (const backend of await testBackends()) {
  describe(`results end to end on ${backend}`, () => {
    let database: TestDatabase;
    let orthanc: OrthancPeer | undefined;
    const cleanup: string[] = [];

    before(async () => {
      database = await createTestDatabase(backend);
      if (peerInstalled('orthanc')) {
        orthanc = await startOrthanc();
      }
    });
    after(async () => {
      await orthanc?.dispose();
      await database.dispose();
      for (const directory of cleanup) {
        rmSync(directory, { recursive: true, force: true });
      }
    });

    const start = (phase: string): Promise<Gateway> =>
      startTestGateway(database, testSettings, {
        FOVEA_PACS_DIMSE: `${orthanc!.aeTitle}@127.0.0.1:${orthanc!.dicomPort}`,
        // dr-screening off: these tests are about image-quality's results (counts, phases, triage).
        FOVEA_PHASES: `image-quality:${phase},dr-screening:off`,
      });

    it('delivers a preliminary SR with per-eye quality findings to Orthanc (assistive)', async (t) => {
      if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk') || !requirePeer(t, 'dciodvfy')) {
        return;
      }
      const gateway = await start('assistive');
      try {
        const study = await writeFundusStudy(31);
        cleanup.push(study.directory);
        const sent = Date.now();
        await storescu(gateway.dicomPort, study.files);
        const [srId] = await waitFor(
          async () => {
            const ids = await orthancSrInstances(orthanc!, study.studyInstanceUid);
            return ids.length > 0 ? ids : undefined;
          },
          60_000,
          'the SR in Orthanc',
        );
        t.diagnostic(
          `SR acknowledged by Orthanc ${Date.now() - sent} ms after the study was sent (quiet period 0.5 s)`,
        );
        const part10 = await orthancFile(orthanc!, srId!);
        assert.deepEqual(await dciodvfyErrors(part10), []);
        const report = parseMeasurementReport(part10);
        assert.equal(report.study.studyInstanceUid, study.studyInstanceUid);
        assert.equal(report.completionFlag, 'PARTIAL');
        assert.equal(report.verificationFlag, 'UNVERIFIED');
        assert.ok(report.comments.some((comment) => /AI/u.test(comment) && /not verified/u.test(comment)));
        const sources = study.objects.map((object) => object.sopInstanceUid).sort();
        assert.deepEqual(report.imageLibrary.map((entry) => entry.sopInstanceUid).sort(), sources);
        const eyes = report.groups.map((group) => group.eye).sort();
        assert.deepEqual(eyes, ['L', 'R']);
        for (const group of report.groups) {
          assert.equal(group.algorithm?.name, 'fundus-quality');
          assert.equal(group.value?.kind, 'quality');
          assert.equal(group.sourceSopInstanceUids.length, 1);
        }
        const api = await getJson<FindingsBody>(gateway, `/api/studies/${study.studyInstanceUid}/findings`);
        assert.equal(api.status, 200);
        assert.deepEqual(api.body.findings.map((finding) => finding.eye).sort(), ['L', 'R']);
        assert.ok(
          api.body.findings.every((finding) => finding.provenance.analyzer.startsWith('fundus-quality@')),
        );
        const deliveries = await getJson<DeliveriesBody>(
          gateway,
          `/api/studies/${study.studyInstanceUid}/deliveries`,
        );
        assert.deepEqual(
          deliveries.body.deliveries.map((delivery) => delivery.state),
          ['delivered'],
        );
      } finally {
        await gateway.close();
      }
    });

    it('keeps silent-phase results inside Fovea: nothing reaches Orthanc, nothing is shown', async (t) => {
      if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk')) {
        return;
      }
      const gateway = await start('silent');
      try {
        // An ungradable eye: in the silent phase even a recapture suggestion stays off the worklist.
        const study = await writeFundusStudy(32, 768, { R: { artefacts: ['under-exposure'] } });
        cleanup.push(study.directory);
        await storescu(gateway.dicomPort, study.files);
        const analyses = await waitFor(
          async () => {
            const list = await gateway.results.listAnalyses(study.studyInstanceUid);
            return list.length > 0 ? list : undefined;
          },
          60_000,
          'the silent analysis',
        );
        assert.equal(analyses[0]!.phase, 'silent');
        assert.equal(analyses[0]!.findings.length, 2);
        // Give a wrongly queued delivery time to happen before checking that none did.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.deepEqual(await orthancSrInstances(orthanc!, study.studyInstanceUid), []);
        assert.deepEqual(await gateway.results.listDeliveries(study.studyInstanceUid), []);
        const api = await getJson<FindingsBody>(gateway, `/api/studies/${study.studyInstanceUid}/findings`);
        assert.deepEqual(api.body.findings, []);
        assert.equal(await gateway.results.getTriage(study.studyInstanceUid), undefined);
      } finally {
        await gateway.close();
      }
    });

    it('puts a study with an ungradable eye on the worklist for recapture, before gradable ones', async (t) => {
      if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk')) {
        return;
      }
      const gateway = await start('assistive');
      try {
        const gradable = await writeFundusStudy(34);
        const blurred = await writeFundusStudy(35, 768, { L: { artefacts: ['defocus'] } });
        cleanup.push(gradable.directory, blurred.directory);
        await storescu(gateway.dicomPort, [...gradable.files, ...blurred.files]);
        // The triage is recomputed when the analysis is published, a moment after its findings are stored:
        // wait for the blurred study's triage, and for the gradable study's delivered SR (published too).
        const studies = await Promise.all(
          [gradable, blurred].map((study, index) =>
            waitFor(
              async () => {
                const body = await getJson<StudyBody>(gateway, `/api/studies/${study.studyInstanceUid}`);
                const published =
                  index === 1
                    ? body.body.triage !== null
                    : (await gateway.results.listResultObjects(study.studyInstanceUid)).length > 0;
                return body.status === 200 && body.body.findings.length === 2 && published
                  ? body.body
                  : undefined;
              },
              60_000,
              'both eyes graded and the analysis published',
            ),
          ),
        );
        assert.equal(studies[0]!.triage, null, 'two gradable eyes suggest nothing on their own');
        assert.equal(studies[1]!.triage?.bucket, 'recapture');
        assert.equal(studies[1]!.triage?.aiGenerated, true);
        assert.equal(
          studies[1]!.findings.find((finding) => finding.eye === 'L')?.value.verdict,
          'ungradable',
        );
        const worklist = await getJson<WorklistBody>(gateway, '/api/worklist');
        assert.equal(worklist.status, 200);
        const entry = worklist.body.entries.find(
          (candidate) => candidate.studyInstanceUid === blurred.studyInstanceUid,
        );
        assert.deepEqual(
          entry?.triage.reasons.map((reason) => reason.eye),
          ['L'],
        );
        assert.ok(
          !worklist.body.entries.some(
            (candidate) => candidate.studyInstanceUid === gradable.studyInstanceUid,
          ),
        );
        const recapture = await getJson<WorklistBody>(gateway, '/api/worklist?bucket=recapture');
        assert.ok(recapture.body.entries.every((candidate) => candidate.triage.bucket === 'recapture'));
        assert.ok(
          recapture.body.entries.some((candidate) => candidate.studyInstanceUid === blurred.studyInstanceUid),
        );
      } finally {
        await gateway.close();
      }
    });

    it('retries a delivery while Orthanc is down and stores exactly one SR once it is back', async (t) => {
      if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk')) {
        return;
      }
      const gateway = await start('assistive');
      try {
        await orthanc!.stop();
        const study = await writeFundusStudy(33);
        cleanup.push(study.directory);
        await storescu(gateway.dicomPort, study.files);
        const failing = await waitFor(
          async () => {
            const list = await gateway.results.listDeliveries(study.studyInstanceUid);
            return list.length === 1 && list[0]!.attempts >= 2 ? list[0] : undefined;
          },
          60_000,
          'failed delivery attempts',
        );
        assert.equal(failing.state, 'pending');
        assert.ok(failing.lastError !== undefined);
        await orthanc!.start();
        await waitFor(
          async () =>
            (await gateway.results.listDeliveries(study.studyInstanceUid))[0]?.state === 'delivered',
          60_000,
          'the delivery after Orthanc came back',
        );
        assert.equal((await orthancSrInstances(orthanc!, study.studyInstanceUid)).length, 1);
      } finally {
        await gateway.close();
      }
    });
  });
}
