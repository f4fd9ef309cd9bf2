/**
 * The review station's visual fields and prior visit in Debian's Chromium (playwright-core), against a real
 * gateway: a synthetic patient's six yearly visits, each a 24-2 field of both eyes (right eye progressing, left
 * stable), are sent by STOW-RS and analysed by the gateway's vf-progression (assistive). A grader opens the
 * newest visit and sees both eyes side by side (right eye on the left), the sensitivities, total deviations and
 * probability symbols of the OPV files at their points, each blind spot on its temporal side, the perimeter's
 * and Fovea's MD, the progression verdict and both trend plots; and the prior visit with the change of MD per
 * eye. Screenshots: test-output/screenshots/visual-field.png and prior-visit.png. No fixed sleeps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { VisualFieldsView } from '../../src/api/visual-field-schemas.ts';
import { readNaturalPart10 } from '../../src/dicom/codec/index.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { getJson, testApiToken, testIngestToken } from '../peers/gateway.ts';
import {
  fieldOf,
  foveaIndices,
  generateVisualFieldVisits,
  sendVisualFieldVisits,
  type VisualFieldVisits,
} from '../peers/visual-field-visits.ts';
import { requireChromium } from './chromium.ts';
import { keepScreenshots, signIn, waitForCount } from './station.ts';
import { useStation } from './station-fixture.ts';

type Dataset = Record<string, unknown>;

const username = 'vf-grader';
const password = 'correct horse battery staple';

/** A number as the station writes it: a true minus sign, `digits` decimals, `+` when asked. */
function expectedSigned(value: number, digits: number, plus = false): string {
  const text = Math.abs(value).toFixed(digits);
  return Number(text) === 0 ? text : `${value < 0 ? '−' : plus ? '+' : ''}${text}`;
}

