/**
 * Worklist claims in Debian's Chromium (playwright-core) against a real gateway: a referable DR study and a
 * normal one are sent by STOW-RS and analysed by the gateway; reader A (ophthalmologist) opens the referable study
 * and claims it; reader B (grader, another browser context) sees the lock badge with A's name on the worklist
 * (screenshot worklist-claimed.png), opens the study, sees who holds it and finds the review controls disabled;
 * A releases the study; B's page follows the release live (worklist events), B modifies the right eye's grade,
 * which claims the study for B, and A's page shows B's claim; the study header then shows the AI's reason with
 * B's modification instead of the AI's grade standing alone; the audit trail lists the claims, the release and
 * the review with its finding, decision and new value; A's report page then disables signing and names B. No
 * fixed sleeps: every wait is for an element, an attribute or a response.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { getJson, testIngestToken, waitFor } from '../peers/gateway.ts';
import { requireChromium } from './chromium.ts';
import { keepScreenshots, sendDrStudies, signIn, waitForCount } from './station.ts';
import { useStation } from './station-fixture.ts';

const readerA = { username: 'dr-claim-a', password: 'correct horse battery staple a' };
const readerB = { username: 'grader-claim-b', password: 'correct horse battery staple b' };

interface AuditBody {
  events: {
    actor: string;
    action: string;
    target: string;
    outcome: string;
    details?: Record<string, string | number | boolean>;
  }[];
}

/** Clicks and waits for the gateway's answer to a request whose URL ends with `suffix`. */
async function answered(
  page: Page,
  suffix: string,
  method: string,
  click: () => Promise<void>,
): Promise<number> {
  const answer = page.waitForResponse(
    (response) => response.url().endsWith(suffix) && response.request().method() === method,
  );
  await click();
  return (await answer).status();
}

