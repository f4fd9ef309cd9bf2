/**
 * The review station's acceptance flow in Debian's Chromium (playwright-core), with Orthanc as the PACS: an
 * ophthalmologist signs in through the page, the worklist shows the referable DR study first, the study opens
 * with the AI's lesion marks on both photographs; the right eye's ICDR grade is modified (a select of the five
 * levels), a lesion finding is rejected with a reason (and refused without one), the rest accepted; the report
 * page shows the draft built from the reviewed findings, the text is edited and signed → the final SR in
 * Orthanc carries the modified grade and the signer as verifying observer and leaves the rejected finding out;
 * after sign-off the grade is reviewed again, the draft taken again and signed: a corrected revision whose SR
 * replaces the final one and carries the amended grade; the audit trail page lists every step. A grader
 * cannot sign and is refused the audit trail (the problem shown). Screenshots of the reviewed study, the report
 * page and the audit trail go to test-output/screenshots/. No fixed sleeps: every wait is for a selector, a
 * response or a condition.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createAccount } from '../../src/api/index.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { parseMeasurementReport, type ParsedMeasurementReport } from '../../src/dicom/sr/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, testIngestToken, waitFor } from '../peers/gateway.ts';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer } from '../peers/peers.ts';
import { orthancFile } from '../peers/results.ts';
import { launchChromium, requireChromium } from './chromium.ts';
import {
  attributesOf,
  keepScreenshots,
  sendDrStudies,
  signIn,
  waitForCount,
  type SentStudy,
} from './station.ts';
import { ensureWebBuilt } from './web-build.ts';

const reader = { username: 'dr-browser', password: 'correct horse battery staple reader' };
const grader = { username: 'grader-browser', password: 'correct horse battery staple grader' };
const signerName = 'Reader^Dana';

/** The ICDR levels' codes as the station offers them (level → code value). */
const icdrCodes = ['LA18643-9', '312903003', '312904009', '312905005', '59276001'];

/** Orthanc's instances of a study: SOP Instance UID → Orthanc id and modality. */
async function orthancInstances(
  orthanc: OrthancPeer,
  uid: string,
): Promise<Map<string, { id: string; modality: string }>> {
  const found = (await orthanc.rest('POST', '/tools/lookup', uid)) as { Type: string; ID: string }[];
  const study = found.find((entry) => entry.Type === 'Study');
  const bySop = new Map<string, { id: string; modality: string }>();
  if (study === undefined) {
    return bySop;
  }
  const instances = (await orthanc.rest('GET', `/studies/${study.ID}/instances`)) as { ID: string }[];
  for (const instance of instances) {
    const tags = (await orthanc.rest('GET', `/instances/${instance.ID}/simplified-tags`)) as Record<
      string,
      string
    >;
    bySop.set(tags.SOPInstanceUID ?? '', { id: instance.ID, modality: tags.Modality ?? '' });
  }
  return bySop;
}

/** Waits until Orthanc holds every object a sign-off queued; answers the SRs among them, parsed. */
async function deliveredReports(
  orthanc: OrthancPeer,
  uid: string,
  objects: readonly string[],
): Promise<ParsedMeasurementReport[]> {
  const held = await waitFor(
    async () => {
      const bySop = await orthancInstances(orthanc, uid);
      return objects.every((sop) => bySop.has(sop)) ? bySop : undefined;
    },
    90_000,
    'the signed objects in Orthanc',
  );
  const reports: ParsedMeasurementReport[] = [];
  for (const sop of objects) {
    const instance = held.get(sop)!;
    if (instance.modality === 'SR') {
      reports.push(parseMeasurementReport(await orthancFile(orthanc, instance.id)));
    }
  }
  return reports;
}

