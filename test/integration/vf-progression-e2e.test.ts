/**
 * Glaucoma progression end to end with real peers: a patient's visual fields (and, in the second test, the
 * peripapillary OCT circle scans of the same visits), one study per yearly visit, are sent with DCMTK
 * `storescu`; when the newest visit arrives, the vf-progression analyzer reads it with the earlier visits as
 * priors from Fovea's index and a preliminary SR with the per-eye verdict (and the MD and RNFL slopes with
 * their CIs and p-values) lands in Orthanc (dciodvfy: no Error lines); the study goes to the `referable`
 * bucket of the worklist, and the trend plot is served by the API.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseMeasurementReport } from '../../src/dicom/sr/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { generateVisualFieldSeries, writeObjects } from '../../src/synth/index.ts';
import { generateGlaucomaSeries } from '../analyzers/glaucoma-series.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { bearer, getJson, startTestGateway, testApiToken, waitFor } from '../peers/gateway.ts';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer, runAsync } from '../peers/peers.ts';
import { dciodvfyErrors, orthancFile, orthancSrInstances } from '../peers/results.ts';

/**
 * A storescu profile for visual fields, OCT and SLO images: DCMTK's default context list leaves the OPV
 * SOP class out.
 */
function storescuConfig(directory: string): string {
  const file = join(directory, 'storescu-opv.cfg');
  writeFileSync(
    file,
    [
      '[[TransferSyntaxes]]',
      '[Uncompressed]',
      'TransferSyntax1 = LocalEndianExplicit',
      'TransferSyntax2 = LittleEndianImplicit',
      '[[PresentationContexts]]',
      '[Glaucoma]',
      'PresentationContext1 = 1.2.840.10008.5.1.4.1.1.80.1\\Uncompressed',
      'PresentationContext2 = 1.2.840.10008.5.1.4.1.1.77.1.5.4\\Uncompressed',
      'PresentationContext3 = 1.2.840.10008.5.1.4.1.1.77.1.5.1\\Uncompressed',
      '[[Profiles]]',
      '[Perimetry]',
      'PresentationContexts = Glaucoma',
      '',
    ].join('\n'),
  );
  return file;
}

async function storescu(port: number, files: readonly string[], config: string): Promise<void> {
  const result = await runAsync('storescu', [
    '-xf',
    config,
    'Perimetry',
    '-aet',
    'PERIMETER',
    '-aec',
    'FOVEA',
    '127.0.0.1',
    String(port),
    ...files,
  ]);
  assert.equal(result.status, 0, result.output);
}

/**
 * Sends the earlier visits, waits until each is routed (so that they are priors in Fovea's index), then the
 * newest visit, and returns the parsed report that lands in Orthanc for it (after checking it with dciodvfy).
 */
async function sendSeries(
  gateway: Gateway,
  orthanc: OrthancPeer,
  earlier: { files: readonly string[]; studyUids: readonly string[] },
  newest: { files: readonly string[]; studyUid: string },
  config: string,
): Promise<ReturnType<typeof parseMeasurementReport>> {
  await storescu(gateway.dicomPort, earlier.files, config);
  await waitFor(
    async () => {
      const states = await Promise.all(earlier.studyUids.map((uid) => gateway.store.index.getStudy(uid)));
      return states.every((study) => study?.state === 'routed');
    },
    90_000,
    'the earlier visits to be routed',
  );
  await storescu(gateway.dicomPort, newest.files, config);
  const [srId] = await waitFor(
    async () => {
      const ids = await orthancSrInstances(orthanc, newest.studyUid);
      return ids.length > 0 ? ids : undefined;
    },
    120_000,
    'the progression SR in Orthanc',
  );
  const part10 = await orthancFile(orthanc, srId!);
  assert.deepEqual(await dciodvfyErrors(part10), []);
  return parseMeasurementReport(part10);
}

