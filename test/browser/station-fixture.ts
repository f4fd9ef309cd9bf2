/**
 * The gateway a review-station browser test file runs against: the web build, a fresh PGlite database, a gateway
 * with the use cases' phases, the file's accounts, and Chromium launched on demand — started before the file's
 * tests and closed after them, with the folders the tests wrote removed.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';
import type { Browser } from 'playwright-core';
import { createAccount } from '../../src/api/index.ts';
import type { Role } from '../../src/core/roles.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { startTestGateway } from '../peers/gateway.ts';
import { launchChromium } from './chromium.ts';
import { ensureWebBuilt } from './web-build.ts';

/** A station account. */
export interface StationAccount {
  readonly username: string;
  readonly password: string;
  readonly roles: readonly Role[];
}

/** What {@link useStation} gives the tests of a file. */
export interface Station {
  /** The running gateway (after `before`). */
  readonly gateway: Gateway;
  /** Folders the tests wrote; removed after the file. */
  readonly directories: string[];
  /** Launches Chromium from `executable`; it is closed after the file. */
  launch(executable: string): Promise<Browser>;
}

/**
 * Registers the `before` and `after` hooks of a browser test file (call it inside `describe`): `phases` is the
 * value of `FOVEA_PHASES`, `env` more gateway settings.
 */
export function useStation(
  phases: string,
  accounts: readonly StationAccount[],
  env: Readonly<Record<string, string>> = {},
): Station {
  let database: TestDatabase | undefined;
  let gateway: Gateway | undefined;
  const browsers: Browser[] = [];
  const directories: string[] = [];
  before(async () => {
    await ensureWebBuilt();
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(database, {}, { ...env, FOVEA_PHASES: phases });
    for (const account of accounts) {
      assert.ok(await createAccount(gateway.auth, account.username, account.password, account.roles));
    }
  });
  after(async () => {
    for (const browser of browsers) {
      await browser.close();
    }
    await gateway?.close();
    await database?.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });
  return {
    get gateway(): Gateway {
      assert.ok(gateway, 'the gateway starts before the tests');
      return gateway;
    },
    directories,
    async launch(executable: string): Promise<Browser> {
      const browser = await launchChromium(executable);
      browsers.push(browser);
      return browser;
    },
  };
}
