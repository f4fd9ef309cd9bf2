/**
 * A Fovea gateway for integration tests: in-process (fast, inspectable) or as a child process (for kill -9).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.ts';
import { secretHash } from '../../src/auth/index.ts';
import { startGateway, type Gateway } from '../../src/main/index.ts';
import type { TestDatabase } from './databases.ts';
import { freePort } from './peers.ts';

/** The bearer token with the `integration` role that test gateways accept (`FOVEA_API_TOKEN`). */
export const testApiToken = 'test-integration-token-0123456789';
/** The bearer token with the `ingest` role that test gateways accept (`FOVEA_INGEST_TOKEN`). */
export const testIngestToken = 'test-ingest-token-0123456789';
/** A service token with the `admin` role, registered in every in-process test gateway. */
export const testAdminToken = 'test-admin-token-0123456789';

/** The Authorization header of a test token (default: admin). */
export function bearer(token = testAdminToken): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Starts an in-process gateway on free ports, silent, on the given test database. */
export async function startTestGateway(
  database: TestDatabase,
  set: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<Gateway> {
  const config = loadConfig({
    env: { FOVEA_API_TOKEN: testApiToken, FOVEA_INGEST_TOKEN: testIngestToken, ...env },
    flags: {
      host: '127.0.0.1',
      'http-port': '0',
      'dicom-port': '0',
      'data-dir': database.dataDir,
      ...(database.location.databaseUrl === undefined
        ? {}
        : { 'database-url': database.location.databaseUrl }),
      set: [
        'assembly.quietPeriodSeconds=0.5',
        'assembly.sweepIntervalSeconds=0.1',
        'hl7.port=0',
        ...Object.entries(set).map(([key, value]) => `${key}=${JSON.stringify(value)}`),
      ],
    },
  });
  const gateway = await startGateway(config, { logger: pino({ level: 'silent' }) });
  await gateway.auth.saveToken({
    hash: secretHash(testAdminToken),
    name: 'test-admin',
    roles: ['admin'],
    createdAt: new Date(),
  });
  return gateway;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * GET a JSON document from the gateway's API, as the test admin (in-process gateways) or with the integration
 * token (child processes), or `token`; `null` sends no credentials.
 */
export async function getJson<T = Record<string, unknown>>(
  gateway: { httpUrl: string },
  path: string,
  token?: string | null,
): Promise<{ status: number; body: T; type: string }> {
  const chosen =
    token === undefined ? (Object.hasOwn(gateway, 'auth') ? testAdminToken : testApiToken) : token;
  const response = await fetch(`${gateway.httpUrl}${path}`, {
    headers: chosen === null ? {} : bearer(chosen),
  });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (await response.json()) as T,
  };
}

/** A gateway running as a child process (`fovea serve`). */
export interface GatewayProcess {
  readonly httpUrl: string;
  readonly dicomPort: number;
  readonly child: ChildProcess;
  /** Lines the process wrote (JSON logs). */
  readonly output: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `fovea serve` as a child process and waits until it is ready. */
export async function spawnGateway(
  database: TestDatabase,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<GatewayProcess> {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FOVEA_HOST: '127.0.0.1',
    FOVEA_HTTP_PORT: String(httpPort),
    FOVEA_DICOM_PORT: String(dicomPort),
    FOVEA_DATA_DIR: database.dataDir,
    FOVEA_LOG_LEVEL: 'info',
    FOVEA_QUIET_PERIOD_SECONDS: '0.5',
    FOVEA_API_TOKEN: testApiToken,
    FOVEA_INGEST_TOKEN: testIngestToken,
    FOVEA_MLLP_PORT: '0',
    ...(database.location.databaseUrl === undefined
      ? {}
      : { FOVEA_DATABASE_URL: database.location.databaseUrl }),
    ...extraEnv,
  };
  const child = spawn(process.execPath, [join(import.meta.dirname, '../../src/cli/fovea.ts'), 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let ready: () => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const readyPromise = new Promise<void>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const onData = (data: Buffer): void => {
    for (const line of data.toString('utf8').split('\n')) {
      if (line !== '') {
        output.push(line);
        if (line.includes('"event":1003')) {
          ready();
        }
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.once('exit', (code) => {
    failed(new Error(`gateway exited with ${String(code)}: ${output.slice(-5).join('\n')}`));
  });
  const timer = setTimeout(() => {
    // Never leave a process behind: a gateway that does not come up is stopped before the caller hears of it.
    child.kill('SIGKILL');
    failed(new Error('gateway did not become ready in 90 s'));
  }, 90_000);
  await readyPromise.finally(() => {
    clearTimeout(timer);
  });
  return {
    httpUrl: `http://127.0.0.1:${httpPort}`,
    dicomPort,
    child,
    output,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}