/** Clicks the sign button and answers the gateway's answer (failing with its problem unless it is 200). */
async function sign(page: Page, uid: string): Promise<{ revision: number; objects: string[] }> {
  const answer = page.waitForResponse((response) => response.url().endsWith(`/api/studies/${uid}/sign`));
  await page.getByTestId('sign-button').click();
  const response = await answer;
  const body = await response.text();
  assert.equal(response.status(), 200, body);
  return JSON.parse(body) as { revision: number; objects: string[] };
}

/** Clicks a review button of a finding and waits for the gateway's answer. */
async function review(page: Page, click: () => Promise<void>): Promise<void> {
  const answer = page.waitForResponse(
    (response) => response.url().endsWith('/review') && response.request().method() === 'POST',
  );
  await click();
  const response = await answer;
  assert.equal(response.status(), 200, await response.text());
}

describe('review station: review, report and sign-off in Chromium', () => {
  let database: TestDatabase;
  let orthanc: OrthancPeer | undefined;
  let gateway: Gateway | undefined;
  let browser: Browser | undefined;
  let referable: SentStudy | undefined;
  const directories: string[] = [];

  before(async () => {
    await ensureWebBuilt();
    database = await createTestDatabase('pglite');
    if (peerInstalled('orthanc')) {
      orthanc = await startOrthanc();
      gateway = await startTestGateway(
        database,
        {},
        {
          FOVEA_PACS_DIMSE: `${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`,
          FOVEA_PHASES: 'dr-screening:assistive,image-quality:assistive',
        },
      );
      assert.ok(await createAccount(gateway.auth, reader.username, reader.password, ['ophthalmologist']));
      assert.ok(await createAccount(gateway.auth, grader.username, grader.password, ['grader']));
    }
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
    await orthanc?.dispose();
    await database.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('modifies a grade, rejects a finding, signs and amends: the final SR in Orthanc, every step audited', async (t) => {
    const executable = requireChromium(t);
    if (executable === undefined || !requirePeer(t, 'orthanc') || !orthanc || !gateway) {
      return;
    }
    const sent = await sendDrStudies(
      gateway,
      new DicomWebClient({
        baseUrl: `${gateway.httpUrl}/dicomweb`,
        auth: { bearer: testIngestToken },
      }),
      [4242, 4243],
    );
    referable = sent.referable;
    directories.push(sent.referable.directory, sent.normal.directory);
    const uid = referable.studyInstanceUid;

    browser = await launchChromium(executable);
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const shots = mkdtempSync(join(tmpdir(), 'fovea-review-signoff-'));

    // Sign in → the referable study first → open it → overlays visible.
    await signIn(page, gateway.httpUrl, reader.username, reader.password);
    await waitForCount(page, '[data-testid="worklist-row"]', 2);
    const first = page.getByTestId('worklist-row').first();
    assert.equal(await first.getAttribute('data-study-uid'), uid, 'the referable study first');
    assert.equal(await first.getAttribute('data-bucket'), 'referable');
    await first.click();
    await page.waitForURL(`**/studies/${uid}`);
    await waitForCount(page, 'img[data-testid="fundus-image"]', 2, true);
    await page
      .locator('[data-testid="fundus-viewer"][data-eye="R"] [data-testid="lesion-mark"]')
      .first()
      .waitFor();
    const panel = page.getByTestId('ai-panel');
    const total = await panel.getByTestId('ai-finding').count();
    assert.equal(await panel.getByTestId('review-progress').getAttribute('data-unreviewed'), String(total));

    // Modify the right eye's ICDR grade with the select of the five levels.
    const grade = panel.locator('[data-testid="ai-finding"][data-key="icdr"][data-eye="R"]');
    await grade.getByTestId('review-modify').click();
    const select = grade.getByTestId('modify-icdr');
    assert.deepEqual(
      (await attributesOf(select.locator('option'), ['value'])).map((option) => option.value),
      ['0', '1', '2', '3', '4'],
      'the five ICDR levels',
    );
    const aiLevel = Number(await select.inputValue());
    const newLevel = aiLevel === 2 ? 3 : 2;
    await select.selectOption(String(newLevel));
    await review(page, () => grade.getByTestId('modify-save').click());
    await page.locator('[data-key="icdr"][data-eye="R"][data-status="modified"]').waitFor();
    const newMeaning = newLevel === 2 ? 'Moderate nonproliferative' : 'Severe nonproliferative';
    assert.match((await grade.getByTestId('review-value').textContent()) ?? '', new RegExp(newMeaning, 'u'));

    // Reject a lesion finding: refused without a reason, recorded with one.
    const lesion = panel.locator('[data-testid="ai-finding"][data-kind="region"][data-eye="R"]').first();
    const rejectedKey = (await lesion.getAttribute('data-key')) ?? '';
    assert.match(rejectedKey, /^lesions-/u);
    const rejectedMarks = `[data-testid="fundus-viewer"][data-eye="R"] [data-testid="lesion-mark"][data-lesion="${rejectedKey}"]`;
    assert.ok((await page.locator(rejectedMarks).count()) > 0, 'its marks are drawn before the review');
    await lesion.getByTestId('review-reject').click();
    await lesion.getByTestId('reject-save').click();
    await lesion.getByTestId('reject-reason-missing').waitFor();
    assert.equal(await lesion.getAttribute('data-status'), 'preliminary', 'no reason, no rejection');
    const reason = 'dust on the lens, not a lesion';
    await lesion.getByTestId('reject-reason-code').selectOption('false-positive');
    await lesion.getByTestId('reject-reason').fill(reason);
    await review(page, () => lesion.getByTestId('reject-save').click());
    await page.locator(`[data-key="${rejectedKey}"][data-eye="R"][data-status="rejected"]`).waitFor();
    assert.equal(
      await lesion.getByTestId('review-reason').textContent(),
      `Reason: Not present (false positive): ${reason}`,
    );
    assert.equal(
      await lesion.getByTestId('review-reason').getAttribute('data-reason-code'),
      'false-positive',
    );
    await waitForCount(page, rejectedMarks, 0);

    // Accept every other finding.
    const pending = panel.locator('[data-testid="ai-finding"][data-status="preliminary"]');
    for (let left = await pending.count(); left > 0; left -= 1) {
      await review(page, () => pending.first().getByTestId('review-accept').click());
      await waitForCount(page, '[data-testid="ai-finding"][data-status="preliminary"]', left - 1);
    }
    assert.equal(await panel.getByTestId('review-progress').getAttribute('data-unreviewed'), '0');
    const reviewShot = join(shots, 'study-reviewed.png');
    await page.screenshot({ path: reviewShot, fullPage: true });

    // The report: the draft from the reviewed findings, edited, signed.
    const reportAnswer = page.waitForResponse((response) =>
      response.url().endsWith(`/api/studies/${uid}/report`),
    );
    await page.getByTestId('study-link-report').click();
    assert.equal((await reportAnswer).status(), 200);
    // The page renders once the report is loaded, its text set from the draft in the same update.
    await page.getByTestId('report-page').waitFor();
    assert.equal(await page.getByTestId('report-state').getAttribute('data-revision'), '0');
    const textArea = page.getByTestId('report-text');
    const draft = await textArea.inputValue();
    assert.match(draft, new RegExp(`Right eye: .*${newMeaning}`, 'u'), draft);
    assert.doesNotMatch(draft, /not reviewed/u);
    const text = `${draft}\n\nRecommendation: refer to the retina clinic within 3 months.`;
    await textArea.fill(text);
    await page.getByTestId('signer-name').fill(signerName);
    const signed = await sign(page, uid);
    assert.equal(signed.revision, 1);
    await page.locator('[data-testid="report-state"][data-revision="1"]').waitFor();
    assert.match(
      (await page.getByTestId('report-state').textContent()) ?? '',
      /final by Reader\^Dana \(dr-browser\)/u,
    );
    assert.equal(await page.getByTestId('sign-button').textContent(), 'Sign corrected revision');

    // The final SR in Orthanc: the modified grade, the signer, the rejected finding left out.
    const finals = await deliveredReports(orthanc, uid, signed.objects);
    const drFinal = finals.find((report) => report.groups.some((group) => group.key === 'icdr'));
    assert.ok(drFinal !== undefined, 'a final dr-screening SR');
    assert.equal(drFinal.completionFlag, 'COMPLETE');
    assert.equal(drFinal.verificationFlag, 'VERIFIED');
    assert.equal(drFinal.verifiers[0]?.name, signerName);
    const rightGrade = drFinal.groups.find((group) => group.key === 'icdr' && group.eye === 'R')?.value;
    assert.ok(rightGrade?.kind === 'classification');
    assert.equal(rightGrade.value.value, icdrCodes[newLevel], 'the modified grade');
    assert.ok(
      !drFinal.groups.some((group) => group.key === rejectedKey && group.eye === 'R'),
      'the rejected finding is left out',
    );
    const report = await getJson<{
      findings: { eye: string; key: string; useCase: string; status: string }[];
    }>(gateway, `/api/studies/${uid}/report`);
    assert.deepEqual(
      drFinal.groups.map((group) => `${group.eye ?? ''}:${group.key ?? ''}`).sort(),
      report.body.findings
        .filter((finding) => finding.useCase === 'dr-screening' && finding.status !== 'rejected')
        .map((finding) => `${finding.eye}:${finding.key}`)
        .sort(),
      'every other reviewed dr-screening finding is in the final SR',
    );

    // Amending after sign-off: the grade reviewed again on the study page, the draft taken again, signed as a
    // corrected revision that replaces the final one.
    await page.getByTestId('study-link-study').click();
    await page.locator('[data-testid="study-signed"][data-revision="1"]').waitFor();
    const amendLevel = 1;
    await grade.getByTestId('review-modify').click();
    await grade.getByTestId('modify-icdr').selectOption(String(amendLevel));
    await review(page, () => grade.getByTestId('modify-save').click());
    const amendMeaning = 'Mild nonproliferative';
    await page
      .locator('[data-key="icdr"][data-eye="R"] [data-testid="review-value"]')
      .filter({ hasText: amendMeaning })
      .waitFor();
    await page.getByTestId('study-link-report').click();
    await page.getByTestId('report-page').waitFor();
    assert.equal(await textArea.inputValue(), text, 'the text as signed, to amend');
    assert.equal(
      await page.getByTestId('signer-name').inputValue(),
      signerName,
      'the name signed with before',
    );
    await page.getByTestId('report-reset').click();
    const redraft = await textArea.inputValue();
    assert.match(redraft, new RegExp(`Right eye: .*${amendMeaning}`, 'u'), redraft);
    await textArea.fill(`${redraft}

Amended: grade corrected after a second look.`);
    const amended = await sign(page, uid);
    assert.equal(amended.revision, 2);
    await page.locator('[data-testid="report-state"][data-revision="2"]').waitFor();
    await waitForCount(page, '[data-testid="sign-off"]', 2);
    assert.match(
      (await page.getByTestId('report-state').textContent()) ?? '',
      /corrected \(revision 2\) by Reader\^Dana/u,
    );
    const reportShot = join(shots, 'report-page.png');
    await page.screenshot({ path: reportShot, fullPage: true });
    const corrected = (await deliveredReports(orthanc, uid, amended.objects)).find((entry) =>
      entry.groups.some((group) => group.key === 'icdr'),
    );
    assert.ok(corrected !== undefined, 'a corrected dr-screening SR');
    assert.deepEqual(
      corrected.predecessors.map((reference) => reference.sopInstanceUid),
      [drFinal.sopInstanceUid],
      'the corrected SR replaces the final one',
    );
    assert.equal(corrected.verifiers[0]?.name, signerName);
    const correctedGrade = corrected.groups.find((group) => group.key === 'icdr' && group.eye === 'R')?.value;
    assert.ok(correctedGrade?.kind === 'classification');
    assert.equal(correctedGrade.value.value, icdrCodes[amendLevel], 'the grade as amended');

    // The audit trail: every step, once the audit log has recorded the last one (it is written after the answer).
    const reviewCount = total + 1;
    await waitFor(
      async () => {
        const { body } = await getJson<{ events: { action: string; target: string }[] }>(
          gateway!,
          `/api/studies/${uid}/audit?limit=1000`,
        );
        return body.events.filter((event) => event.target.endsWith('/sign')).length === 2;
      },
      20_000,
      'both sign-offs audited',
    );
    const auditAnswer = page.waitForResponse((response) =>
      response.url().includes(`/api/studies/${uid}/audit`),
    );
    await page.getByTestId('study-link-audit').click();
    assert.equal((await auditAnswer).status(), 200);
    await page.getByTestId('audit-trail').waitFor();
    const events = page.getByTestId('audit-event');
    const steps = await attributesOf(events, ['data-action', 'data-target', 'data-actor', 'data-outcome']);
    const count = (action: string, suffix: string): number =>
      steps.filter(
        (step) =>
          step['data-actor'] === reader.username &&
          step['data-action'] === action &&
          step['data-target']?.endsWith(suffix) === true &&
          step['data-outcome'] === 'success',
      ).length;
    assert.equal(count('view', '/:StudyInstanceUID'), 2, 'the study opened (to review, to amend)');
    assert.equal(count('view', '/findings'), 2, 'the findings viewed');
    assert.equal(count('post', '/review'), reviewCount, 'every review decision');
    assert.ok(count('view', '/report') >= 2, 'the report viewed');
    assert.equal(count('post', '/sign'), 2, 'signed and amended');
    assert.ok(
      steps.some((step) => step['data-actor'] === 'FOVEA_INGEST_TOKEN' && step['data-action'] === 'post'),
      'the images received by STOW-RS',
    );
    const history = page.getByTestId('review-history-row');
    await history.first().waitFor();
    const decisions = (await attributesOf(history, ['data-decision'])).map((row) => row['data-decision']);
    assert.equal(decisions.length, reviewCount);
    assert.equal(decisions.filter((decision) => decision === 'modify').length, 2, 'modified, then amended');
    assert.equal(decisions.filter((decision) => decision === 'reject').length, 1);
    assert.match((await page.getByTestId('review-history').textContent()) ?? '', new RegExp(reason, 'u'));
    const auditShot = join(shots, 'audit-trail.png');
    await page.screenshot({ path: auditShot, fullPage: true });
    await page.close();

    keepScreenshots(t, [reviewShot, reportShot, auditShot]);
  });

  it('does not let a grader sign, and shows the refusal of the audit trail as a problem', async (t) => {
    const executable = requireChromium(t);
    if (executable === undefined || !requirePeer(t, 'orthanc') || !gateway || referable === undefined) {
      return;
    }
    browser ??= await launchChromium(executable);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, gateway.httpUrl, grader.username, grader.password);
    await page.goto(`${gateway.httpUrl}/studies/${referable.studyInstanceUid}/report`);
    await page.getByTestId('report-page').waitFor();
    await page.getByTestId('sign-needs-role').waitFor();
    assert.equal(await page.getByTestId('sign-button').isDisabled(), true);
    const auditAnswer = page.waitForResponse((response) => response.url().includes('/audit'));
    await page.getByTestId('study-link-audit').click();
    assert.equal((await auditAnswer).status(), 403);
    const problem = page.getByTestId('problem');
    await problem.waitFor();
    assert.equal(await problem.getAttribute('data-status'), '403');
    assert.equal(await problem.getAttribute('data-code'), 'FOVEA_HTTP_FORBIDDEN');
    assert.match((await problem.textContent()) ?? '', /ophthalmologist role/u);
    await page.close();
  });
});
