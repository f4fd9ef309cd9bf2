/**
 * Real third-party peers for integration tests: presence checks and the CI rule (under `CI=true` a missing
 * peer fails the suite instead of skipping it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** The executables each peer needs. */
const peerExecutables = {
  orthanc: ['Orthanc'],
  dcmtk: ['storescu', 'echoscu', 'storescp', 'dcmdump'],
  dciodvfy: ['dciodvfy'],
  curl: ['curl'],
  'python3-hl7': ['mllp_send', 'python3'],
  postgres: [],
} as const;

/** A peer a test may need. */
export type PeerName = keyof typeof peerExecutables;

/** Whether the tests run under CI (peers must then be present). */
export const underCi = process.env.CI === 'true' || process.env.CI === '1';

/** Finds an executable on PATH. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = `${dir}/${command}`;
    if (dir !== '' && existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** Whether every executable of a peer is installed. */
export function peerInstalled(name: PeerName): boolean {
  return peerExecutables[name].every((command) => which(command) !== undefined);
}

/**
 * Returns true when the peer is available. Otherwise skips the test (outside CI) or fails it (under CI).
 * Use as `if (!requirePeer(t, 'orthanc')) return;`.
 */
export function requirePeer(t: TestContext, name: PeerName, available = peerInstalled(name)): boolean {
  if (available) {
    return true;
  }
  if (underCi) {
    throw new Error(`peer ${name} is required under CI but is not available`);
  }
  t.skip(`peer ${name} not available`);
  return false;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') {
          resolve(address.port);
        } else {
          reject(new Error('no port'));
        }
      });
    });
  });
}

/**
 * Runs a command synchronously and returns its combined output and exit status. It blocks the event loop:
 * never use it against a server running in the same process (use {@link runAsync}).
 */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string | Buffer } = {},
): { status: number; output: string; stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    input: options.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    status: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    output: `${result.stdout}${result.stderr}`,
  };
}

/** Runs a command without blocking the event loop; resolves with its output and exit status. */
export function runAsync(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ status: number; output: string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString('utf8')));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString('utf8')));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
          }, options.timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      if (timer !== undefined) {
        clearTimeout(timer);
      }
      resolve({ status: code ?? -1, stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}

/**
 * Files with content in a directory. The spool keeps a few empty temporary files open ahead of need, so
 * "nothing half-written" means no non-empty file there.
 */
export function nonEmptyFiles(directory: string): string[] {
  return readdirSync(directory).filter((name) => statSync(join(directory, name)).size > 0);
}
