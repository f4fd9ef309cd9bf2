/**
 * DCMTK echoscu/storescu → Fovea's DIMSE SCP → spool and index, per eye, assembled and routed; and the
 * protocol-correct answers to bad input. Runs on PGlite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { nonEmptyFiles, peerInstalled, requirePeer, runAsync as run } from '../peers/peers.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography } from '../fixtures/dicom-files.ts';

const dcmtk = peerInstalled('dcmtk');
const env = { ...process.env, TCP_NODELAY: '1' };

async function storescu(port: number, files: readonly string[], extra: readonly string[] = []) {
  return run(
    'storescu',
    ['-aec', 'FOVEA', '-aet', 'MODALITY', ...extra, '127.0.0.1', String(port), ...files],
    { env },
  );
}

for (const backend of await testBackends()) {
  describe(
    `DIMSE ingest with DCMTK on ${backend}`,
    { skip: !dcmtk && process.env.CI !== 'true' ? 'dcmtk not installed' : false },
    () => {
      let database: TestDatabase;
      let gateway: Gateway;
      const dir = mkdtempSync(join(tmpdir(), 'fovea-dimse-it-'));

      before(async () => {
        database = await createTestDatabase(backend);
        gateway = await startTestGateway(database);
      });
      after(async () => {
        await gateway.close();
        await database.dispose();
      });

      it('answers C-ECHO', async (t) => {
        if (!requirePeer(t, 'dcmtk')) {
          return;
        }
        const echo = await run('echoscu', ['-aec', 'FOVEA', '127.0.0.1', String(gateway.dicomPort)], { env });
        assert.equal(echo.status, 0, echo.output);
      });

      it('stores uncompressed and JPEG OP and OPT of both eyes, indexes them per eye and assembles one Case', async (t) => {
        if (!requirePeer(t, 'dcmtk')) {
          return;
        }
        const studyInstanceUid = `2.25.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
        const right = await makeOphthalmicPhotograph({ studyInstanceUid, eye: 'R', patientId: 'DIMSE-1' });
        const leftJpeg = await makeOphthalmicPhotograph({
          studyInstanceUid,
          eye: 'L',
          patientId: 'DIMSE-1',
          transferSyntax: 'jpeg',
          rows: 128,
          columns: 128,
        });
        const leftOct = makeOphthalmicTomography({ studyInstanceUid, eye: 'L', patientId: 'DIMSE-1' });
        const implicit = await makeOphthalmicPhotograph({
          studyInstanceUid,
          eye: 'R',
          patientId: 'DIMSE-1',
          transferSyntax: 'implicit',
        });
        const files = { right, leftOct, implicit };
        for (const [name, fixture] of Object.entries(files)) {
          writeFileSync(join(dir, `${name}.dcm`), fixture.part10);
        }
        writeFileSync(join(dir, 'jpeg.dcm'), leftJpeg.part10);
        const plain = await storescu(
          gateway.dicomPort,
          Object.keys(files).map((name) => join(dir, `${name}.dcm`)),
        );
        assert.equal(plain.status, 0, plain.output);
        const jpeg = await storescu(gateway.dicomPort, [join(dir, 'jpeg.dcm')], ['-xy']);
        assert.equal(jpeg.status, 0, jpeg.output);

        const detail = await waitFor(
          async () => {
            const response = await getJson<{
              study: { state: string; instanceCount: number };
              instancesByEye: Record<string, { sopInstanceUid: string; origin: { callingAet?: string } }[]>;
              case: { eyes: { eye: string; instances: unknown[] }[] } | null;
              route: { useCases: { useCase: string }[] } | null;
            }>(gateway, `/api/studies/${studyInstanceUid}`);
            // Two associations: under load the 0.5 s quiet period can pass between them, so the study may be
            // routed once with three instances and again when the fourth arrives.
            return response.status === 200 &&
              response.body.study.state === 'routed' &&
              response.body.study.instanceCount === 4
              ? response.body
              : undefined;
          },
          30_000,
          'the study to be routed with its four instances',
        );
        assert.equal(detail.study.instanceCount, 4);
        assert.deepEqual(
          detail.instancesByEye.R?.map((i) => i.sopInstanceUid).sort(),
          [right.sopInstanceUid, implicit.sopInstanceUid].sort(),
        );
        assert.deepEqual(
          detail.instancesByEye.L?.map((i) => i.sopInstanceUid).sort(),
          [leftJpeg.sopInstanceUid, leftOct.sopInstanceUid].sort(),
        );
        assert.equal(detail.instancesByEye.R?.[0]?.origin.callingAet, 'MODALITY');
        assert.deepEqual(
          detail.case?.eyes.map((eye) => [eye.eye, eye.instances.length]),
          [
            ['R', 2],
            ['L', 2],
          ],
        );
        assert.deepEqual(detail.route?.useCases.map((entry) => entry.useCase).sort(), [
          'dme-quantification',
          'dr-screening',
          'glaucoma-progression',
          'image-quality',
        ]);
        const explain = await getJson<{
          basis: string;
          rules: { ruleId: string; matched: boolean; reasons: string[] }[];
        }>(gateway, `/api/studies/${studyInstanceUid}/explain`);
        assert.equal(explain.body.basis, 'routed');
        const vf = explain.body.rules.find((rule) => rule.ruleId === 'visual-fields');
        assert.equal(vf?.matched, false);
        assert.match(
          vf?.reasons.join(' ') ?? '',
          /sopClassUids: expected 1\.2\.840\.10008\.5\.1\.4\.1\.1\.80\.1/u,
        );

        const again = await storescu(gateway.dicomPort, [join(dir, 'right.dcm')]);
        assert.equal(again.status, 0, again.output);
        await gateway.ingest.flush();
        const study = await gateway.store.index.getStudy(studyInstanceUid);
        assert.equal(study?.instanceCount, 4, 're-sent instance is not indexed twice');
      });

      it('answers 0xA900 for a data set without Series Instance UID and keeps nothing of it', async (t) => {
        if (!requirePeer(t, 'dcmtk')) {
          return;
        }
        const fixture = await makeOphthalmicPhotograph();
        const bytes = Buffer.from(fixture.part10);
        const at = bytes.toString('latin1').indexOf(fixture.seriesInstanceUid, 300);
        bytes.fill(0x20, at, at + fixture.seriesInstanceUid.length);
        writeFileSync(join(dir, 'noseries.dcm'), bytes);
        const result = await storescu(gateway.dicomPort, [join(dir, 'noseries.dcm')], ['-v']);
        assert.match(result.output, /DataSetDoesNotMatchSOPClass/u, result.output);
        await gateway.ingest.flush();
        assert.equal(await gateway.store.index.getStudy(fixture.studyInstanceUid), undefined);
        assert.deepEqual(nonEmptyFiles(join(gateway.spool.root, 'tmp')), []);
        assert.deepEqual(readdirSync(join(gateway.spool.root, 'pending')), []);
      });
    },
  );
}

describe(
  'DIMSE association policy',
  { skip: !dcmtk && process.env.CI !== 'true' ? 'dcmtk not installed' : false },
  () => {
    let database: TestDatabase;
    let gateway: Gateway;
    const dir = mkdtempSync(join(tmpdir(), 'fovea-dimse-policy-'));

    before(async () => {
      database = await createTestDatabase('pglite');
      gateway = await startTestGateway(database, {
        'dicom.acceptLoopback': false,
        'dicom.allowedCallers': [{ aeTitle: 'GOODSCU' }],
        'dicom.sopClasses': ['1.2.840.10008.5.1.4.1.1.77.1.5.1'],
      });
    });
    after(async () => {
      await gateway.close();
      await database.dispose();
    });

    it('rejects an unknown calling AE title and accepts a listed one', async (t) => {
      if (!requirePeer(t, 'dcmtk')) {
        return;
      }
      const unknown = await run(
        'echoscu',
        ['-aet', 'STRANGER', '-aec', 'FOVEA', '127.0.0.1', String(gateway.dicomPort)],
        { env },
      );
      assert.notEqual(unknown.status, 0);
      assert.match(unknown.output, /Calling AE Title Not Recognized|rejected/iu, unknown.output);
      const known = await run(
        'echoscu',
        ['-aet', 'GOODSCU', '-aec', 'FOVEA', '127.0.0.1', String(gateway.dicomPort)],
        { env },
      );
      assert.equal(known.status, 0, known.output);
    });

    it('rejects a wrong called AE title', async (t) => {
      if (!requirePeer(t, 'dcmtk')) {
        return;
      }
      const wrong = await run(
        'echoscu',
        ['-aet', 'GOODSCU', '-aec', 'NOTFOVEA', '127.0.0.1', String(gateway.dicomPort)],
        { env },
      );
      assert.notEqual(wrong.status, 0);
      assert.match(wrong.output, /Called AE Title Not Recognized|rejected/iu, wrong.output);
    });

    it('refuses a SOP class that is not configured (no presentation context) and stays up', async (t) => {
      if (!requirePeer(t, 'dcmtk')) {
        return;
      }
      const oct = makeOphthalmicTomography();
      writeFileSync(join(dir, 'oct.dcm'), oct.part10);
      const refused = await run(
        'storescu',
        ['-aet', 'GOODSCU', '-aec', 'FOVEA', '127.0.0.1', String(gateway.dicomPort), join(dir, 'oct.dcm')],
        { env },
      );
      assert.notEqual(refused.status, 0);
      assert.match(refused.output, /presentation context|No acceptable/iu, refused.output);
      const echo = await run(
        'echoscu',
        ['-aet', 'GOODSCU', '-aec', 'FOVEA', '127.0.0.1', String(gateway.dicomPort)],
        { env },
      );
      assert.equal(echo.status, 0, echo.output);
    });
  },
);
