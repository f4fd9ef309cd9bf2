/**
 * The review station's OCT view routes against a real gateway (PostgreSQL when it answers, else PGlite; under CI
 * PostgreSQL is required): a synthetic macular cube with subretinal fluid and its SLO are sent by STOW-RS and
 * analysed by oct-macula (dme-quantification assistive). `GET /api/studies/{uid}/oct-layers/{sop}?frame=N`
 * answers the raw output's layer lines as polylines near the phantom's truth; `GET /api/studies/{uid}/oct-slo/{sop}`
 * answers the SLO and the B-scan lines the OPT's Ophthalmic Frame Location gives (also for the real Spectralis line
 * scan of ../shared/data/oct converted by `fovea import-vol`'s converter: the device's own B-scan start and end on
 * its SLO; skipped when the data is absent, a failure under CI), and, for a volume without frame
 * locations, lines from its geometry centred on a photograph of the same eye. Roles: every route refuses an
 * unauthenticated caller (the matrix in access-control.test.ts covers the roles).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LayersFrameView } from '../../src/api/routes/oct-layers.ts';
import type { SloView } from '../../src/api/routes/oct-slo.ts';
import { convertVol } from '../../src/cli/vol-to-dicom.ts';
import { readNaturalPart10 } from '../../src/dicom/codec/index.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { generatePatientStudy, type OctVolumeTruth, type SynthObject } from '../../src/synth/index.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography } from '../fixtures/dicom-files.ts';
import { sharedDataDir } from '../analyzers/fundus-quality-data.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, testIngestToken, waitFor } from '../peers/gateway.ts';
import { underCi } from '../peers/peers.ts';

/** What the test reads of an analysis (admin view). */
interface AnalysisBody {
  analyzer: string;
  status: string;
  raw?: {
    eyes?: {
      sopInstanceUid: string;
      layerLines?: { aScans: number[]; layers: Record<string, (number | null)[][]> };
    }[];
  };
}

const backend = (await testBackends()).at(-1)!;
const linescan = join(sharedDataDir, 'oct/Linescan_1.vol');
if (!existsSync(linescan) && underCi) {
  throw new Error('the real OCT data (../shared/data/oct/Linescan_1.vol) is required under CI');
}