describe('worklist claims in Chromium', () => {
  const station = useStation('dr-screening:assistive,image-quality:assistive', [
    { ...readerA, roles: ['ophthalmologist'] },
    { ...readerB, roles: ['grader'] },
  ]);

  it('A claims, B sees the lock and cannot review, A releases, B reviews and holds it', async (t) => {
    const gateway = station.gateway;
    const executable = requireChromium(t);
    if (executable === undefined) {
      return;
    }
    const { referable, normal } = await sendDrStudies(
      gateway,
      new DicomWebClient({ baseUrl: `${gateway.httpUrl}/dicomweb`, auth: { bearer: testIngestToken } }),
      [5151, 5152],
    );
    station.directories.push(referable.directory, normal.directory);
    const uid = referable.studyInstanceUid;
    const claimPath = `/api/studies/${uid}/claim`;

    const browser = await station.launch(executable);
    const shots = mkdtempSync(join(tmpdir(), 'fovea-claim-'));
    // Two pages of one browser are two contexts: two readers with their own sessions.
    const pageA = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const pageB = await browser.newPage({ viewport: { width: 1440, height: 900 } });

    // Reader A opens the study: opening does not claim it; A claims it.
    await signIn(pageA, gateway.httpUrl, readerA.username, readerA.password);
    await pageA.goto(`${gateway.httpUrl}/studies/${uid}`);
    await pageA.locator('[data-testid="claim-bar"][data-claim="free"]').waitFor();
    assert.equal(
      await answered(pageA, claimPath, 'POST', () => pageA.getByTestId('claim-button').click()),
      200,
    );
    await pageA.getByTestId('claim-mine').waitFor();

    // Reader B: the worklist shows the lock badge with A's name.
    await signIn(pageB, gateway.httpUrl, readerB.username, readerB.password);
    await waitForCount(pageB, '[data-testid="worklist-row"]', 2);
    const rowB = pageB.locator(`[data-testid="worklist-row"][data-study-uid="${uid}"]`);
    const badge = rowB.getByTestId('claim-badge');
    await badge.waitFor();
    assert.equal(await badge.getAttribute('data-reader'), readerA.username);
    assert.match((await badge.textContent()) ?? '', new RegExp(readerA.username, 'u'));
    assert.equal(
      await pageB
        .locator(
          `[data-testid="worklist-row"][data-study-uid="${normal.studyInstanceUid}"] [data-testid="claim-badge"]`,
        )
        .count(),
      0,
      'the other study is free',
    );
    const worklistShot = join(shots, 'worklist-claimed.png');
    await pageB.screenshot({ path: worklistShot, fullPage: true });

    // B opens the study: who holds it, and the review controls disabled with why.
    await rowB.click();
    await pageB.waitForURL(`**/studies/${uid}`);
    const other = pageB.getByTestId('claim-other');
    await other.waitFor();
    assert.equal(await other.getAttribute('data-reader'), readerA.username);
    assert.equal(await pageB.getByTestId('claim-button').count(), 0, 'nothing to claim while A holds it');
    const panelB = pageB.getByTestId('ai-panel');
    const gradeB = panelB.locator('[data-testid="ai-finding"][data-key="icdr"][data-eye="R"]');
    await gradeB.getByTestId('review-locked').waitFor();
    assert.match(
      (await gradeB.getByTestId('review-locked').textContent()) ?? '',
      new RegExp(readerA.username, 'u'),
    );
    for (const button of ['review-accept', 'review-modify', 'review-reject']) {
      assert.equal(
        await gradeB.getByTestId(button).isDisabled(),
        true,
        `${button} disabled while A holds the study`,
      );
    }
    const lockedShot = join(shots, 'study-claimed-by-other.png');
    await pageB.screenshot({ path: lockedShot, fullPage: true });

    // A releases; B's page follows without a reload.
    assert.equal(
      await answered(pageA, claimPath, 'DELETE', () => pageA.getByTestId('release-button').click()),
      204,
    );
    await pageA.locator('[data-testid="claim-bar"][data-claim="free"]').waitFor();
    await pageB.locator('[data-testid="claim-bar"][data-claim="free"]').waitFor();
    assert.equal(await gradeB.getByTestId('review-locked').count(), 0);
    assert.equal(await gradeB.getByTestId('review-modify').isDisabled(), false, 'B may review now');

    // B modifies the right eye's grade: the decision claims the study for B.
    await gradeB.getByTestId('review-modify').click();
    const select = gradeB.getByTestId('modify-icdr');
    const aiLevel = Number(await select.inputValue());
    const newLevel = aiLevel === 1 ? 2 : 1;
    await select.selectOption(String(newLevel));
    assert.equal(
      await answered(pageB, '/review', 'POST', () => gradeB.getByTestId('modify-save').click()),
      200,
    );
    await pageB.getByTestId('claim-mine').waitFor();
    await pageA.locator(`[data-testid="claim-other"][data-reader="${readerB.username}"]`).waitFor();

    // The header: the AI's reason with B's modification, not the AI's grade alone.
    const gradeId = await gradeB.getAttribute('data-finding-id');
    const reason = pageB.locator(`[data-testid="triage-reason"][data-finding-id="${gradeId}"]`);
    await pageB
      .locator(`[data-testid="triage-reason"][data-finding-id="${gradeId}"][data-decision="modify"]`)
      .waitFor();
    const newMeaning = newLevel === 1 ? 'Mild nonproliferative' : 'Moderate nonproliferative';
    const reasonText = (await reason.textContent()) ?? '';
    assert.match(reasonText, /^R: AI: referable diabetic retinopathy/u);
    assert.match(reasonText, new RegExp(`modified by ${readerB.username} to ${newMeaning}`, 'u'));
    assert.doesNotMatch(reasonText, /AI-generated — verify/u, 'no longer an unverified AI statement');
    const headerShot = join(shots, 'study-header-reviewed.png');
    await pageB.getByTestId('study-header').screenshot({ path: headerShot });

    // The audit trail (A is an ophthalmologist): claim, release, B's claim, the review with its detail.
    const { body } = await waitFor(
      async () => {
        const answer = await getJson<AuditBody>(gateway, `/api/studies/${uid}/audit?limit=1000`);
        return answer.body.events.some(
          (event) => event.action === 'claim' && event.actor === readerB.username,
        )
          ? answer
          : undefined;
      },
      20_000,
      "B's claim audited",
    );
    const steps = body.events.map((event) => `${event.actor} ${event.action} ${event.outcome}`);
    for (const step of [
      `${readerA.username} claim success`,
      `${readerA.username} release success`,
      `${readerB.username} claim success`,
    ]) {
      assert.ok(steps.includes(step), `${step} in ${steps.join(', ')}`);
    }
    await pageA.getByTestId('study-link-audit').click();
    const modified = pageA.locator(
      `[data-testid="audit-event"][data-decision="modify"][data-finding-id="${gradeId}"]`,
    );
    await modified.waitFor();
    const details = (await modified.getByTestId('audit-details').textContent()) ?? '';
    assert.match(details, /Modified: Right eye Diabetic retinopathy severity level/u);
    assert.match(details, new RegExp(`New value: ${newMeaning}`, 'u'));
    await pageA
      .locator(`[data-testid="audit-event"][data-action="release"][data-actor="${readerA.username}"]`)
      .waitFor();
    const auditShot = join(shots, 'audit-claims.png');
    await pageA.screenshot({ path: auditShot, fullPage: true });

    // A opens the report while B holds the study: signing is disabled, saying who holds it.
    await pageA.getByTestId('study-link-report').click();
    const signLocked = pageA.getByTestId('sign-locked');
    await signLocked.waitFor();
    assert.match((await signLocked.textContent()) ?? '', new RegExp(readerB.username, 'u'));
    assert.equal(await pageA.getByTestId('sign-button').isDisabled(), true, 'no signing while B holds it');
    keepScreenshots(t, [worklistShot, lockedShot, headerShot, auditShot]);
    await pageA.close();
    await pageB.close();
    rmSync(shots, { recursive: true, force: true });
  });
});
