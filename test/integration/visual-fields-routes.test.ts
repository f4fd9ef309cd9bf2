/**
 * The review station's visual-field and prior-visit routes on both back ends: a synthetic patient's yearly 24-2
 * fields (right eye progressing, left stable) are sent by STOW-RS and analysed by the gateway's vf-progression
 * (assistive); `GET /api/studies/{uid}/visual-fields` answers every point of each eye's OPV as the file holds it,
 * the perimeter's indices and reliability, and Fovea's MD and PSD and series from the analysis;
 * `GET /api/studies/{uid}/prior-visit` finds the previous visit and the change of MD per eye. The view of an OPV
 * data set is also checked on hand-made 10-2 and 30-2 grids with pattern deviation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { computeIndices, convertOpv, locations242 } from '../../src/analyzers/vf-progression/index.ts';
import { readNaturalPart10 } from '../../src/dicom/codec/index.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import type { PriorVisitView, VisualFieldsView } from '../../src/api/visual-field-schemas.ts';
import { patternOf, visualFieldTestView } from '../../src/api/visual-field-views.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, testApiToken, testIngestToken } from '../peers/gateway.ts';
import {
  fieldOf,
  foveaIndices,
  generateVisualFieldVisits,
  sendVisualFieldVisits,
  type VisualFieldVisits,
} from '../peers/visual-field-visits.ts';

type Dataset = Record<string, unknown>;

function grid(
  step: number,
  offset: number,
  half: number,
  maxY: number,
  keep: (x: number, y: number) => boolean,
) {
  const points: { x: number; y: number }[] = [];
  for (let y = maxY; y >= -maxY; y -= step) {
    for (let x = -half; x <= half; x += step) {
      if (Math.abs(x) % step === offset && Math.abs(y) % step === offset && keep(x, y)) {
        points.push({ x, y });
      }
    }
  }
  return points;
}

describe('visual-field view of an OPV data set', () => {
  it('recognises the 10-2, 24-2 and 30-2 grids and nothing else', () => {
    const tenTwo = grid(2, 1, 9, 9, (x, y) => x * x + y * y <= 100);
    const thirtyTwo = grid(6, 3, 27, 27, (x, y) => x * x + y * y <= 28.5 * 28.5);
    const twentyFourTwo = locations242.map(({ x, y }) => ({ x, y }));
    assert.ok(tenTwo.length >= 68, String(tenTwo.length));
    assert.equal(thirtyTwo.length, 76);
    assert.equal(twentyFourTwo.length, 54);
    assert.equal(patternOf(tenTwo), '10-2');
    assert.equal(patternOf(thirtyTwo), '30-2');
    assert.equal(patternOf(twentyFourTwo), '24-2');
    assert.equal(patternOf(tenTwo.map((point) => ({ x: point.x + 0.5, y: point.y }))), 'other');
    assert.equal(patternOf([]), 'other');
  });

  it('reads pattern deviation when flagged, catch-trial counts without estimates, and no blind spot in a 10-2', () => {
    const points = grid(2, 1, 9, 9, (x, y) => x * x + y * y <= 100);
    const dataset: Dataset = {
      StudyDate: '20240102',
      VisualFieldTestPointSequence: points.map((point, index) => ({
        VisualFieldTestPointXCoordinate: point.x,
        VisualFieldTestPointYCoordinate: point.y,
        StimulusResults: index === 0 ? 'NOT SEEN' : 'SEEN',
        SensitivityValue: index === 0 ? 0 : 30,
        VisualFieldTestPointNormalsSequence: [
          {
            AgeCorrectedSensitivityDeviationValue: -4,
            AgeCorrectedSensitivityDeviationProbabilityValue: 2,
            GeneralizedDefectCorrectedSensitivityDeviationFlag: 'YES',
            GeneralizedDefectCorrectedSensitivityDeviationValue: -3,
            GeneralizedDefectCorrectedSensitivityDeviationProbabilityValue: 5,
          },
        ],
      })),
      VisualFieldCatchTrialSequence: [
        { FalsePositivesEstimateFlag: 'NO', FalsePositivesQuantity: 1, PositiveCatchTrialsQuantity: 10 },
      ],
    };
    const view = visualFieldTestView(dataset, '1.2.3', 'L');
    assert.equal(view.pattern, '10-2');
    assert.equal(view.date, '2024-01-02');
    assert.equal(view.blindSpot, null);
    assert.ok(view.points.every((point) => !point.blindSpot));
    assert.deepEqual(view.points[0], {
      x: points[0]!.x,
      y: points[0]!.y,
      sensitivityDb: 0,
      seen: false,
      blindSpot: false,
      totalDeviationDb: -4,
      totalDeviationP: 2,
      patternDeviationDb: -3,
      patternDeviationP: 5,
    });
    assert.equal(view.reliability.falsePositivesPercent, 10);
    assert.equal(view.reliability.falseNegativesPercent, null);
    assert.deepEqual(view.device, { md: null, psd: null, vfi: null });
    assert.equal(view.aiDeviations, null);
  });
});

for (const backend of await testBackends()) {
  describe(`visual-field and prior-visit routes on ${backend}`, () => {
    let database: TestDatabase;
    let gateway: Gateway;
    let visits: VisualFieldVisits;

    before(async () => {
      database = await createTestDatabase(backend);
      gateway = await startTestGateway(database, {}, { FOVEA_PHASES: 'glaucoma-progression:assistive' });
      visits = generateVisualFieldVisits(`vf-routes-${backend}`, 6);
      const client = new DicomWebClient({
        baseUrl: `${gateway.httpUrl}/dicomweb`,
        auth: { bearer: testIngestToken },
      });
      await sendVisualFieldVisits(gateway, client, visits);
    });
    after(async () => {
      await gateway.close();
      await database.dispose();
    });

    it("answers each eye's field as the OPV holds it, with Fovea's indices and series", async () => {
      const newest = visits.studies.at(-1)!.studyInstanceUid;
      const { status, body } = await getJson<VisualFieldsView>(
        gateway,
        `/api/studies/${newest}/visual-fields`,
        testApiToken,
      );
      assert.equal(status, 200);
      assert.deepEqual(
        body.eyes.map((entry) => entry.eye),
        ['R', 'L'],
      );
      for (const entry of body.eyes) {
        const source = fieldOf(visits, newest, entry.eye);
        const dataset = readNaturalPart10(source.part10) as Dataset;
        assert.equal(entry.tests.length, 1);
        const test = entry.tests[0]!;
        assert.equal(test.sopInstanceUid, source.sopInstanceUid);
        assert.equal(test.pattern, '24-2');
        const sourcePoints = dataset.VisualFieldTestPointSequence as Dataset[];
        assert.equal(test.points.length, sourcePoints.length);
        for (const [index, point] of test.points.entries()) {
          const item = sourcePoints[index]!;
          const normals = (item.VisualFieldTestPointNormalsSequence as Dataset[])[0]!;
          assert.equal(point.x, item.VisualFieldTestPointXCoordinate);
          assert.equal(point.y, item.VisualFieldTestPointYCoordinate);
          assert.equal(point.sensitivityDb, item.SensitivityValue);
          assert.equal(point.totalDeviationDb, normals.AgeCorrectedSensitivityDeviationValue);
          assert.equal(point.totalDeviationP, normals.AgeCorrectedSensitivityDeviationProbabilityValue);
          assert.equal(
            point.patternDeviationDb,
            undefined,
            'the synthetic perimeter writes no pattern deviation',
          );
        }
        // The blind spot is temporal: right of fixation for a right eye, left for a left eye (field view).
        const blind = test.points.filter((point) => point.blindSpot);
        assert.equal(blind.length, 2);
        assert.ok(
          blind.every((point) => point.x === (entry.eye === 'R' ? 15 : -15) && Math.abs(point.y) === 3),
        );
        const global = dataset.VisualFieldGlobalResultsIndexSequence as Dataset[];
        const deviceMd = Number(
          (
            (global[0]!.DataObservationSequence as Dataset[])[0]!.NumericValue as unknown[] | string
          ).toString(),
        );
        assert.equal(test.device.md, deviceMd);
        const catchTrials = (dataset.VisualFieldCatchTrialSequence as Dataset[])[0]!;
        assert.equal(test.reliability.falsePositivesPercent, catchTrials.FalsePositivesEstimate);
        const fixation = (dataset.FixationSequence as Dataset[])[0]!;
        assert.equal(test.reliability.fixationLosses, fixation.PatientNotProperlyFixatedQuantity);
        // Fovea's deviations: the analyzer's normative model at the OPV's own points (left eyes mirrored back).
        const deviations = test.aiDeviations!;
        assert.match(deviations.analyzer, /^vf-progression@\d/u);
        assert.equal(deviations.label, 'AI-generated — verify');
        assert.deepEqual(
          deviations.points.map((point) => `${String(point.x)},${String(point.y)}`).sort(),
          test.points.map((point) => `${String(point.x)},${String(point.y)}`).sort(),
        );
        const conversion = convertOpv(dataset);
        assert.ok(conversion.ok);
        const indices = computeIndices(conversion.test);
        for (const [index, location] of locations242.entries()) {
          const x = entry.eye === 'R' ? location.x : -location.x;
          const point = deviations.points.find(
            (candidate) => candidate.x === x && candidate.y === location.y,
          )!;
          assert.equal(point.totalDeviationDb, indices.td[index]);
          assert.equal(point.patternDeviationDb, indices.pd[index]);
          assert.equal(
            point.totalDeviationP,
            indices.tdProbability[index] === null ? null : indices.tdProbability[index]! * 100,
          );
        }
        const generalHeight = deviations.points
          .filter((point) => point.totalDeviationDb !== null)
          .map((point) => point.totalDeviationDb! - point.patternDeviationDb!);
        assert.equal(generalHeight.length, 52, 'no deviation at the two blind-spot locations');
        assert.ok(
          generalHeight.every((gh) => Math.abs(gh - generalHeight[0]!) < 1e-9),
          'PD = TD − GH everywhere',
        );
        const fovea = await foveaIndices(gateway, newest, entry.eye, source.sopInstanceUid);
        assert.equal(test.ai?.md, fovea.md);
        assert.equal(test.ai?.psd, fovea.psd);
        assert.equal(test.ai?.label, 'AI-generated — verify');
        assert.match(test.ai?.analyzer ?? '', /^vf-progression@\d/u);
        assert.equal(entry.progression?.series.length, 6, 'the series holds every visit');
        const plot = await fetch(`${gateway.httpUrl}${entry.progression!.trendPlot}`, {
          headers: { authorization: `Bearer ${testApiToken}` },
        });
        assert.equal(plot.status, 200);
        assert.match(await plot.text(), /^<svg/u);
      }
      const right = body.eyes[0]!.progression!;
      const left = body.eyes[1]!.progression!;
      assert.equal(right.verdict, 'likely-progression');
      assert.ok(
        right.mdSlopeDbPerYear !== null && right.mdSlopeDbPerYear < -0.8,
        String(right.mdSlopeDbPerYear),
      );
      assert.notEqual(left.verdict, 'likely-progression');
    });

    it('answers the previous visit with the change of MD per eye, and no prior for the first visit', async () => {
      const newest = visits.studies.at(-1)!;
      const previous = visits.studies.at(-2)!;
      const { status, body } = await getJson<PriorVisitView>(
        gateway,
        `/api/studies/${newest.studyInstanceUid}/prior-visit`,
        testApiToken,
      );
      assert.equal(status, 200);
      assert.equal(body.prior?.studyInstanceUid, previous.studyInstanceUid);
      assert.equal(body.prior?.studyDate, previous.studyDate);
      assert.ok(body.intervalDays === 365 || body.intervalDays === 366, String(body.intervalDays));
      for (const eye of ['R', 'L'] as const) {
        const md = body.measures.find((measure) => measure.eye === eye && measure.key === 'md');
        const indices = async (study: string) =>
          foveaIndices(gateway, newest.studyInstanceUid, eye, fieldOf(visits, study, eye).sopInstanceUid);
        const now = (await indices(newest.studyInstanceUid)).md;
        const then = (await indices(previous.studyInstanceUid)).md;
        assert.equal(md?.unit, 'dB');
        assert.equal(md?.current?.value, now);
        assert.equal(md?.prior?.value, then);
        assert.equal(md?.change, now - then);
        assert.equal(md?.current?.aiGenerated, true);
        assert.match(md?.prior?.analyzer ?? '', /^vf-progression@\d/u);
      }
      const first = await getJson<PriorVisitView>(
        gateway,
        `/api/studies/${visits.studies[0]!.studyInstanceUid}/prior-visit`,
        testApiToken,
      );
      assert.equal(first.status, 200);
      assert.equal(first.body.prior, null);
      assert.ok(first.body.measures.every((measure) => measure.prior === null && measure.change === null));
    });

    it('lists both routes in the OpenAPI document', async () => {
      const { body } = await getJson<{ paths: Record<string, { get?: { summary?: string } }> }>(
        gateway,
        '/api/openapi.json',
        null,
      );
      for (const path of ['visual-fields', 'prior-visit']) {
        assert.ok(body.paths[`/api/studies/{StudyInstanceUID}/${path}`]?.get?.summary, path);
      }
    });

    it('refuses an unknown study and a caller without credentials', async () => {
      const unknown = '1.2.826.0.1.3680043.10.511.999';
      for (const path of ['visual-fields', 'prior-visit']) {
        assert.equal((await getJson(gateway, `/api/studies/${unknown}/${path}`, testApiToken)).status, 404);
        const newest = visits.studies.at(-1)!.studyInstanceUid;
        assert.equal((await getJson(gateway, `/api/studies/${newest}/${path}`, null)).status, 401);
      }
    });
  });
}
