/**
 * The review station in Debian's Chromium (playwright-core), against a real gateway: a referable DR study and a
 * normal one are sent by STOW-RS and analysed by the gateway (dr-screening and image-quality assistive); a grader
 * signs in through the page, sees the referable study first with its bucket, opens it, and sees both fundus photographs
 * rendered by the gateway with the AI's lesion marks over them (toggled off and on, zoomed). An OCT volume's
 * B-scans page with the slider. Screenshots of the worklist and the fundus viewer are written to a temporary
 * folder and copied to test-output/screenshots/. No fixed sleeps: every wait is for a selector, a response or
 * a condition in the page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createAccount } from '../../src/api/index.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { decodeLabelRuns, type EncodedLabels } from '../../src/imaging/index.ts';
import { generatePatientStudy, writeObjects } from '../../src/synth/index.ts';
import { makeOphthalmicTomography } from '../fixtures/dicom-files.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, testIngestToken, waitFor } from '../peers/gateway.ts';
import { launchChromium, requireChromium } from './chromium.ts';
import { keepScreenshots, sendDrStudies, signIn, waitForCount } from './station.ts';
import { ensureWebBuilt } from './web-build.ts';

/** What the OCT test reads of an analysis (admin view). */
interface AnalysisBody {
  analyzer: string;
  status: string;
  raw?: { eyes?: { sopInstanceUid: string; fluidLabels?: EncodedLabels }[] };
}

const username = 'browser-grader';
const password = 'correct horse battery staple';

