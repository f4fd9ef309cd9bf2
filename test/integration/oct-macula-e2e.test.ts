/**
 * Macular OCT end to end with real peers: a synthetic OCT study (both eyes' volumes and their SLO images) sent
 * with DCMTK `storescu` → the oct-macula analyzer → in Orthanc, the AI results SR (TID 1500) and the macular
 * thickness report (TID 2124), both dciodvfy-clean; the report's CST per eye equals the finding in the API and
 * is within 5 µm of the phantom's truth.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import dcmjs from 'dcmjs';
import type { Gateway } from '../../src/main/index.ts';
import { generatePatientStudy, writeObjects } from '../../src/synth/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer, runAsync } from '../peers/peers.ts';
import { dciodvfyErrors, orthancFile, orthancSrInstances } from '../peers/results.ts';

describe('macular OCT end to end', () => {
  let database: TestDatabase;
  let orthanc: OrthancPeer | undefined;
  let gateway: Gateway | undefined;
  const directory = mkdtempSync(join(tmpdir(), 'fovea-oct-e2e-'));

  before(async () => {
    database = await createTestDatabase('pglite');
    if (peerInstalled('orthanc')) {
      orthanc = await startOrthanc();
    }
  });
  after(async () => {
    await gateway?.close();
    await orthanc?.dispose();
    await database.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('delivers the AI results SR and the TID 2124 macular thickness report to Orthanc', async (t) => {
    if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk') || !requirePeer(t, 'dciodvfy') || !orthanc) {
      return;
    }
    gateway = await startTestGateway(
      database,
      {},
      {
        FOVEA_PACS_DIMSE: `${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`,
        FOVEA_PHASES: 'dme-quantification:assistive',
      },
    );
    const study = await generatePatientStudy({
      seed: 4242,
      eyes: ['R', 'L'],
      content: { fundus: false, octVolume: true },
      octSize: { frames: 25, columns: 384, rows: 496 },
    });
    const files = (await writeObjects(directory, study.objects)).filter((file) => file.endsWith('.dcm'));
    const sent = await runAsync('storescu', [
      '-aec',
      'FOVEA',
      '127.0.0.1',
      String(gateway.dicomPort),
      ...files,
    ]);
    assert.equal(sent.status, 0, sent.output);
    const uid = study.study.studyInstanceUid;
    const ids = await waitFor(
      async () => {
        const found = await orthancSrInstances(orthanc!, uid);
        return found.length >= 2 ? found : undefined;
      },
      120_000,
      'two SRs in Orthanc',
    );
    const reports = await Promise.all(ids.map((id) => orthancFile(orthanc!, id)));
    for (const part10 of reports) {
      assert.deepEqual(await dciodvfyErrors(part10), []);
    }
    const macular = reports
      .map(
        (part10) =>
          dcmjs.data.DicomMetaDictionary.naturalizeDataset(
            dcmjs.data.DicomMessage.readFile(new Uint8Array(part10).buffer).dict,
          ) as Record<string, unknown>,
      )
      .find((dataset) => JSON.stringify(dataset.ContentTemplateSequence ?? '').includes('2124'));
    assert.ok(macular, 'a TID 2124 report among the SRs');
    const cstByEye = new Map<string, number>();
    const walk = (items: unknown, eye?: string): void => {
      for (const item of (items as Record<string, unknown>[] | undefined) ?? []) {
        const name = (item.ConceptNameCodeSequence as { CodeValue?: string }[] | undefined)?.[0]?.CodeValue;
        const code = (item.ConceptCodeSequence as { CodeValue?: string }[] | undefined)?.[0]?.CodeValue;
        const side =
          name === '272741003' ? (code === '24028007' ? 'R' : code === '7771000' ? 'L' : eye) : eye;
        if (name === '57109-1') {
          const value = (item.MeasuredValueSequence as { NumericValue?: number | string }[])[0]?.NumericValue;
          cstByEye.set(eye ?? '?', Number(value));
        }
        walk(item.ContentSequence, side === eye ? eye : side);
      }
    };
    const groupsOf = (macular.ContentSequence as Record<string, unknown>[]).filter(
      (item) =>
        (item.ConceptNameCodeSequence as { CodeValue?: string }[] | undefined)?.[0]?.CodeValue === '125007',
    );
    for (const group of groupsOf) {
      const laterality = JSON.stringify(group.ContentSequence ?? '');
      walk(
        group.ContentSequence,
        laterality.includes('24028007') ? 'R' : laterality.includes('7771000') ? 'L' : '?',
      );
    }
    const findings = await getJson<{ findings: { eye: string; key: string; value: { value?: number } }[] }>(
      gateway,
      `/api/studies/${uid}/findings`,
    );
    for (const eye of ['R', 'L']) {
      const api = findings.body.findings.find((finding) => finding.eye === eye && finding.key === 'cst')
        ?.value.value;
      assert.equal(cstByEye.get(eye), api, `CST ${eye}: report and API agree`);
      const truthFile = files.find((file) => file.includes(`OPT_${eye}_`))!.replace(/\.dcm$/u, '.truth.json');
      const truth = (JSON.parse(readFileSync(truthFile, 'utf8')) as { centralSubfieldThicknessUm: number })
        .centralSubfieldThicknessUm;
      assert.ok(Math.abs(api! - truth) <= 5, `CST ${eye}: ${api} vs truth ${truth}`);
    }
  });
});
