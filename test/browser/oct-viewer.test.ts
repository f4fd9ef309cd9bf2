/**
 * The review station's OCT viewer in Debian's Chromium (playwright-core) against a real gateway: a synthetic macular
 * cube with subretinal fluid and its SLO are sent by STOW-RS and analysed by oct-macula (dme-quantification
 * assistive); a grader opens the study and sees the AI's layer boundaries over the B-scan (the route's polylines,
 * four colours, a legend, a toggle), the fluid, the SLO beside it with every B-scan's line faint and the current one
 * highlighted — moving with the slider, and a click on the SLO choosing a B-scan — and the ETDRS map with the
 * findings' values per subfield, nasal towards the disc, labelled AI-generated with the analyzer id@version. A
 * screenshot of the viewer with layers and fluid is kept as test-output/screenshots/oct-viewer-layers.png. No fixed
 * sleeps: every wait is for a selector, a response or a condition in the page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { LayersFrameView } from '../../src/api/routes/oct-layers.ts';
import type { SloView } from '../../src/api/routes/oct-slo.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { generatePatientStudy } from '../../src/synth/index.ts';
import { getJson, testIngestToken, waitFor } from '../peers/gateway.ts';
import { requireChromium } from './chromium.ts';
import { attributesOf, keepScreenshots, signIn, waitForCount } from './station.ts';
import { useStation } from './station-fixture.ts';

interface AnalysisBody {
  analyzer: string;
  status: string;
  raw?: { eyes?: { sopInstanceUid: string; layerLines?: unknown; fluidLabels?: unknown }[] };
}

interface FindingBody {
  key: string;
  eye: string;
  value: { kind: string; value?: number };
  provenance: { analyzer: string };
}

const username = 'oct-grader';
const password = 'correct horse battery staple';

/** The polyline points attribute the page draws for a list of points. */
function pointsAttribute(points: readonly (readonly [number, number])[]): string {
  return points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

/** Waits until the B-scan, its layer lines and the SLO's highlighted line all show `frame`. */
async function waitForFrame(page: Page, frame: number): Promise<void> {
  await waitForCount(page, `img[data-testid="oct-bscan"][src*="frame=${frame}&"]`, 1, true);
  await page.locator(`[data-testid="oct-layers"][data-frame="${frame}"]`).waitFor();
  // A horizontal line has no height, which Playwright calls hidden: wait for it in the page.
  await page
    .locator(`[data-testid="slo-current-line"][data-frame="${frame}"]`)
    .waitFor({ state: 'attached' });
}

describe('OCT viewer in Chromium', () => {
  const station = useStation('dme-quantification:assistive', [{ username, password, roles: ['grader'] }]);

  it('draws layer lines and fluid on the B-scan, the B-scan positions on the SLO and the ETDRS map', async (t) => {
    const gateway = station.gateway;
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    const study = await generatePatientStudy({
      seed: 8181,
      eyes: ['R'],
      content: { fundus: false, octVolume: true },
      octSize: { frames: 25, columns: 384, rows: 496 },
      findings: { R: { fluid: ['srf'] } },
    });
    const uid = study.study.studyInstanceUid;
    const oct = study.objects.find((object) => object.modality === 'OPT')!;
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    const stored = await client.storeInstances(
      study.objects.map((object) => object.part10),
      uid,
    );
    assert.equal(stored.status, 200);
    await waitFor(
      async () => {
        const { body } = await getJson<AnalysisBody[]>(gateway, `/api/governance/studies/${uid}/analyses`);
        const analysis = Array.isArray(body)
          ? body.find((entry) => entry.analyzer.startsWith('oct-macula@') && entry.status === 'succeeded')
          : undefined;
        return analysis?.raw?.eyes?.find(
          (entry) => entry.layerLines !== undefined && entry.fluidLabels !== undefined,
        );
      },
      180_000,
      'the oct-macula analysis with layer lines and a fluid mask',
    );
    const findings = (
      await getJson<{ findings: FindingBody[] }>(gateway, `/api/studies/${uid}/findings`)
    ).body.findings.filter((finding) => finding.eye === 'R');
    const slo = (await getJson<SloView>(gateway, `/api/studies/${uid}/oct-slo/${oct.sopInstanceUid}`)).body;
    assert.equal(slo.source, 'ophthalmic-frame-location');

    const browser = await station.launch(executable);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signIn(page, gateway.httpUrl, username, password);
    await page.goto(`${gateway.httpUrl}/studies/${uid}`);
    const middle = 13;
    await waitForFrame(page, middle);

    // Layer lines: the route's polylines over the B-scan, one colour per boundary, covering the image.
    const layersPath = `/api/studies/${uid}/oct-layers/${oct.sopInstanceUid}`;
    const lines = (await getJson<LayersFrameView>(gateway, `${layersPath}?frame=${middle}`)).body;
    const layerGroups = page.locator(
      `[data-testid="oct-layers"][data-frame="${middle}"] [data-testid="oct-layer"]`,
    );
    assert.equal(await layerGroups.count(), 4);
    const strokes = new Set<string>();
    for (const layer of lines.layers) {
      const group = page.locator(`[data-testid="oct-layers"] [data-layer="${layer.name}"]`);
      strokes.add((await group.getAttribute('stroke')) ?? '');
      const drawn = (await attributesOf(group.locator('polyline'), ['points'])).map((row) => row.points);
      assert.deepEqual(drawn, layer.segments.map(pointsAttribute), `${layer.name} as the route answers`);
    }
    assert.equal(strokes.size, 4, 'a distinct colour per boundary');
    assert.equal(await page.getByTestId('oct-layer-legend').locator('li').count(), 4);
    const imageBox = await page.getByTestId('oct-bscan').boundingBox();
    const layerBox = await page.getByTestId('oct-layers').boundingBox();
    assert.ok(imageBox !== null && layerBox !== null);
    for (const side of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs(imageBox[side] - layerBox[side]) < 1, `the lines cover the B-scan (${side})`);
    }
    await page.getByTestId('layers-toggle').uncheck();
    await waitForCount(page, '[data-testid="oct-layers"]', 0);
    await page.getByTestId('layers-toggle').check();
    await waitForCount(page, '[data-testid="oct-layers"]', 1);

    // The SLO: every B-scan's line, the current one highlighted, moving with the slider.
    await waitForCount(page, 'img[data-testid="slo-image"]', 1, true);
    assert.equal(await page.getByTestId('slo-line').count(), 25);
    const current = page.getByTestId('slo-current-line');
    assert.equal(await current.getAttribute('points'), pointsAttribute(slo.lines[middle - 1]!.points));
    await page.getByTestId('bscan-slider').fill('5');
    await waitForFrame(page, 5);
    assert.equal(await current.getAttribute('points'), pointsAttribute(slo.lines[4]!.points));
    assert.notEqual(slo.lines[4]!.points[0]![1], slo.lines[middle - 1]!.points[0]![1], 'the line moved');

    // A click on the SLO near B-scan 20's line opens B-scan 20.
    await page.getByTestId('slo-lines').scrollIntoViewIfNeeded();
    const sloBox = await page.getByTestId('slo-lines').boundingBox();
    assert.ok(sloBox !== null);
    const [[x1, y1], [x2, y2]] = slo.lines[19]!.points as [[number, number], [number, number]];
    await page.mouse.click(
      sloBox.x + (((x1 + x2) / 2) * sloBox.width) / slo.slo.columns,
      sloBox.y + (((y1 + y2) / 2) * sloBox.height) / slo.slo.rows,
    );
    await waitForFrame(page, 20);
    assert.equal(await page.getByTestId('bscan-slider').inputValue(), '20');

    // The ETDRS map: the findings' values per subfield, nasal towards the disc (image right for a right eye).
    const map = page.getByTestId('etdrs-map');
    await map.waitFor();
    const subfields = ['CSF', 'IS', 'IN', 'II', 'IT', 'OS', 'ON', 'OI', 'OT'];
    for (const subfield of subfields) {
      const key = subfield === 'CSF' ? 'cst' : `thickness-${subfield}`;
      const finding = findings.find((entry) => entry.key === key);
      assert.ok(finding?.value.value !== undefined, `finding ${key}`);
      const cell = map.locator(`[data-testid="etdrs-value"][data-subfield="${subfield}"]`);
      assert.equal(Number(await cell.getAttribute('data-value')), finding.value.value, subfield);
      assert.equal(await cell.textContent(), String(Math.round(finding.value.value)), subfield);
    }
    const nasal = Number(await map.locator('[data-side="nasal"]').getAttribute('x'));
    const temporal = Number(await map.locator('[data-side="temporal"]').getAttribute('x'));
    assert.ok(nasal > 0 && temporal < 0, 'nasal on the right for a right eye');
    const innerNasal = Number(await map.locator('[data-subfield="IN"]').getAttribute('x'));
    assert.ok(innerNasal > 0);
    const analyzer = findings.find((entry) => entry.key === 'cst')!.provenance.analyzer;
    assert.match(analyzer, /^oct-macula@0\.3\.1$/u);
    assert.match(
      (await map.getByTestId('etdrs-analyzer').textContent()) ?? '',
      /AI-generated — verify, oct-macula@0\.3\.1/u,
    );

    // The screenshot: the B-scan with the most subretinal fluid, with layers and fluid.
    const withFluid = await page.getByTestId('fluid-frame').allTextContents();
    assert.ok(withFluid.length > 0, 'B-scans with fluid');
    const fluidFrames = await Promise.all(
      withFluid.map(async (text) => {
        const answer = await getJson<{ runs: { length: number }[] }>(
          gateway,
          `/api/studies/${uid}/oct-fluid/${oct.sopInstanceUid}?frame=${text}`,
        );
        return { frame: Number(text), pixels: answer.body.runs.reduce((sum, run) => sum + run.length, 0) };
      }),
    );
    const best = fluidFrames.reduce((a, b) => (b.pixels > a.pixels ? b : a)).frame;
    await page.locator(`[data-testid="fluid-frame"]:text-is("${best}")`).click();
    await waitForFrame(page, best);
    await page.locator(`[data-testid="fluid-layer"][data-frame="${best}"]`).waitFor();
    const shots = mkdtempSync(join(tmpdir(), 'fovea-oct-viewer-'));
    station.directories.push(shots);
    const shot = join(shots, 'oct-viewer-layers.png');
    await page.getByTestId('oct-viewer').screenshot({ path: shot });
    keepScreenshots(t, [shot]);
    await page.close();
  });
});