describe('review station in Chromium', () => {
  let database: TestDatabase;
  let gateway: Gateway;
  let browser: Browser | undefined;
  let client: DicomWebClient;
  const directories: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(
      database,
      {},
      { FOVEA_PHASES: 'dr-screening:assistive,image-quality:assistive,dme-quantification:assistive' },
    );
    assert.ok(await createAccount(gateway.auth, username, password, ['grader']));
    client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
  });
  after(async () => {
    await browser?.close();
    await gateway.close();
    await database.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('shows the referable study first, then its fundus photographs with the AI lesion marks', async (t) => {
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    const { referable, normal } = await sendDrStudies(gateway, client, [4242, 4243]);
    directories.push(referable.directory, normal.directory);

    browser = await launchChromium(executable);
    const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    const shots = mkdtempSync(join(tmpdir(), 'fovea-review-station-'));
    await signIn(page, gateway.httpUrl, username, password);
    await waitForCount(page, '[data-testid="worklist-row"]', 2);
    const rows = page.getByTestId('worklist-row');
    const first = rows.first();
    assert.equal(await first.getAttribute('data-study-uid'), referable.studyInstanceUid, 'referable first');
    assert.equal(await first.getAttribute('data-bucket'), 'referable');
    assert.equal(await first.getByTestId('bucket-badge').textContent(), 'Referable');
    assert.equal(
      await rows.nth(1).getAttribute('data-study-uid'),
      normal.studyInstanceUid,
      'the normal study comes after it',
    );
    assert.notEqual(await rows.nth(1).getAttribute('data-bucket'), 'referable');
    const worklistShot = join(shots, 'worklist.png');
    await page.screenshot({ path: worklistShot, fullPage: true });
    assert.equal(await page.getByTestId('worklist-count').textContent(), '1–2 of 2 studies');
    await page.getByTestId('status-filter').selectOption('signed');
    await waitForCount(page, '[data-testid="worklist-row"]', 0);
    await page.getByTestId('status-filter').selectOption('unsigned');
    await waitForCount(page, '[data-testid="worklist-row"]', 2);
    await page.getByTestId('use-case-filter').selectOption('glaucoma-progression');
    await waitForCount(page, '[data-testid="worklist-row"]', 0);
    await page.getByTestId('use-case-filter').selectOption('dr-screening');
    await waitForCount(page, '[data-testid="worklist-row"]', 2);
    await page.getByTestId('date-to-filter').fill('2000-01-01');
    await waitForCount(page, '[data-testid="worklist-row"]', 0);
    await page.getByTestId('date-to-filter').fill('');
    await waitForCount(page, '[data-testid="worklist-row"]', 2);
    assert.equal(await rows.first().getAttribute('data-study-uid'), referable.studyInstanceUid);

    const findingsAnswer = page.waitForResponse((response) =>
      response.url().endsWith(`/api/studies/${referable.studyInstanceUid}/findings`),
    );
    await first.click();
    assert.equal((await findingsAnswer).status(), 200);
    await page.waitForURL(`**/studies/${referable.studyInstanceUid}`);
    await waitForCount(page, 'img[data-testid="fundus-image"]', 2, true);
    const viewers = page.getByTestId('fundus-viewer');
    assert.deepEqual(
      [await viewers.nth(0).getAttribute('data-eye'), await viewers.nth(1).getAttribute('data-eye')],
      ['R', 'L'],
      'both eyes side by side, right eye on the left',
    );

    const marks = page.getByTestId('lesion-mark');
    await marks.first().waitFor();
    const markCount = await marks.count();
    assert.ok(markCount > 0, 'lesion marks drawn');
    const rightViewer = page.locator('[data-testid="fundus-viewer"][data-eye="R"]');
    assert.ok(
      (await rightViewer.getByTestId('lesion-mark').count()) > 0,
      'the referable right eye has marks',
    );
    const imageBox = await rightViewer.getByTestId('fundus-image').boundingBox();
    const markBox = await rightViewer.getByTestId('lesion-mark').first().boundingBox();
    assert.ok(imageBox !== null && markBox !== null);
    const centre = { x: markBox.x + markBox.width / 2, y: markBox.y + markBox.height / 2 };
    assert.ok(
      centre.x > imageBox.x &&
        centre.x < imageBox.x + imageBox.width &&
        centre.y > imageBox.y &&
        centre.y < imageBox.y + imageBox.height,
      'a mark lies on its photograph',
    );

    const panel = page.getByTestId('ai-panel');
    const findings = panel.getByTestId('ai-finding');
    assert.ok((await findings.count()) > 0);
    for (const label of await findings.locator('.finding-label').allTextContents()) {
      assert.equal(label, 'AI-generated — verify');
    }
    const analyzers = await panel.getByTestId('finding-analyzer').allTextContents();
    assert.ok(
      analyzers.some((analyzer) => /^dr-screening@\d/u.test(analyzer)),
      analyzers.join(', '),
    );
    assert.equal(
      await panel.getByTestId('review-actions').count(),
      await findings.count(),
      'review controls for every finding',
    );

    const fundusShot = join(shots, 'fundus-viewer.png');
    await page.locator('.fundus-section').screenshot({ path: fundusShot });

    await page.getByTestId('marks-toggle').uncheck();
    await waitForCount(page, '[data-testid="lesion-mark"]', 0);
    await page.getByTestId('marks-toggle').check();
    await waitForCount(page, '[data-testid="lesion-mark"]', markCount);
    await rightViewer.getByRole('button', { name: 'Zoom in' }).click();
    assert.equal(await rightViewer.getByTestId('zoom-frame').getAttribute('data-scale'), '1.50');
    const zoomedBox = await rightViewer.getByTestId('fundus-image').boundingBox();
    assert.ok(zoomedBox !== null && zoomedBox.width > imageBox.width * 1.4, 'the photograph is magnified');

    keepScreenshots(t, [worklistShot, fundusShot]);
  });

  it('pages through an OCT volume with the B-scan slider', async (t) => {
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    const volume = makeOphthalmicTomography({ eye: 'L', frames: 5, rows: 64, columns: 96 });
    assert.equal((await client.storeInstances([volume.part10], volume.studyInstanceUid)).status, 200);
    await gateway.ingest.flush();
    browser ??= await launchChromium(executable);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, gateway.httpUrl, username, password);
    const noFluid = page.waitForResponse((response) => response.url().includes('/oct-fluid/'));
    await page.goto(`${gateway.httpUrl}/studies/${volume.studyInstanceUid}`);
    await waitForCount(page, 'img[data-testid="oct-bscan"]', 1, true);
    assert.equal((await noFluid).status(), 404, 'no analysis masked this volume');
    assert.equal(await page.getByTestId('fluid-legend').count(), 0);
    assert.match(
      (await page.getByTestId('oct-bscan').getAttribute('src')) ?? '',
      /frame=3/u,
      'the middle B-scan',
    );
    const frameTwo = page.waitForResponse((response) =>
      response.url().includes(`/api/instances/${volume.sopInstanceUid}/rendered?frame=2`),
    );
    await page.getByTestId('bscan-slider').fill('2');
    const answer = await frameTwo;
    assert.equal(answer.status(), 200);
    assert.equal(answer.headers()['content-type'], 'image/jpeg');
    await waitForCount(page, 'img[data-testid="oct-bscan"][src*="frame=2"]', 1, true);
    await page.close();
  });

  it('draws the AI fluid over the OCT B-scans of a volume with subretinal fluid; a measurement is modified', async (t) => {
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    const study = await generatePatientStudy({
      seed: 6161,
      eyes: ['R'],
      content: { fundus: false, octVolume: true },
      octSize: { frames: 25, columns: 384, rows: 496 },
      findings: { R: { fluid: ['srf'] } },
    });
    const folder = mkdtempSync(join(tmpdir(), 'fovea-oct-fluid-'));
    directories.push(folder);
    const files = (await writeObjects(folder, study.objects)).filter((file) => file.endsWith('.dcm'));
    const uid = study.study.studyInstanceUid;
    assert.equal(
      (
        await client.storeInstances(
          files.map((file) => readFileSync(file)),
          uid,
        )
      ).status,
      200,
    );

    // The mask the analysis kept, decoded here, is what the overlay must show.
    const eye = await waitFor(
      async () => {
        const { body } = await getJson<AnalysisBody[]>(gateway, `/api/governance/studies/${uid}/analyses`);
        const analysis = Array.isArray(body)
          ? body.find((entry) => entry.analyzer.startsWith('oct-macula@') && entry.status === 'succeeded')
          : undefined;
        return analysis?.raw?.eyes?.find((entry) => entry.fluidLabels !== undefined);
      },
      180_000,
      'the oct-macula analysis with a fluid mask',
    );
    const mask = decodeLabelRuns(eye.fluidLabels!);
    const [frames, rows, columns] = eye.fluidLabels!.shape as [number, number, number];
    const srfPixels = Array.from(
      { length: frames },
      (_, index) =>
        mask.subarray(index * rows * columns, (index + 1) * rows * columns).filter((label) => label === 2)
          .length,
    );
    const best = srfPixels.indexOf(Math.max(...srfPixels)) + 1;
    assert.ok(srfPixels[best - 1]! > 0, 'the analysis found subretinal fluid');
    const fluidPath = `/api/studies/${uid}/oct-fluid/${eye.sopInstanceUid}`;
    const api = await getJson<{ framesWithFluid: number[]; runs: { fluid: string; length: number }[] }>(
      gateway,
      `${fluidPath}?frame=${best}`,
    );
    assert.equal(api.status, 200);
    assert.equal(
      api.body.runs.filter((run) => run.fluid === 'SRF').reduce((sum, run) => sum + run.length, 0),
      srfPixels[best - 1],
      'the runs cover exactly the mask',
    );
    assert.ok(api.body.framesWithFluid.includes(best));
    assert.equal((await getJson(gateway, `${fluidPath}?frame=${frames + 1}`)).status, 400);
    assert.equal((await getJson(gateway, `/api/studies/${uid}/oct-fluid/1.2.3.4`)).status, 404);

    browser ??= await launchChromium(executable);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await signIn(page, gateway.httpUrl, username, password);
    await page.goto(`${gateway.httpUrl}/studies/${uid}`);
    await waitForCount(page, 'img[data-testid="oct-bscan"]', 1, true);
    await page.getByTestId('fluid-legend').waitFor();
    assert.equal(
      await page.getByTestId('fluid-frame').count(),
      api.body.framesWithFluid.length,
      'a button per B-scan with fluid',
    );
    await page.locator(`[data-testid="fluid-frame"]:text-is("${best}")`).click();
    await waitForCount(page, `img[data-testid="oct-bscan"][src*="frame=${best}&"]`, 1, true);
    const layer = page.locator(`[data-testid="fluid-layer"][data-frame="${best}"]`);
    await layer.waitFor();
    assert.equal(
      await layer.locator('[data-fluid="SRF"]').getAttribute('data-pixels'),
      String(srfPixels[best - 1]),
    );
    const imageBox = await page.getByTestId('oct-bscan').boundingBox();
    const layerBox = await layer.boundingBox();
    assert.ok(imageBox !== null && layerBox !== null);
    for (const side of ['x', 'y', 'width', 'height'] as const) {
      assert.ok(Math.abs(imageBox[side] - layerBox[side]) < 1, `the layer covers the B-scan (${side})`);
    }
    // A measurement is modified with a number in its unit (an empty value is refused in the page).
    const cst = page.locator('[data-testid="ai-finding"][data-key="cst"][data-eye="R"]');
    await cst.getByTestId('review-modify').click();
    const amount = cst.getByTestId('modify-number');
    assert.ok(Number(await amount.inputValue()) > 0, "the AI's CST as the starting value");
    await amount.fill('');
    await cst.getByTestId('modify-save').click();
    await cst.getByRole('alert').filter({ hasText: 'Enter a number.' }).waitFor();
    await amount.fill('312.5');
    const reviewAnswer = page.waitForResponse((response) => response.url().endsWith('/review'));
    await cst.getByTestId('modify-save').click();
    assert.equal((await reviewAnswer).status(), 200);
    await page.locator('[data-key="cst"][data-eye="R"][data-status="modified"]').waitFor();
    assert.match((await cst.getByTestId('review-value').textContent()) ?? '', /: 312\.5 um/u);
    const reviewed = await getJson<{ findings: { key: string; eye: string; value: { value?: number } }[] }>(
      gateway,
      `/api/studies/${uid}/report`,
    );
    assert.equal(
      reviewed.body.findings.find((finding) => finding.key === 'cst' && finding.eye === 'R')?.value.value,
      312.5,
      'the reviewer value recorded',
    );
    const octShot = join(mkdtempSync(join(tmpdir(), 'fovea-oct-viewer-')), 'oct-viewer.png');
    await page.locator('.oct-section').screenshot({ path: octShot });
    await page.getByTestId('fluid-toggle').uncheck();
    await waitForCount(page, '[data-testid="fluid-layer"]', 0);
    await page.getByTestId('fluid-toggle').check();
    await layer.waitFor();
    await page.close();
    keepScreenshots(t, [octShot]);
  });
});
