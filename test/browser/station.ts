/**
 * What the review-station browser tests share: signing in through the page, waiting for elements in the page
 * (a function, not a string: the station's CSP forbids the eval a string predicate needs), a referable and a
 * normal DR study sent by STOW-RS and triaged by the gateway's own dr-screening analysis, and keeping
 * screenshots in test-output/screenshots/.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import type { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { getJson, waitFor } from '../peers/gateway.ts';
import { writeFundusStudy } from '../peers/results.ts';
import { repositoryRoot } from './web-build.ts';

/** Where screenshots are kept after a run (gitignored). */
export const screenshotsOut = join(repositoryRoot, 'test-output', 'screenshots');

/** Signs in through the page and waits for the worklist. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  const answer = page.waitForResponse(
    (response) => response.url().endsWith('/api/session') && response.request().method() === 'POST',
  );
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal((await answer).status(), 200, 'sign-in accepted');
  await page.getByTestId('worklist').waitFor();
}

/** What the page functions below read of the page (they run in Chromium, where `document` is the page's). */
interface PageImage {
  readonly complete: boolean;
  readonly naturalWidth: number;
}
declare const document: { querySelectorAll(selector: string): ArrayLike<PageImage> };

/** Waits until `count` elements match `selector` and, for images, each has loaded with pixels (naturalWidth > 0). */
export async function waitForCount(
  page: Page,
  selector: string,
  count: number,
  loaded = false,
): Promise<void> {
  await page.waitForFunction(
    ([query, expected, images]) => {
      const found = Array.from(document.querySelectorAll(query));
      return (
        found.length === expected &&
        (!images || found.every((image) => image.complete && image.naturalWidth > 0))
      );
    },
    [selector, count, loaded] as const,
  );
}

/** A study sent to the gateway. */
export interface SentStudy {
  readonly studyInstanceUid: string;
  readonly directory: string;
  readonly files: string[];
}

interface WorklistBody {
  entries: { studyInstanceUid: string; triage: { bucket: string; priority: number } }[];
}

/**
 * Sends a referable DR study (right eye ICDR 3) and a normal one by STOW-RS and waits until the gateway has
 * analysed (dr-screening and image-quality, given a visible phase by the caller) and triaged both.
 */
export async function sendDrStudies(
  gateway: Gateway,
  client: DicomWebClient,
  seeds: readonly [number, number],
): Promise<{ referable: SentStudy; normal: SentStudy }> {
  const referable = await writeFundusStudy(seeds[0], 768, { R: { icdr: 3 }, L: { icdr: 0 } });
  const normal = await writeFundusStudy(seeds[1], 768, { R: { icdr: 0 }, L: { icdr: 0 } });
  for (const study of [normal, referable]) {
    const stored = await client.storeInstances(
      study.files.map((file) => readFileSync(file)),
      study.studyInstanceUid,
    );
    assert.equal(stored.status, 200);
  }
  const worklist = await waitFor(
    async () => {
      const { body } = await getJson<WorklistBody>(gateway, '/api/worklist');
      const uids = body.entries.map((entry) => entry.studyInstanceUid);
      return uids.includes(referable.studyInstanceUid) && uids.includes(normal.studyInstanceUid)
        ? body
        : undefined;
    },
    180_000,
    'both studies triaged',
  );
  const referableEntry = worklist.entries.find(
    (entry) => entry.studyInstanceUid === referable.studyInstanceUid,
  );
  assert.equal(referableEntry?.triage.bucket, 'referable', 'the analysis found the DR referable');
  return { referable, normal };
}

/** Copies screenshots to test-output/screenshots/ and names both places in diagnostics. */
export function keepScreenshots(t: TestContext, shots: readonly string[]): void {
  mkdirSync(screenshotsOut, { recursive: true });
  for (const shot of shots) {
    const copy = join(screenshotsOut, basename(shot));
    copyFileSync(shot, copy);
    t.diagnostic(`screenshot: ${shot} (copied to ${copy})`);
  }
}

/** The named attributes of every element a locator matches, in document order. */
export async function attributesOf<Name extends string>(
  locator: Locator,
  names: readonly Name[],
): Promise<Record<Name, string | null>[]> {
  const rows: Record<Name, string | null>[] = [];
  for (const element of await locator.all()) {
    const row = {} as Record<Name, string | null>;
    for (const name of names) {
      row[name] = await element.getAttribute(name);
    }
    rows.push(row);
  }
  return rows;
}
