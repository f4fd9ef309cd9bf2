/**
 * The review station's build for tests: `web/dist` is (re)built with Vite when it is missing or older than any
 * of the station's sources, so a test file run on its own (`node --test FILE`) serves the current app; under
 * `npm test` the `pretest` script has already built it and this is a quick check.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runAsync } from '../peers/peers.ts';

/** The repository root. */
export const repositoryRoot = join(import.meta.dirname, '../..');
/** The review station's folder. */
export const webDirectory = join(repositoryRoot, 'web');
/** Where the build goes (the gateway's default web root). */
export const webDist = join(webDirectory, 'dist');

function newestSource(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) {
    return stats.mtimeMs;
  }
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** Builds `web/dist` unless it is newer than every source; throws with Vite's output when the build fails. */
export async function ensureWebBuilt(): Promise<void> {
  const index = join(webDist, 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => join(webDirectory, name));
  if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...sources.map(newestSource))) {
    return;
  }
  const vite = join(repositoryRoot, 'node_modules/vite/bin/vite.js');
  const built = await runAsync(process.execPath, [vite, 'build', webDirectory, '--logLevel', 'warn'], {
    cwd: repositoryRoot,
    timeoutMs: 120_000,
  });
  if (built.status !== 0 || !existsSync(index)) {
    throw new Error(`the review station did not build (${String(built.status)}): ${built.output}`);
  }
}
