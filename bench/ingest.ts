/**
 * `npm run bench:ingest`: the same 500 uncompressed 512×512 OP instances (10 studies × 50) sent with DCMTK
 * `storescu +sd` (TCP_NODELAY=1, one association) to Fovea (a `fovea serve` process, on PGlite and on
 * PostgreSQL), to Orthanc and to DCMTK `storescp` in one run. Prints instances/s for each and Fovea's ratios.
 *
 * Fovea answers "stored" after the instance is fsynced in its spool and indexes right after; the table
 * shows both the acknowledged rate (what the sender sees) and the rate until the last instance is indexed.
 * Orthanc indexes before answering and does not fsync; storescp writes files without fsync or index.
 *
 * Usage: npm run bench:ingest -- [instances=500] [runs=3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { startOrthanc } from '../test/peers/orthanc.ts';
import { freePort, runAsync, which } from '../test/peers/peers.ts';
import { createTestDatabase, postgresAvailable, type Backend } from '../test/peers/databases.ts';
import { bearer, testApiToken } from '../test/peers/gateway.ts';

const instances = Number(process.argv[2] ?? 500);
const runs = Number(process.argv[3] ?? 3);
const perStudy = 50;
const nodelay = { ...process.env, TCP_NODELAY: '1' };

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function uid(length: number): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < length - 5) {
    digits += String(randomInt(0, 10));
  }
  return `2.25.${digits}`;
}

/** A 512×512 MONOCHROME2 Ophthalmic Photography 8 Bit image, Explicit VR Little Endian (≈263 KB). */
function template(): Buffer {
  dcmjs.log.setLevel('error');
  const pixels = new Uint8Array(512 * 512);
  for (let index = 0; index < pixels.length; index++) {
    const x = (index % 512) - 256;
    const y = Math.floor(index / 512) - 256;
    pixels[index] = Math.max(0, 220 - Math.round(Math.sqrt(x * x + y * y) * 0.8)) ^ (index & 7);
  }
  const dataset = {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
    SOPInstanceUID: uid(44),
    StudyInstanceUID: uid(44),
    SeriesInstanceUID: uid(44),
    PatientID: 'BENCH000',
    PatientName: 'BENCH^000',
    StudyDate: '20260101',
    StudyTime: '090000',
    AccessionNumber: 'BACC00000',
    Modality: 'OP',
    ImageLaterality: 'R',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: 512,
    Columns: 512,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [pixels.buffer],
    _vrMap: { PixelData: 'OB' },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.1234567',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

/** Writes `count` copies with fresh UIDs (patched in place, same length) under `dir`. */
function generate(dir: string, count: number): number {
  const bytes = template();
  const text = bytes.toString('latin1');
  const find = (value: string): number[] => {
    const found: number[] = [];
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
      found.push(at);
    }
    return found;
  };
  const dataset = dcmjs.data.DicomMessage.readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer,
  );
  const natural = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dataset.dict);
  const sopAt = find(natural.SOPInstanceUID as string);
  const studyAt = find(natural.StudyInstanceUID as string);
  const seriesAt = find(natural.SeriesInstanceUID as string);
  const patientAt = find('BENCH000');
  let study = '';
  let series = '';
  for (let index = 0; index < count; index++) {
    if (index % perStudy === 0) {
      study = uid(44);
      series = uid(44);
    }
    const copy = Buffer.from(bytes);
    const sop = uid(44);
    for (const at of sopAt) {
      copy.write(sop, at, 'latin1');
    }
    for (const at of studyAt) {
      copy.write(study, at, 'latin1');
    }
    for (const at of seriesAt) {
      copy.write(series, at, 'latin1');
    }
    for (const at of patientAt) {
      copy.write(`BENCH${String(Math.floor(index / perStudy)).padStart(3, '0')}`, at, 'latin1');
    }
    writeFileSync(join(dir, `i${String(index).padStart(4, '0')}.dcm`), copy);
  }
  return bytes.length;
}

async function storescu(aet: string, port: number, dir: string): Promise<number> {
  const started = performance.now();
  const result = await runAsync(
    'storescu',
    ['-aet', 'BENCH', '-aec', aet, '+sd', '127.0.0.1', String(port), dir],
    { env: nodelay },
  );
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) {
    throw new Error(`storescu to ${aet} failed: ${result.output.slice(0, 500)}`);
  }
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface FoveaProcess {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly dicomPort: number;
  stop(): Promise<void>;
}

