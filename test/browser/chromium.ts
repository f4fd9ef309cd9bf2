/**
 * Debian's Chromium for browser tests, driven by playwright-core (which downloads no browser of its own): where
 * it is, the flags this machine needs (root, no GPU, no background networking to hosts it cannot reach), and
 * the requirePeer rule (skipped when absent, a failure under CI, whose `.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { underCi, which } from '../peers/peers.ts';

/**
 * The Chromium executable: `FOVEA_TEST_CHROMIUM` when set (only that one), else `chromium` on PATH, else
 * Debian's path.
 */
export function chromiumPath(): string | undefined {
  const chosen = process.env.FOVEA_TEST_CHROMIUM;
  const candidates =
    chosen !== undefined && chosen !== '' ? [chosen] : [which('chromium'), '/usr/bin/chromium'];
  return candidates.find((path): path is string => path !== undefined && existsSync(path));
}

/**
 * Returns the Chromium path when it is installed; otherwise skips the test (outside CI) or fails it (under CI).
 * Use as `const executable = requireChromium(t); if (executable === undefined) return;`.
 */
export function requireChromium(t: TestContext): string | undefined {
  const path = chromiumPath();
  if (path !== undefined) {
    return path;
  }
  const message =
    'Chromium is not installed (apt-get install -y --no-install-recommends chromium, as .ci/run does)';
  if (underCi) {
    throw new Error(`peer chromium is required under CI: ${message}`);
  }
  t.skip(message);
  return undefined;
}

/** Launches headless Chromium with the flags this machine needs. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