describe('visual fields and the prior visit in Chromium', () => {
  const station = useStation('glaucoma-progression:assistive', [{ username, password, roles: ['grader'] }]);
  let visits: VisualFieldVisits;
  const shots = mkdtempSync(join(tmpdir(), 'fovea-visual-field-'));
  station.directories.push(shots);

  it("shows both eyes' maps with the OPV's values, the trend plots and the prior visit with the change", async (t) => {
    const gateway = station.gateway;
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    visits = generateVisualFieldVisits('vf-browser', 6);
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    await sendVisualFieldVisits(gateway, client, visits);
    const newest = visits.studies.at(-1)!.studyInstanceUid;
    const previous = visits.studies.at(-2)!;

    const browser = await station.launch(executable);
    const page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    await signIn(page, gateway.httpUrl, username, password);
    await page.goto(`${gateway.httpUrl}/studies/${newest}`);
    await waitForCount(page, '[data-testid="vf-eye"]', 2);
    const fields = (
      await getJson<VisualFieldsView>(gateway, `/api/studies/${newest}/visual-fields`, testApiToken)
    ).body;
    const eyes = page.getByTestId('vf-eye');
    assert.deepEqual(
      [await eyes.nth(0).getAttribute('data-eye'), await eyes.nth(1).getAttribute('data-eye')],
      ['R', 'L'],
      'both eyes side by side, right eye on the left',
    );
    const [rightBox, leftBox] = [await eyes.nth(0).boundingBox(), await eyes.nth(1).boundingBox()];
    assert.ok(rightBox !== null && leftBox !== null && rightBox.x < leftBox.x, 'the right eye is drawn left');

    for (const eye of ['R', 'L'] as const) {
      const panel = page.locator(`[data-testid="vf-eye"][data-eye="${eye}"]`);
      const perimeter = panel.locator('[data-testid="vf-deviation-pair"][data-source="perimeter"]');
      const fovea = panel.locator(
        '[data-testid="vf-deviation-pair"][data-source="fovea"][data-kind="pattern"]',
      );
      const source = fieldOf(visits, newest, eye);
      assert.equal(await panel.getByTestId('vf-test').getAttribute('data-sop'), source.sopInstanceUid);
      const dataset = readNaturalPart10(source.part10) as Dataset;
      const points = dataset.VisualFieldTestPointSequence as Dataset[];
      // A few points of the file, read on screen: the first, the least sensitive outside the blind spot, the last.
      const outside = points.filter(
        (point) => Math.abs(Number(point.VisualFieldTestPointXCoordinate)) !== 15,
      );
      const weakest = outside.reduce((a, b) =>
        Number(b.SensitivityValue) < Number(a.SensitivityValue) ? b : a,
      );
      for (const point of [outside[0]!, weakest, outside.at(-1)!]) {
        const at = `[data-x="${String(point.VisualFieldTestPointXCoordinate)}"][data-y="${String(point.VisualFieldTestPointYCoordinate)}"]`;
        const sensitivity = Number(point.SensitivityValue);
        const shown = await panel.locator(`[data-testid="vf-sensitivity"]${at}`).textContent();
        assert.equal(
          shown,
          point.StimulusResults === 'NOT SEEN' && sensitivity <= 0 ? '<0' : String(Math.round(sensitivity)),
          `sensitivity at ${at}`,
        );
        const normals = (point.VisualFieldTestPointNormalsSequence as Dataset[])[0]!;
        const deviation = await perimeter.locator(`[data-testid="vf-deviation-value"]${at}`).textContent();
        assert.equal(
          deviation,
          expectedSigned(Math.round(Number(normals.AgeCorrectedSensitivityDeviationValue)), 0),
          `total deviation at ${at}`,
        );
        const symbol = perimeter.locator(`[data-testid="vf-probability"]${at}`);
        assert.equal(
          Number(await symbol.getAttribute('data-p')),
          Number(normals.AgeCorrectedSensitivityDeviationProbabilityValue),
        );
      }
      assert.equal(await perimeter.getAttribute('data-kind'), 'total');
      // Fovea's pattern deviation, as the route computed it with vf-progression's normative model.
      const route = fields.eyes.find((entry) => entry.eye === eye)!.tests[0]!.aiDeviations!;
      const shownPd = route.points.filter((point) => point.patternDeviationDb !== null);
      assert.equal(await fovea.locator('[data-testid="vf-deviation-value"]').count(), shownPd.length);
      for (const point of [shownPd[0]!, shownPd.at(-1)!]) {
        const at = `[data-x="${String(point.x)}"][data-y="${String(point.y)}"]`;
        assert.equal(
          await fovea.locator(`[data-testid="vf-deviation-value"]${at}`).textContent(),
          expectedSigned(Math.round(point.patternDeviationDb!), 0),
        );
        assert.equal(
          Number(await fovea.locator(`[data-testid="vf-probability"]${at}`).getAttribute('data-p')),
          point.patternDeviationP,
        );
      }
      assert.equal(await panel.getByTestId('vf-deviation-analyzer').textContent(), route.analyzer);
      assert.ok(
        (await panel.locator('[data-testid="vf-greyscale"] rect').count()) > 200,
        'the grey scale is drawn',
      );
      // The blind spot lies temporally: right of fixation for a right eye, left for a left eye.
      const grey = await panel.getByTestId('vf-greyscale').boundingBox();
      const blind = await panel.getByTestId('vf-blind-spot').boundingBox();
      assert.ok(grey !== null && blind !== null);
      const side = blind.x + blind.width / 2 - (grey.x + grey.width / 2);
      assert.ok(eye === 'R' ? side > 0 : side < 0, `${eye} blind spot at ${String(side)} px from the centre`);
      const global = dataset.VisualFieldGlobalResultsIndexSequence as Dataset[];
      const deviceMd = Number((global[0]!.DataObservationSequence as Dataset[])[0]!.NumericValue);
      assert.equal(
        await panel.getByTestId('vf-device-md').textContent(),
        `${expectedSigned(deviceMd, 2)} dB`,
      );
      const aiMd = (await foveaIndices(gateway, newest, eye, source.sopInstanceUid)).md;
      assert.equal(await panel.getByTestId('vf-ai-md').textContent(), `${expectedSigned(aiMd, 2)} dB`);
      assert.match(
        (await panel.getByTestId('vf-ai-md').getAttribute('data-analyzer')) ?? '',
        /^vf-progression@\d/u,
      );
    }
    assert.equal(
      await page
        .locator('[data-testid="vf-eye"][data-eye="R"] [data-testid="vf-progression"]')
        .getAttribute('data-verdict'),
      'likely-progression',
    );
    await waitForCount(page, 'img[data-testid="vf-trend-plot"]', 2, true);
    const fieldShot = join(shots, 'visual-field.png');
    await page.getByTestId('vf-section').screenshot({ path: fieldShot });

    const prior = page.getByTestId('prior-visit');
    await prior.waitFor();
    assert.equal(await prior.getAttribute('data-prior-uid'), previous.studyInstanceUid);
    for (const eye of ['R', 'L'] as const) {
      const now = (await foveaIndices(gateway, newest, eye, fieldOf(visits, newest, eye).sopInstanceUid)).md;
      const then = (
        await foveaIndices(
          gateway,
          newest,
          eye,
          fieldOf(visits, previous.studyInstanceUid, eye).sopInstanceUid,
        )
      ).md;
      const row = prior.locator(`[data-testid="prior-visit-measure"][data-eye="${eye}"][data-key="md"]`);
      assert.equal(await row.getByTestId('prior-value').textContent(), `${expectedSigned(then, 2)} dB`);
      assert.equal(await row.getByTestId('current-value').textContent(), `${expectedSigned(now, 2)} dB`);
      assert.equal(
        await row.getByTestId('change').textContent(),
        `${expectedSigned(now - then, 2, true)} dB`,
      );
      assert.equal(await row.locator('.ai-tag').textContent(), 'AI-generated — verify');
      assert.match((await row.getByTestId('measure-analyzer').textContent()) ?? '', /^vf-progression@\d/u);
    }
    const priorShot = join(shots, 'prior-visit.png');
    await prior.screenshot({ path: priorShot });
    keepScreenshots(t, [fieldShot, priorShot]);
  });
});
