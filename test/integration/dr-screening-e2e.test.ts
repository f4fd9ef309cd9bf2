/**
 * DR screening end to end with real peers (issue 6): a referable study (synthetic moderate NPDR in the right eye)
 * and a normal one are sent with DCMTK `storescu` to a gateway whose dr-screening and image-quality use cases are
 * assistive and which delivers to Orthanc over DIMSE. The gateway's own dr-screening grades both; the referable
 * study is first on `GET /api/worklist` with its bucket, the normal one below it; the referable study's SR (with
 * the right eye's DR severity, LOINC 71491-5) and its lesion overlay (a Color Softcopy Presentation State on the
 * right photograph) and its lesion heatmap (a Secondary Capture derived from the right photograph, the heatmap
 * blended over it) arrive in Orthanc and pass dciodvfy.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { readNaturalPart10 } from '../../src/dicom/codec/index.ts';
import { decodeFrame } from '../../src/imaging/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { sharedOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer } from '../peers/peers.ts';
import {
  dciodvfyErrors,
  orthancFile,
  orthancInstancesOf,
  storescuSend,
  writeFundusStudy,
} from '../peers/results.ts';

interface WorklistEntry {
  readonly studyInstanceUid: string;
  readonly triage: { readonly bucket: string; readonly priority: number };
}

describe('DR screening end to end', () => {
  let database: TestDatabase;
  let orthanc: OrthancPeer | undefined;
  let gateway: Gateway | undefined;
  const directories: string[] = [];

  before(async () => {
    database = await createTestDatabase('pglite');
    if (peerInstalled('orthanc')) {
      orthanc = await sharedOrthanc();
    }
  });
  after(async () => {
    await gateway?.close();
    await orthanc?.dispose();
    await database.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('puts a referable study first on the worklist and delivers its SR, lesion overlay and heatmap to Orthanc', async (t) => {
    if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk') || !requirePeer(t, 'dciodvfy') || !orthanc) {
      return;
    }
    gateway = await startTestGateway(
      database,
      {},
      {
        FOVEA_PACS_DIMSE: `${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`,
        FOVEA_PHASES: 'dr-screening:assistive,image-quality:assistive',
      },
    );
    const normal = await writeFundusStudy(4343, 768, { R: { icdr: 0 }, L: { icdr: 0 } });
    const referable = await writeFundusStudy(4242, 768, { R: { icdr: 3 }, L: { icdr: 0 } });
    directories.push(normal.directory, referable.directory);
    await storescuSend(gateway.dicomPort, normal.files);
    await storescuSend(gateway.dicomPort, referable.files);

    const entries = await waitFor(
      async () => {
        const { body } = await getJson<{ entries: WorklistEntry[] }>(gateway!, '/api/worklist');
        const uids = body.entries.map((entry) => entry.studyInstanceUid);
        const analysed = await Promise.all(
          [normal, referable].map(async (study) =>
            (await gateway!.results.listAnalyses(study.studyInstanceUid)).some(
              (analysis) => analysis.analyzerId === 'dr-screening',
            ),
          ),
        );
        return analysed.every(Boolean) &&
          uids.includes(normal.studyInstanceUid) &&
          uids.includes(referable.studyInstanceUid)
          ? body.entries
          : undefined;
      },
      180_000,
      'both studies graded by dr-screening and on the worklist',
    );
    t.diagnostic(
      `worklist: ${entries.map((entry) => `${entry.triage.bucket} ${entry.triage.priority}`).join(', ')}`,
    );
    assert.equal(entries[0]!.studyInstanceUid, referable.studyInstanceUid, 'the referable study first');
    assert.equal(entries[0]!.triage.bucket, 'referable');
    const second = entries.find((entry) => entry.studyInstanceUid === normal.studyInstanceUid)!;
    assert.ok(second.triage.priority < entries[0]!.triage.priority);
    assert.notEqual(second.triage.bucket, 'referable');

    const { body: detail } = await getJson<{
      findings: { eye: string; key: string; value: { kind: string; value?: { value?: string } } }[];
    }>(gateway, `/api/studies/${referable.studyInstanceUid}/findings`);
    const grade = detail.findings.find((finding) => finding.eye === 'R' && finding.key === 'icdr');
    assert.ok(grade, 'a right-eye ICDR grade');
    t.diagnostic(`right eye graded ${grade.value.value?.value ?? '?'}`);

    const [srIds, prIds] = await waitFor(
      async () => {
        const srs = await orthancInstancesOf(orthanc!, referable.studyInstanceUid, 'SR');
        const prs = await orthancInstancesOf(orthanc!, referable.studyInstanceUid, 'PR');
        return srs.length >= 2 && prs.length >= 1 ? ([srs, prs] as const) : undefined;
      },
      120_000,
      'the SRs of both analyses and the overlay in Orthanc',
    );
    const reports = await Promise.all(srIds.map((id) => orthancFile(orthanc!, id)));
    const drReport = reports.find((part10) => JSON.stringify(readNaturalPart10(part10)).includes('71491-5'));
    assert.ok(drReport, 'the dr-screening SR with LOINC 71491-5');
    assert.deepEqual(await dciodvfyErrors(drReport), []);

    const rightPhotograph = referable.objects.find(
      (object) => object.kind === 'fundus' && object.eye === 'R',
    );
    const overlays = await Promise.all(prIds.map((id) => orthancFile(orthanc!, id)));
    for (const part10 of overlays) {
      assert.deepEqual(await dciodvfyErrors(part10), []);
      const dataset = readNaturalPart10(part10) as Record<string, unknown>;
      assert.equal(dataset.SOPClassUID, '1.2.840.10008.5.1.4.1.1.11.2');
      assert.match(String(dataset.ContentDescription), /^AI-generated; not reviewed \(dr-screening@/u);
    }
    const onRight = overlays
      .map((part10) => readNaturalPart10(part10) as Record<string, unknown>)
      .find((dataset) =>
        JSON.stringify(dataset.ReferencedSeriesSequence).includes(rightPhotograph!.sopInstanceUid),
      );
    assert.ok(onRight, 'an overlay on the right photograph');
    assert.ok((onRight.GraphicAnnotationSequence as unknown[]).length >= 1, 'with lesion layers');

    const heatmaps = await waitFor(
      async () => {
        const files = await Promise.all(
          (await orthancInstancesOf(orthanc!, referable.studyInstanceUid, 'OP')).map((id) =>
            orthancFile(orthanc!, id),
          ),
        );
        const derived = files.filter(
          (part10) => readNaturalPart10(part10).SOPClassUID === '1.2.840.10008.5.1.4.1.1.7',
        );
        return derived.length >= 1 ? derived : undefined;
      },
      60_000,
      'the lesion heatmap in Orthanc',
    );
    const photograph = await decodeFrame(rightPhotograph!.part10, 0);
    let onRightHeatmap = false;
    for (const part10 of heatmaps) {
      assert.deepEqual(await dciodvfyErrors(part10), []);
      const dataset = readNaturalPart10(part10) as Record<string, unknown>;
      assert.deepEqual(dataset.ImageType, ['DERIVED', 'SECONDARY']);
      assert.match(String(dataset.ImageComments), /^AI-generated; not reviewed \(dr-screening@/u);
      const source = (dataset.SourceImageSequence as Record<string, unknown>[])[0]!;
      if (source.ReferencedSOPInstanceUID !== rightPhotograph!.sopInstanceUid) {
        continue;
      }
      onRightHeatmap = true;
      const derived = await decodeFrame(part10, 0);
      assert.equal(derived.rows, photograph.rows);
      assert.equal(derived.columns, photograph.columns);
      let changed = 0;
      for (let k = 0; k < derived.data.length; k++) {
        changed += derived.data[k] === photograph.data[k] ? 0 : 1;
      }
      t.diagnostic(`heatmap coloured ${((100 * changed) / derived.data.length).toFixed(1)} % of the samples`);
      assert.ok(changed > 0 && changed < derived.data.length / 2, 'coloured around lesions only');
    }
    assert.ok(onRightHeatmap, 'a heatmap derived from the right photograph');
  });
});
