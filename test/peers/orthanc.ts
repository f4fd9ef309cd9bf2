/**
 * Orthanc as the stand-in PACS for integration tests. Each call starts a private Orthanc (own storage, own
 * free ports, loopback clients only) and returns a handle that can stop and restart it.
 * See `../shared/docs/peers.md` §2.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './peers.ts';

/** A running Orthanc. */
export interface OrthancPeer {
  readonly httpUrl: string;
  readonly dicomWebUrl: string;
  readonly dicomPort: number;
  readonly aeTitle: string;
  readonly user: string;
  readonly password: string;
  /** Basic authorization header value. */
  readonly authorization: string;
  /** GET/POST/DELETE against Orthanc's REST API, JSON in and out. */
  rest(method: string, path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
  /** Starts it again on the same ports and storage (after `stop`). */
  start(): Promise<void>;
  /** Stops it and deletes its storage. */
  dispose(): Promise<void>;
}

/** A JSON client for Orthanc's REST API. */
function restClient(
  baseUrl: string,
  authorization: string,
): (method: string, path: string, body?: unknown) => Promise<unknown> {
  return async (method, path, body) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`Orthanc ${method} ${path} -> ${response.status} ${text}`);
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
}

/** Options of {@link startOrthanc}. */
export interface OrthancOptions {
  readonly aeTitle?: string;
  /** DICOM modalities Orthanc may send to: name → [AET, host, port]. */
  readonly modalities?: Record<string, [string, string, number]>;
  readonly stableAgeSeconds?: number;
}

/** Starts a private Orthanc with the DICOMweb plugin and waits until it answers. */
export async function startOrthanc(options: OrthancOptions = {}): Promise<OrthancPeer> {
  const root = mkdtempSync(join(tmpdir(), 'fovea-orthanc-'));
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const aeTitle = options.aeTitle ?? 'ORTHANC';
  const user = 'orthanc';
  const password = 'orthanc';
  mkdirSync(join(root, 'db'));
  mkdirSync(join(root, 'logs'));
  const config = {
    Name: 'FOVEA-TEST-PACS',
    StorageDirectory: join(root, 'db'),
    IndexDirectory: join(root, 'db'),
    StorageCompression: false,
    HttpServerEnabled: true,
    HttpPort: httpPort,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [user]: password },
    DicomServerEnabled: true,
    DicomAet: aeTitle,
    DicomPort: dicomPort,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowFind: true,
    DicomCheckModalityHost: true,
    UnknownSopClassAccepted: true,
    DicomModalities: Object.fromEntries(
      Object.entries(options.modalities ?? {}).map(([name, [aet, host, port]]) => [
        name,
        { AET: aet, Host: host, Port: port, AllowStore: true, AllowEcho: true },
      ]),
    ),
    StableAge: options.stableAgeSeconds ?? 2,
    OverwriteInstances: false,
    SaveJobs: false,
    Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'],
    DicomWeb: { Enable: true, Root: '/dicom-web/', Host: `127.0.0.1:${httpPort}`, Ssl: false },
  };
  const configPath = join(root, 'orthanc.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  let child: ChildProcess | undefined;

  const rest = restClient(httpUrl, authorization);

  async function start(): Promise<void> {
    const spawned = spawn('Orthanc', [`--logdir=${join(root, 'logs')}`, configPath], {
      env: { ...process.env, TCP_NODELAY: '1' },
      stdio: 'ignore',
    });
    child = spawned;
    const exited = new Promise<never>((_resolve, reject) => {
      spawned.once('exit', (code) => {
        reject(new Error(`Orthanc exited early with ${String(code)}`));
      });
    });
    exited.catch(() => undefined);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        await Promise.race([rest('GET', '/system'), exited]);
        return;
      } catch (error) {
        if (Date.now() > deadline || spawned.exitCode !== null) {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async function stop(): Promise<void> {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) {
      return;
    }
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  await start();
  return {
    httpUrl,
    dicomWebUrl: `${httpUrl}/dicom-web`,
    dicomPort,
    aeTitle,
    user,
    password,
    authorization,
    rest,
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The Orthanc that CI starts for the whole test run (`.ci/run` exports `FOVEA_TEST_ORTHANC_*`), or a private
 * one when there is none. Use it when a test only needs a PACS to store to and query; tests that stop the
 * PACS or need declared modalities start their own with {@link startOrthanc}. `dispose` never stops the
 * shared one.
 */
export async function sharedOrthanc(): Promise<OrthancPeer> {
  const url = process.env.FOVEA_TEST_ORTHANC_URL;
  if (url === undefined || url === '') {
    return startOrthanc();
  }
  const user = process.env.FOVEA_TEST_ORTHANC_USER ?? 'orthanc';
  const password = process.env.FOVEA_TEST_ORTHANC_PASSWORD ?? 'orthanc';
  const authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const rest = restClient(url, authorization);
  await rest('GET', '/system');
  const unsupported = async (): Promise<void> => {
    throw new Error('the shared CI Orthanc cannot be stopped or restarted; use startOrthanc()');
  };
  return {
    httpUrl: url,
    dicomWebUrl: `${url}/dicom-web`,
    dicomPort: Number(process.env.FOVEA_TEST_ORTHANC_DICOM_PORT ?? 4242),
    aeTitle: process.env.FOVEA_TEST_ORTHANC_AET ?? 'ORTHANC',
    user,
    password,
    authorization,
    rest,
    stop: unsupported,
    start: unsupported,
    async dispose() {},
  };
}
