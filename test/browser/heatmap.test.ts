/**
 * The lesion heatmap in Debian's Chromium (playwright-core) against a real gateway (issue 9 item 3): a referable
 * DR study is sent by STOW-RS and analysed by the gateway's own dr-screening. The heatmap route answers a PNG
 * with alpha for the right photograph — transparent far from the lesions, coloured on every lesion the analysis
 * found (the same map `imaging/lesion-heatmap.ts` computes from the analysis) — and 404 for a photograph without
 * lesions and for a study the caller may not read without a token. In the viewer the heatmap toggle lays the PNG
 * over the photograph (the same box), the page shows the heatmap legend, and the pixels of the viewer change;
 * unticking removes it. Screenshots: test-output/screenshots/fundus-heatmap.png (heatmap alone) and
 * fundus-heatmap-marks.png (with the lesion marks over it). No fixed sleeps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { computeLesionHeatmap, heatmapLesionsOf, sampleLesionHeatmap } from '../../src/imaging/index.ts';
import { bearer, testApiToken, testIngestToken } from '../peers/gateway.ts';
import { requireChromium } from './chromium.ts';
import { keepScreenshots, sendDrStudies, signIn, waitForCount } from './station.ts';
import { useStation } from './station-fixture.ts';

const reader = { username: 'dr-heatmap', password: 'correct horse battery staple h' };

describe('lesion heatmap in Chromium', () => {
  const station = useStation('dr-screening:assistive,image-quality:assistive', [
    { ...reader, roles: ['ophthalmologist'] },
  ]);

  it('serves the heatmap of a photograph with lesions and shows it over the photograph when toggled', async (t) => {
    const gateway = station.gateway;
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    const { referable, normal } = await sendDrStudies(
      gateway,
      new DicomWebClient({ baseUrl: `${gateway.httpUrl}/dicomweb`, auth: { bearer: testIngestToken } }),
      [6161, 6162],
    );
    station.directories.push(referable.directory, normal.directory);
    const uid = referable.studyInstanceUid;
    const analysis = (await gateway.results.listAnalyses(uid)).find(
      (candidate) => candidate.analyzerId === 'dr-screening',
    )!;
    const lesionImages = new Set(
      analysis.findings.flatMap((finding) =>
        finding.value.kind === 'region' ? [finding.value.sopInstanceUid] : [],
      ),
    );
    const instances = await gateway.store.index.listInstances(uid);
    const right = instances.find(
      (instance) => instance.eye === 'R' && lesionImages.has(instance.sopInstanceUid),
    )!;
    assert.ok(right, 'the right photograph has lesion findings');
    const lesions = heatmapLesionsOf(analysis, right.sopInstanceUid);
    t.diagnostic(`${lesions.length} lesions on the right photograph`);

    // The route: a PNG with alpha at the requested size, coloured on the lesions, transparent far from them.
    const url = `${gateway.httpUrl}/api/studies/${uid}/lesion-heatmap/${right.sopInstanceUid}?maxSize=384`;
    const response = await fetch(url, { headers: bearer(testApiToken) });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'image/png');
    const png = Buffer.from(await response.arrayBuffer());
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 4);
    assert.equal(Math.max(info.width, info.height), 384);
    const scale = info.width / right.columns!;
    const alphaAt = (column: number, row: number): number =>
      data[
        (Math.min(info.height - 1, Math.floor(row * scale)) * info.width +
          Math.min(info.width - 1, Math.floor(column * scale))) *
          4 +
          3
      ]!;
    const map = computeLesionHeatmap(lesions, right.columns!, right.rows!);
    let agree = 0;
    for (const lesion of lesions) {
      const expected = sampleLesionHeatmap(map, lesion.x, lesion.y) >= 0.1;
      agree += expected === alphaAt(lesion.x, lesion.y) > 0 ? 1 : 0;
    }
    assert.ok(agree >= lesions.length - 1, `${agree} of ${lesions.length} lesions as the map says`);
    let transparent = 0;
    for (let k = 3; k < data.length; k += 4) {
      transparent += data[k] === 0 ? 1 : 0;
    }
    t.diagnostic(
      `heatmap PNG ${info.width}x${info.height}: ${((100 * transparent) / (data.length / 4)).toFixed(1)} % transparent`,
    );
    assert.ok(transparent > 0 && transparent < data.length / 4, 'partly transparent');

    const normalRight = (await gateway.store.index.listInstances(normal.studyInstanceUid)).find(
      (instance) => instance.eye === 'R',
    )!;
    const noLesions = await fetch(
      `${gateway.httpUrl}/api/studies/${normal.studyInstanceUid}/lesion-heatmap/${normalRight.sopInstanceUid}`,
      { headers: bearer(testApiToken) },
    );
    const normalAnalysis = (await gateway.results.listAnalyses(normal.studyInstanceUid)).find(
      (candidate) => candidate.analyzerId === 'dr-screening',
    )!;
    const expectedStatus =
      heatmapLesionsOf(normalAnalysis, normalRight.sopInstanceUid).length === 0 ? 404 : 200;
    assert.equal(noLesions.status, expectedStatus, 'the normal eye: 404 unless the AI found a lesion there');
    await noLesions.arrayBuffer();
    const anonymous = await fetch(url);
    assert.equal(anonymous.status, 401);
    await anonymous.arrayBuffer();

    // The viewer: the toggle lays the heatmap over the photograph.
    const browser = await station.launch(executable);
    const shots = mkdtempSync(join(tmpdir(), 'fovea-heatmap-'));
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await signIn(page, gateway.httpUrl, reader.username, reader.password);
    await page.goto(`${gateway.httpUrl}/studies/${uid}`);
    await waitForCount(page, '[data-testid="fundus-image"]', 2, true);
    const viewer = page.locator(`[data-testid="fundus-viewer"][data-eye="R"]`);
    await page.getByTestId('marks-toggle').uncheck();
    await waitForCount(page, '[data-testid="lesion-layer"]', 0);
    const before = await viewer.screenshot();
    assert.equal(await page.getByTestId('heatmap-layer').count(), 0, 'no heatmap until toggled');

    const answer = page.waitForResponse((candidate) => candidate.url().includes('/lesion-heatmap/'));
    await page.getByTestId('heatmap-toggle').check();
    assert.equal((await answer).status(), 200);
    await viewer.locator('[data-testid="heatmap-layer"][data-state="shown"]').waitFor();
    await waitForCount(page, '[data-testid="heatmap-layer"][data-state="shown"]', 1, true);
    await page.getByTestId('heatmap-legend').waitFor();
    const photoBox = await viewer.getByTestId('fundus-image').boundingBox();
    const heatmapBox = await viewer.getByTestId('heatmap-layer').boundingBox();
    assert.ok(photoBox && heatmapBox);
    for (const key of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs(photoBox[key] - heatmapBox[key]) <= 1, `the heatmap covers the photograph (${key})`);
    }
    const withHeatmap = await viewer.screenshot();
    assert.notDeepEqual(withHeatmap, before, 'the viewer shows the heatmap');

    const shot = join(shots, 'fundus-heatmap.png');
    await page.locator('.fundus-section').screenshot({ path: shot });
    // With the marks too: each mark sits in a warm spot of the heatmap.
    await page.getByTestId('marks-toggle').check();
    await viewer.getByTestId('lesion-layer').waitFor();
    const both = join(shots, 'fundus-heatmap-marks.png');
    await viewer.screenshot({ path: both });
    keepScreenshots(t, [shot, both]);

    await page.getByTestId('heatmap-toggle').uncheck();
    await waitForCount(page, '[data-testid="heatmap-layer"]', 0);
  });
});
