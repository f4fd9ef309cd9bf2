/**
 * Macular OCT end to end with real peers: a synthetic OCT study (both eyes' volumes and their SLO images) sent
 * with DCMTK `storescu` → the oct-macula analyzer → in Orthanc, the AI results SR (TID 1500) and the macular
 * thickness report (TID 2124), both dciodvfy-clean; the report's CST per eye equals the finding in the API and
 * is within 5 µm of the phantom's truth. Then a patient's prior visit and a current visit with new subretinal
 * fluid: the fluid SEG in Orthanc (dciodvfy-clean, with an SRF segment, its frames referencing the OCT B-scans),
 * the change since the prior in the API and the SR, the study referable on the worklist, and `fovea analyze`
 * on the same files printing the same numbers.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import dcmjs from 'dcmjs';
import type { Gateway } from '../../src/main/index.ts';
import { generatePatientStudy, writeObjects, type PatientStudy } from '../../src/synth/index.ts';
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

  /** The gateway, started on first use, delivering to Orthanc with macular OCT assistive. */
  async function activeGateway(pacs: OrthancPeer): Promise<Gateway> {
    gateway ??= await startTestGateway(
      database,
      {},
      {
        FOVEA_PACS_DIMSE: `${pacs.aeTitle}@127.0.0.1:${pacs.dicomPort}`,
        FOVEA_PHASES: 'dme-quantification:assistive',
      },
    );
    return gateway;
  }

  /** Writes a visit's objects into their own folder and sends them with storescu; returns the files. */
  async function sendVisit(active: Gateway, visit: PatientStudy, name: string): Promise<string[]> {
    const folder = join(directory, name);
    mkdirSync(folder);
    const files = (await writeObjects(folder, visit.objects)).filter((file) => file.endsWith('.dcm'));
    const sent = await runAsync('storescu', [
      '-aec',
      'FOVEA',
      '127.0.0.1',
      String(active.dicomPort),
      ...files,
    ]);
    assert.equal(sent.status, 0, sent.output);
    return files;
  }

  it('delivers the AI results SR and the TID 2124 macular thickness report to Orthanc', async (t) => {
    if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk') || !requirePeer(t, 'dciodvfy') || !orthanc) {
      return;
    }
    gateway = await activeGateway(orthanc);
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

  it('turns new subretinal fluid since the prior visit into a SEG, a change finding and a referable study', async (t) => {
    if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk') || !requirePeer(t, 'dciodvfy') || !orthanc) {
      return;
    }
    const active = await activeGateway(orthanc);
    const octSize = { frames: 25, columns: 384, rows: 496 };
    const content = { fundus: false, octVolume: true };
    const prior = await generatePatientStudy({
      seed: 5151,
      eyes: ['R'],
      content,
      octSize,
      visitLabel: 'prior',
      studyDate: '20250110',
    });
    const current = await generatePatientStudy({
      seed: 5151,
      patient: prior.patient,
      eyes: ['R'],
      content,
      octSize,
      visitLabel: 'current',
      studyDate: '20260110',
      findings: { R: { fluid: ['srf'] } },
    });
    type Findings = {
      findings: { eye: string; key: string; value: { value?: number | { value: string } } }[];
    };
    const priorUid = prior.study.studyInstanceUid;
    const priorFiles = await sendVisit(active, prior, 'prior');
    await waitFor(
      async () => {
        const found = await getJson<Findings>(active, `/api/studies/${priorUid}/findings`);
        return found.body.findings?.some((finding) => finding.key === 'cst') ? true : undefined;
      },
      120_000,
      'the prior visit analysed',
    );
    const currentFiles = await sendVisit(active, current, 'current');
    const uid = current.study.studyInstanceUid;
    const segId = await waitFor(
      async () => {
        const found = (await orthanc!.rest('POST', '/tools/lookup', uid)) as { Type: string; ID: string }[];
        const study = found.find((entry) => entry.Type === 'Study');
        if (study === undefined) {
          return undefined;
        }
        const instances = (await orthanc!.rest('GET', `/studies/${study.ID}/instances?expand`)) as {
          ID: string;
          MainDicomTags: Record<string, string>;
        }[];
        for (const instance of instances) {
          const tags = (await orthanc!.rest('GET', `/instances/${instance.ID}/simplified-tags`)) as Record<
            string,
            unknown
          >;
          if (tags.Modality === 'SEG') {
            return instance.ID;
          }
        }
        return undefined;
      },
      120_000,
      'the fluid SEG in Orthanc',
    );
    const segment = await orthancFile(orthanc, segId);
    assert.deepEqual(await dciodvfyErrors(segment), []);
    const seg = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
      dcmjs.data.DicomMessage.readFile(new Uint8Array(segment).buffer).dict,
    ) as Record<string, unknown>;
    const opt = current.objects.find((object) => object.modality === 'OPT')!;
    assert.equal(seg.StudyInstanceUID, uid);
    const labels = (seg.SegmentSequence as { SegmentLabel: string }[]).map((entry) => entry.SegmentLabel);
    assert.ok(
      labels.some((label) => /subretinal/iu.test(label)),
      labels.join(', '),
    );
    const referenced = JSON.stringify(seg.PerFrameFunctionalGroupsSequence);
    assert.ok(referenced.includes(opt.sopInstanceUid), 'the SEG frames reference the OCT B-scans');
    const framesWithSrf = Number(seg.NumberOfFrames);
    t.diagnostic(`SEG: ${framesWithSrf} frames, segments ${labels.join(', ')}`);

    const findings = await getJson<Findings>(active, `/api/studies/${uid}/findings`);
    const valueOf = (key: string): number | { value: string } | undefined =>
      findings.body.findings?.find((finding) => finding.eye === 'R' && finding.key === key)?.value.value;
    const deltaCst = valueOf('cst-change') as number;
    t.diagnostic(`ΔCST ${deltaCst} µm, ΔSRF ${JSON.stringify(valueOf('srf-volume-change'))} mm³`);
    assert.ok(deltaCst > 20, `CST grew with the new SRF (${deltaCst} µm)`);
    assert.equal((valueOf('change-since-prior') as { value: string }).value, 'WORSE');
    const worklist = await getJson<{ entries: { studyInstanceUid: string; triage: { bucket: string } }[] }>(
      active,
      '/api/worklist',
    );
    assert.equal(
      worklist.body.entries.find((entry) => entry.studyInstanceUid === uid)?.triage.bucket,
      'referable',
    );

    const cli = join(import.meta.dirname, '../../src/cli/fovea.ts');
    const offline = await runAsync(process.execPath, [
      cli,
      'analyze',
      ...priorFiles,
      ...currentFiles,
      '--json',
    ]);
    assert.equal(offline.status, 0, offline.stderr);
    const printed = (
      JSON.parse(offline.stdout) as {
        studyInstanceUid: string;
        eyes: { R: { key: string; value: { value?: unknown } }[] };
      }[]
    ).find((entry) => entry.studyInstanceUid === uid);
    for (const key of ['cst', 'srf-volume', 'cst-change', 'srf-volume-change']) {
      assert.deepEqual(
        printed?.eyes.R.find((finding) => finding.key === key)?.value.value,
        valueOf(key),
        `fovea analyze prints the gateway's ${key}`,
      );
    }
  });
});