async function startFovea(dataDir: string, databaseUrl?: string): Promise<FoveaProcess> {
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const child = spawn(process.execPath, [join(import.meta.dirname, '../src/cli/fovea.ts'), 'serve'], {
    env: {
      ...process.env,
      FOVEA_HOST: '127.0.0.1',
      FOVEA_HTTP_PORT: String(httpPort),
      FOVEA_DICOM_PORT: String(dicomPort),
      FOVEA_DATA_DIR: dataDir,
      FOVEA_LOG_LEVEL: 'warn',
      FOVEA_QUIET_PERIOD_SECONDS: '3600',
      FOVEA_MLLP_PORT: '0',
      FOVEA_API_TOKEN: testApiToken,
      ...(databaseUrl === undefined ? {} : { FOVEA_DATABASE_URL: databaseUrl }),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const response = await fetch(`${httpUrl}/api/health`);
      if (response.ok) {
        break;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error('Fovea did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    child,
    httpUrl,
    dicomPort,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function indexedCount(httpUrl: string): Promise<number> {
  const response = await fetch(`${httpUrl}/api/studies?limit=500`, { headers: bearer(testApiToken) });
  const page = (await response.json()) as { items: { instanceCount: number }[] };
  return page.items.reduce((sum, study) => sum + study.instanceCount, 0);
}

async function benchFovea(dir: string, backend: Backend): Promise<{ acked: number[]; indexed: number[] }> {
  const acked: number[] = [];
  const indexed: number[] = [];
  for (let run = 0; run < runs; run++) {
    const database = await createTestDatabase(backend);
    const fovea = await startFovea(database.dataDir, database.location.databaseUrl);
    try {
      const started = performance.now();
      acked.push(await storescu('FOVEA', fovea.dicomPort, dir));
      while ((await indexedCount(fovea.httpUrl)) < instances) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      indexed.push((performance.now() - started) / 1000);
    } finally {
      await fovea.stop();
      await database.dispose();
    }
  }
  return { acked, indexed };
}

async function main(): Promise<void> {
  for (const tool of ['storescu', 'storescp', 'Orthanc']) {
    if (which(tool) === undefined) {
      throw new Error(`${tool} is needed (see .ci/run for the Debian packages)`);
    }
  }
  const root = mkdtempSync(join(tmpdir(), 'fovea-bench-'));
  const dir = join(root, 'instances');
  mkdirSync(dir);
  const size = generate(dir, instances);
  const megabytes = (size * instances) / 1e6;
  print(
    `ingest benchmark: ${instances} OP instances, 512x512 MONOCHROME2, ${(size / 1000).toFixed(0)} KB each, ${megabytes.toFixed(1)} MB; storescu +sd, TCP_NODELAY=1; median of ${runs} runs`,
  );

  const results: { name: string; seconds: number; note: string }[] = [];

  const orthanc = await startOrthanc({ aeTitle: 'ORTHANC' });
  const orthancTimes: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      for (const id of (await orthanc.rest('GET', '/studies')) as string[]) {
        await orthanc.rest('DELETE', `/studies/${id}`);
      }
      orthancTimes.push(await storescu('ORTHANC', orthanc.dicomPort, dir));
    }
  } finally {
    await orthanc.dispose();
  }
  results.push({
    name: 'Orthanc 1.10 (SQLite index)',
    seconds: median(orthancTimes),
    note: 'indexed, no fsync',
  });

  const storescpDir = join(root, 'storescp');
  mkdirSync(storescpDir);
  const storescpPort = await freePort();
  const storescp = spawn('storescp', ['-aet', 'STORESCP', '-od', storescpDir, String(storescpPort)], {
    env: nodelay,
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const storescpTimes: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      rmSync(storescpDir, { recursive: true, force: true });
      mkdirSync(storescpDir);
      storescpTimes.push(await storescu('STORESCP', storescpPort, dir));
    }
  } finally {
    storescp.kill();
  }
  results.push({
    name: 'DCMTK storescp',
    seconds: median(storescpTimes),
    note: 'files only, no fsync, no index',
  });

  const pglite = await benchFovea(dir, 'pglite');
  results.push({
    name: 'Fovea, PGlite: acknowledged',
    seconds: median(pglite.acked),
    note: 'fsynced before each answer',
  });
  results.push({
    name: 'Fovea, PGlite: all indexed',
    seconds: median(pglite.indexed),
    note: 'until the last instance is in the index',
  });

  if (await postgresAvailable()) {
    const postgres = await benchFovea(dir, 'postgres');
    results.push({
      name: 'Fovea, PostgreSQL: acknowledged',
      seconds: median(postgres.acked),
      note: 'fsynced before each answer',
    });
    results.push({
      name: 'Fovea, PostgreSQL: all indexed',
      seconds: median(postgres.indexed),
      note: 'until the last instance is in the index',
    });
  }

  const orthancRate = instances / results[0]!.seconds;
  print();
  print(
    `${'receiver'.padEnd(36)} ${'s'.padStart(7)} ${'inst/s'.padStart(8)} ${'MB/s'.padStart(7)} ${'vs Orthanc'.padStart(11)}  note`,
  );
  for (const result of results) {
    const rate = instances / result.seconds;
    print(
      `${result.name.padEnd(36)} ${result.seconds.toFixed(2).padStart(7)} ${rate.toFixed(1).padStart(8)} ${(megabytes / result.seconds).toFixed(1).padStart(7)} ${`${(rate / orthancRate).toFixed(2)}x`.padStart(11)}  ${result.note}`,
    );
  }
  rmSync(root, { recursive: true, force: true });
}

await main();