describe('glaucoma progression end to end', () => {
  let database: TestDatabase;
  let orthanc: OrthancPeer | undefined;
  let gateway: Gateway | undefined;
  const directory = mkdtempSync(join(tmpdir(), 'fovea-vf-e2e-'));

  before(async () => {
    database = await createTestDatabase('pglite');
    if (peerInstalled('orthanc')) {
      orthanc = await startOrthanc();
    }
  });
  /** A gateway delivering to Orthanc with the use case assistive (the previous test's one closed). */
  async function restartGateway(): Promise<Gateway | undefined> {
    await gateway?.close();
    gateway = undefined;
    if (!orthanc) {
      return undefined;
    }
    gateway = await startTestGateway(
      database,
      { 'delivery.retryBaseSeconds': 0.2 },
      {
        FOVEA_PACS_DIMSE: `${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`,
        FOVEA_PHASES: 'glaucoma-progression:assistive',
      },
    );
    return gateway;
  }
  after(async () => {
    await gateway?.close();
    await orthanc?.dispose();
    await database.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it('turns a progressing series into a progression SR in Orthanc and a referable worklist entry', async (t) => {
    const active = await restartGateway();
    if (
      !requirePeer(t, 'orthanc') ||
      !requirePeer(t, 'dcmtk') ||
      !requirePeer(t, 'dciodvfy') ||
      !active ||
      !orthanc
    ) {
      return;
    }
    const objects = generateVisualFieldSeries({
      seed: 611,
      eye: 'R',
      visits: 7,
      intervalYears: 1,
      mdSlopeDbPerYear: -1,
      arcuate: 'superior',
    });
    const files = (await writeObjects(directory, objects)).filter((file) => file.endsWith('.dcm'));
    const byDate = objects
      .map((object, index) => ({ object, file: files[index]! }))
      .sort((a, b) =>
        (a.object.truth.object?.studyDate ?? '').localeCompare(b.object.truth.object?.studyDate ?? ''),
      );
    const earlier = byDate.slice(0, -1);
    const newest = byDate.at(-1)!;
    const studyUid = newest.object.studyInstanceUid;
    const report = await sendSeries(
      active,
      orthanc,
      {
        files: earlier.map((entry) => entry.file),
        studyUids: earlier.map((entry) => entry.object.studyInstanceUid),
      },
      { files: [newest.file], studyUid },
      storescuConfig(directory),
    );
    assert.equal(report.completionFlag, 'PARTIAL');
    const verdict = report.groups.find(
      (group) => group.value?.kind === 'classification' && group.value.concept.value === 'vf-progression',
    );
    assert.equal(verdict?.eye, 'R');
    assert.equal(verdict?.algorithm?.name, 'vf-progression');
    assert.equal(verdict?.value?.kind === 'classification' && verdict.value.value.value, 'vf-likely');
    const worklist = await getJson<{ entries: { studyInstanceUid: string; triage: { bucket: string } }[] }>(
      active,
      '/api/worklist',
    );
    assert.equal(
      worklist.body.entries.find((entry) => entry.studyInstanceUid === studyUid)?.triage.bucket,
      'referable',
    );
  });

  it('turns fields and circle scans into an SR with MD and RNFL slopes, and serves the trend plot', async (t) => {
    const active = await restartGateway();
    if (
      !requirePeer(t, 'orthanc') ||
      !requirePeer(t, 'dcmtk') ||
      !requirePeer(t, 'dciodvfy') ||
      !active ||
      !orthanc
    ) {
      return;
    }
    const series = await generateGlaucomaSeries({ seed: 'glaucoma-e2e', visits: 5 });
    const folder = join(directory, 'glaucoma');
    const files = (await writeObjects(folder, series.objects)).filter((file) => file.endsWith('.dcm'));
    const current = series.studies.at(-1)!.studyInstanceUid;
    const entries = series.objects.map((object, index) => ({ object, file: files[index]! }));
    const report = await sendSeries(
      active,
      orthanc,
      {
        files: entries
          .filter((entry) => entry.object.studyInstanceUid !== current)
          .map((entry) => entry.file),
        studyUids: series.studies.slice(0, -1).map((study) => study.studyInstanceUid),
      },
      {
        files: entries
          .filter((entry) => entry.object.studyInstanceUid === current)
          .map((entry) => entry.file),
        studyUid: current,
      },
      storescuConfig(directory),
    );
    const group = (eye: string, code: string) =>
      report.groups.find(
        (entry) =>
          entry.eye === eye &&
          entry.value !== undefined &&
          'concept' in entry.value &&
          entry.value.concept.value === code,
      );
    const verdict = group('R', 'vf-progression');
    assert.equal(verdict?.algorithm?.name, 'vf-progression');
    assert.equal(verdict?.value?.kind === 'classification' && verdict.value.value.value, 'vf-likely');
    const agreement = group('R', 'structure-function');
    assert.equal(agreement?.value?.kind === 'classification' && agreement.value.value.value, 'sf-both');
    for (const code of [
      'rnfl-slope',
      'rnfl-slope-ci-lower',
      'rnfl-slope-ci-upper',
      'rnfl-slope-p',
      'md-slope',
      'md-slope-p',
    ]) {
      assert.equal(group('R', code)?.value?.kind, 'measurement', code);
    }
    const rnflSlope = group('R', 'rnfl-slope');
    assert.ok(rnflSlope?.value?.kind === 'measurement' && rnflSlope.value.value < -1);
    const worklist = await getJson<{ entries: { studyInstanceUid: string; triage: { bucket: string } }[] }>(
      active,
      '/api/worklist',
    );
    assert.equal(
      worklist.body.entries.find((entry) => entry.studyInstanceUid === current)?.triage.bucket,
      'referable',
    );
    const plot = await fetch(`${active.httpUrl}/api/studies/${current}/trend-plot?eye=R`, {
      headers: bearer(testApiToken),
    });
    assert.equal(plot.status, 200);
    assert.match(plot.headers.get('content-type') ?? '', /^image\/svg\+xml/);
    const svg = await plot.text();
    assert.match(svg, /<svg[\s>]/);
    assert.match(svg, /AI-generated/);
    assert.match(svg, /RNFL/);
    const missing = await fetch(`${active.httpUrl}/api/studies/${current}/trend-plot?eye=R`);
    assert.equal(missing.status, 401);
  });
});
