/**
 * The prior visit's photographs in Debian's Chromium (playwright-core), against a real gateway: two visits of
 * one patient a year apart, each a two-eye colour fundus study sent by STOW-RS. On the newer study the
 * prior-visit panel names the older one; its toggle loads the older study's photographs into the fundus viewer,
 * one per eye (right eye on the left), each image the prior study's own instance of that eye, rendered; the toggle
 * hides them again. A study without a prior visit shows no panel. Screenshot:
 * test-output/screenshots/prior-photographs.png. No fixed sleeps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { generatePatientStudy, writeObjects, type PatientStudy } from '../../src/synth/index.ts';
import { getJson, testIngestToken, waitFor } from '../peers/gateway.ts';
import { requireChromium } from './chromium.ts';
import { attributesOf, keepScreenshots, signIn, waitForCount } from './station.ts';
import { useStation } from './station-fixture.ts';

const reader = { username: 'prior-reader', password: 'correct horse battery staple p' };

describe('the prior visit’s photographs in Chromium', () => {
  const station = useStation('dr-screening:assistive', [{ ...reader, roles: ['ophthalmologist'] }]);

  it('shows the prior visit’s photograph of each eye beside the current study when asked', async (t) => {
    const gateway = station.gateway;
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    const visits: PatientStudy[] = [];
    for (const [label, studyDate] of [
      [0, '20250310'],
      [1, '20260312'],
    ] as const) {
      const visit = await generatePatientStudy({
        seed: 6181,
        visitLabel: label,
        studyDate,
        eyes: ['R', 'L'],
        fundusSize: { width: 512, height: 512 },
      });
      const directory = mkdtempSync(join(tmpdir(), 'fovea-prior-photographs-'));
      station.directories.push(directory);
      const files = (await writeObjects(directory, visit.objects)).filter((file) => file.endsWith('.dcm'));
      const stored = await client.storeInstances(
        files.map((file) => readFileSync(file)),
        visit.study.studyInstanceUid,
      );
      assert.equal(stored.status, 200);
      visits.push(visit);
    }
    const [older, newer] = visits as [PatientStudy, PatientStudy];
    assert.equal(older.patient.patientId, newer.patient.patientId, 'one patient, two visits');
    const olderUid = older.study.studyInstanceUid;
    const newerUid = newer.study.studyInstanceUid;
    await waitFor(
      async () => {
        const { body } = await getJson<{ prior: { studyInstanceUid: string } | null }>(
          gateway,
          `/api/studies/${newerUid}/prior-visit`,
        );
        return body.prior?.studyInstanceUid === olderUid;
      },
      60_000,
      'the newer study names the older one as its prior visit',
    );
    const olderInstances = await gateway.store.index.listInstances(olderUid);
    const olderOf = (eye: 'R' | 'L'): string =>
      olderInstances.find((instance) => instance.eye === eye)!.sopInstanceUid;

    const browser = await station.launch(executable);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
    await signIn(page, gateway.httpUrl, reader.username, reader.password);
    await page.goto(`${gateway.httpUrl}/studies/${newerUid}`);
    const panel = page.getByTestId('prior-visit');
    await panel.waitFor();
    assert.equal(await panel.getAttribute('data-prior-uid'), olderUid);
    // The current study's two photographs, and none of the prior's until asked.
    await waitForCount(page, '[data-testid="fundus-image"]', 2, true);
    assert.equal(await page.getByTestId('prior-photographs').count(), 0);

    const toggle = page.getByTestId('prior-photographs-toggle');
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    await toggle.click();
    await waitForCount(page, '[data-testid="prior-photographs"] [data-testid="fundus-image"]', 2, true);
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    const viewers = await attributesOf(
      page.locator('[data-testid="prior-photographs"] [data-testid="fundus-viewer"]'),
      ['data-eye'],
    );
    assert.deepEqual(
      viewers.map((viewer) => viewer['data-eye']),
      ['R', 'L'],
      'right eye on the left',
    );
    for (const eye of ['R', 'L'] as const) {
      const image = page.locator(
        `[data-testid="prior-photographs"] [data-testid="fundus-viewer"][data-eye="${eye}"] [data-testid="fundus-image"]`,
      );
      const source = (await image.getAttribute('src')) ?? '';
      assert.ok(source.includes(encodeURIComponent(olderOf(eye))), `${eye}: the prior's own photograph`);
      assert.match((await image.getAttribute('alt')) ?? '', /prior visit 2025-03-10/u);
    }
    // The current study's viewers still show the current photographs.
    const currentInstances = new Set(
      (await gateway.store.index.listInstances(newerUid)).map((instance) => instance.sopInstanceUid),
    );
    const currentSources = await attributesOf(page.locator('.fundus-section [data-testid="fundus-image"]'), [
      'src',
    ]);
    assert.equal(currentSources.length, 2);
    for (const { src } of currentSources) {
      assert.ok(
        [...currentInstances].some((uid) => (src ?? '').includes(encodeURIComponent(uid))),
        'a current photograph',
      );
    }
    const shots = mkdtempSync(join(tmpdir(), 'fovea-prior-photographs-shots-'));
    station.directories.push(shots);
    const shot = join(shots, 'prior-photographs.png');
    await panel.screenshot({ path: shot });
    keepScreenshots(t, [shot]);

    await toggle.click();
    await waitForCount(page, '[data-testid="prior-photographs"]', 0);

    // The older study has no prior visit: no panel.
    const answered = page.waitForResponse((response) =>
      response.url().endsWith(`/api/studies/${olderUid}/prior-visit`),
    );
    await page.goto(`${gateway.httpUrl}/studies/${olderUid}`);
    assert.equal((await answered).status(), 200);
    await waitForCount(page, '[data-testid="fundus-image"]', 2, true);
    assert.equal(await page.getByTestId('prior-visit').count(), 0);
  });
});