describe(`OCT view routes (${backend})`, () => {
  let database: TestDatabase;
  let gateway: Gateway;
  let client: DicomWebClient;
  let uid: string;
  let oct: SynthObject<OctVolumeTruth>;
  let slo: SynthObject;
  let kept: NonNullable<NonNullable<AnalysisBody['raw']>['eyes']>[number]['layerLines'];

  before(async () => {
    database = await createTestDatabase(backend);
    gateway = await startTestGateway(database, {}, { FOVEA_PHASES: 'dme-quantification:assistive' });
    client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    const study = await generatePatientStudy({
      seed: 7171,
      eyes: ['R'],
      content: { fundus: false, octVolume: true },
      octSize: { frames: 25, columns: 256, rows: 496 },
      findings: { R: { fluid: ['srf'] } },
    });
    uid = study.study.studyInstanceUid;
    oct = study.objects.find((object) => object.modality === 'OPT') as SynthObject<OctVolumeTruth>;
    slo = study.objects.find((object) => object.modality === 'OP')!;
    const stored = await client.storeInstances(
      study.objects.map((object) => object.part10),
      uid,
    );
    assert.equal(stored.status, 200);
    const eye = await waitFor(
      async () => {
        const { body } = await getJson<AnalysisBody[]>(gateway, `/api/governance/studies/${uid}/analyses`);
        const analysis = Array.isArray(body)
          ? body.find((entry) => entry.analyzer.startsWith('oct-macula@') && entry.status === 'succeeded')
          : undefined;
        return analysis?.raw?.eyes?.find((entry) => entry.layerLines !== undefined);
      },
      180_000,
      'the oct-macula analysis with layer lines',
    );
    kept = eye.layerLines;
  });
  after(async () => {
    await gateway.close();
    await database.dispose();
  });

  it('answers the layer lines of a B-scan as polylines in B-scan pixels, near the truth', async () => {
    const frame = 13;
    const answer = await getJson<LayersFrameView>(
      gateway,
      `/api/studies/${uid}/oct-layers/${oct.sopInstanceUid}?frame=${frame}`,
    );
    assert.equal(answer.status, 200);
    const view = answer.body;
    assert.equal(view.aiGenerated, true);
    assert.match(view.analyzer, /^oct-macula@0\.3\.1$/u);
    assert.deepEqual([view.frames, view.rows, view.columns, view.frame], [25, 496, 256, frame]);
    assert.deepEqual(
      view.layers.map((layer) => layer.name),
      ['ILM', 'OPL-ONL', 'RPE', 'BM'],
    );
    for (const layer of view.layers) {
      const points = layer.segments.flat();
      const rows = kept!.layers[layer.name]![frame - 1]!;
      assert.equal(points.length, rows.filter((row) => row !== null).length, `${layer.name}: every sample`);
      for (const [x, y] of points) {
        const index = kept!.aScans.indexOf(x - 0.5);
        assert.ok(index >= 0, `${layer.name}: x is an A-scan centre`);
        assert.equal(y, rows[index]! / 10);
      }
      const truth = oct.truth.boundaries[layer.name as 'ILM']![frame - 1]!;
      const error = points.reduce((sum, [x, y]) => sum + Math.abs(y - truth[x - 0.5]!), 0) / points.length;
      assert.ok(error < 1, `${layer.name}: mean |error| ${error.toFixed(2)} px against the phantom`);
    }
    const ilm = view.layers[0]!.segments.flat();
    const bm = view.layers[3]!.segments.flat();
    assert.ok(
      ilm.every(([, y], index) => y < bm[index]![1]),
      'the ILM lies above Bruch’s membrane',
    );
  });

  it('refuses a frame beyond the volume, an unknown volume and a caller without credentials', async () => {
    const path = `/api/studies/${uid}/oct-layers/${oct.sopInstanceUid}`;
    assert.equal((await getJson(gateway, `${path}?frame=26`)).status, 400);
    assert.equal((await getJson(gateway, `/api/studies/${uid}/oct-layers/1.2.3.4?frame=1`)).status, 404);
    assert.equal((await getJson(gateway, `${path}?frame=1`, null)).status, 401);
    assert.equal(
      (await getJson(gateway, `/api/studies/${uid}/oct-slo/${oct.sopInstanceUid}`, null)).status,
      401,
    );
  });

  it("answers the SLO and each B-scan's line from the OPT's Ophthalmic Frame Location", async () => {
    const answer = await getJson<SloView>(gateway, `/api/studies/${uid}/oct-slo/${oct.sopInstanceUid}`);
    assert.equal(answer.status, 200);
    const view = answer.body;
    assert.equal(view.source, 'ophthalmic-frame-location');
    assert.equal(view.eye, 'R');
    assert.equal(view.slo.sopInstanceUid, slo.sopInstanceUid);
    const sloDataset = readNaturalPart10(slo.part10);
    assert.deepEqual([view.slo.rows, view.slo.columns], [sloDataset.Rows, sloDataset.Columns]);
    const perFrame = readNaturalPart10(oct.part10).PerFrameFunctionalGroupsSequence as {
      OphthalmicFrameLocationSequence: { ReferenceCoordinates: number[] }[];
    }[];
    assert.equal(view.lines.length, 25);
    for (const line of view.lines) {
      const [r1, c1, r2, c2] =
        perFrame[line.frame - 1]!.OphthalmicFrameLocationSequence[0]!.ReferenceCoordinates;
      assert.deepEqual(line.points, [
        [c1, r1],
        [c2, r2],
      ]);
    }
    assert.ok(view.lines[0]!.points[0]![1] < view.lines[24]!.points[0]![1], 'frame 1 is the superior B-scan');
  });

  it(
    'places a real Spectralis line scan imported by fovea import-vol on its SLO from the frame location',
    {
      skip: existsSync(linescan)
        ? false
        : 'the real OCT data (../shared/data/oct/Linescan_1.vol) is not present',
    },
    async () => {
      const converted = convertVol(readFileSync(linescan));
      assert.ok(converted.slo !== undefined, 'the export carries an SLO');
      const stored = await client.storeInstances(
        [converted.oct.part10, converted.slo.part10],
        converted.oct.studyInstanceUid,
      );
      assert.equal(stored.status, 200);
      await gateway.ingest.flush();
      const answer = await getJson<SloView>(
        gateway,
        `/api/studies/${converted.oct.studyInstanceUid}/oct-slo/${converted.oct.sopInstanceUid}`,
      );
      assert.equal(answer.status, 200);
      const view = answer.body;
      assert.equal(view.source, 'ophthalmic-frame-location');
      assert.equal(view.slo.sopInstanceUid, converted.slo.sopInstanceUid);
      const header = converted.vol.header;
      assert.deepEqual([view.slo.rows, view.slo.columns], [header.sizeYSlo, header.sizeXSlo]);
      assert.equal(view.lines.length, 1);
      const bScan = converted.vol.bScans[0]!;
      const [[x1, y1], [x2, y2]] = view.lines[0]!.points as [[number, number], [number, number]];
      // The device's own start and end of the B-scan (mm on the SLO), in SLO pixels.
      const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-3;
      assert.ok(
        close(x1, bScan.startXMm / header.scaleXSloMm) && close(y1, bScan.startYMm / header.scaleYSloMm),
      );
      assert.ok(close(x2, bScan.endXMm / header.scaleXSloMm) && close(y2, bScan.endYMm / header.scaleYSloMm));
      for (const [x, y] of view.lines[0]!.points) {
        assert.ok(x >= 0 && x <= view.slo.columns && y >= 0 && y <= view.slo.rows, 'on the SLO');
      }
    },
  );

  it('places the B-scans from the volume geometry when the OPT has no frame locations', async () => {
    const studyInstanceUid = `2.25.${Date.now()}3`;
    const volume = makeOphthalmicTomography({ studyInstanceUid, eye: 'L', frames: 4, rows: 32, columns: 48 });
    const lonely = makeOphthalmicTomography({ studyInstanceUid, eye: 'R', frames: 4 });
    const photo = await makeOphthalmicPhotograph({ studyInstanceUid, eye: 'L', rows: 64, columns: 64 });
    const stored = await client.storeInstances(
      [volume.part10, lonely.part10, photo.part10],
      studyInstanceUid,
    );
    assert.equal(stored.status, 200);
    await gateway.ingest.flush();
    const answer = await getJson<SloView>(
      gateway,
      `/api/studies/${studyInstanceUid}/oct-slo/${volume.sopInstanceUid}`,
    );
    assert.equal(answer.status, 200);
    const view = answer.body;
    assert.equal(view.source, 'volume-geometry');
    assert.equal(view.slo.sopInstanceUid, photo.sopInstanceUid);
    // 48 A-scans × 0.0117 mm on a 0.01 mm photograph, centred; a square scan: 4 B-scans 0.1404 mm apart.
    const half = (48 * 0.0117) / 2 / 0.01;
    const spacing = (48 * 0.0117) / 4 / 0.01;
    assert.equal(view.lines.length, 4);
    for (const line of view.lines) {
      const y = 32 + (line.frame - 2.5) * spacing;
      const [[x1, y1], [x2, y2]] = line.points as [[number, number], [number, number]];
      assert.ok(Math.abs(x1 - (32 - half)) < 1e-9 && Math.abs(x2 - (32 + half)) < 1e-9);
      assert.ok(Math.abs(y1 - y) < 1e-9 && Math.abs(y2 - y) < 1e-9, `frame ${line.frame}`);
    }
    const none = await getJson(gateway, `/api/studies/${studyInstanceUid}/oct-slo/${lonely.sopInstanceUid}`);
    assert.equal(none.status, 404, 'no image of the right eye to draw on');
    assert.equal((await getJson(gateway, `/api/studies/${studyInstanceUid}/oct-slo/1.2.3`)).status, 404);
  });
});
