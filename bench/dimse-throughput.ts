/**
 * Ingest throughput check (not a test): `TCP_NODELAY=1 storescu +sd` of N uncompressed 512×512 OP instances
 * into Fovea's SCP (sink writes each instance to a file and fsyncs before answering; also without fsync, to
 * compare like with like against storescp), into DCMTK `storescp` (writing to disk, no fsync) and into a
 * private Orthanc, in the same run. Prints inst/s for each (median of runs).
 *
 * Usage: `npm run bench:dimse -- [instances=500] [runs=3] [maxPduLength=262144]`
 */
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOrthanc } from '../test/peers/orthanc.ts';
import { freePort } from '../test/peers/peers.ts';
import { silentLogger } from '../src/core/logger.ts';
import { startDimseServer } from '../src/dicom/dimse/scp.ts';
import type { DatasetSink } from '../src/dicom/dimse/scp-types.ts';
import { dimseStatus } from '../src/dicom/dimse/status.ts';
import {
  makeOphthalmicPhotograph,
  runToolAsync,
  sopClass,
  splitPart10,
  startTool,
  stopProcess,
  transferSyntax,
  waitForPort,
} from '../test/fixtures/dcmtk-files.ts';

const instances = Number(process.argv[2] ?? 500);
const runs = Number(process.argv[3] ?? 3);
const maxPduLength = Number(process.argv[4] ?? 262_144);
const perStudy = 50;

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A new UID of exactly `length` characters under 2.25 (so it can replace another in place). */
function sameLengthUid(length: number): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < length - 5) {
    digits += String(randomInt(0, 10));
  }
  return `2.25.${digits}`;
}

function offsetsOf(haystack: Buffer, needle: string): number[] {
  const found: number[] = [];
  const bytes = Buffer.from(needle, 'latin1');
  for (let at = haystack.indexOf(bytes); at !== -1; at = haystack.indexOf(bytes, at + 1)) {
    found.push(at);
  }
  return found;
}

/** Copies a template with fresh Study/Series/SOP Instance UIDs and patient ids patched in place. */
function generate(template: string, dir: string, count: number): void {
  const bytes = readFileSync(template);
  const dump = splitPart10(bytes);
  const text = bytes.toString('latin1');
  const uidOf = (tag: string): string => {
    const match = new RegExp(`${tag}UI..([0-9.]+)`, 's').exec(text);
    if (match?.[1] === undefined) {
      throw new Error(`template lacks ${tag}`);
    }
    return match[1];
  };
  const study = uidOf('\\x20\\x00\\x0d\\x00');
  const series = uidOf('\\x20\\x00\\x0e\\x00');
  const instance = dump.sopInstanceUid;
  const patientId = 'DIMSE0001';
  const places = {
    study: offsetsOf(bytes, study),
    series: offsetsOf(bytes, series),
    instance: offsetsOf(bytes, instance),
    patient: offsetsOf(bytes, patientId),
  };
  if (places.instance.length !== 2 || places.study.length !== 1 || places.series.length !== 1) {
    throw new Error(`unexpected UID occurrences ${JSON.stringify(places)}`);
  }
  let studyUid = '';
  let seriesUid = '';
  for (let i = 0; i < count; i += 1) {
    if (i % perStudy === 0) {
      studyUid = sameLengthUid(study.length);
      seriesUid = sameLengthUid(series.length);
    }
    const copy = Buffer.from(bytes);
    const instanceUid = sameLengthUid(instance.length);
    for (const at of places.study) {
      copy.write(studyUid, at, 'latin1');
    }
    for (const at of places.series) {
      copy.write(seriesUid, at, 'latin1');
    }
    for (const at of places.instance) {
      copy.write(instanceUid, at, 'latin1');
    }
    for (const at of places.patient) {
      copy.write(`BENCH${String(Math.floor(i / perStudy)).padStart(4, '0')}`, at, 'latin1');
    }
    writeFileSync(
      join(dir, `s${String(Math.floor(i / perStudy)).padStart(3, '0')}_i${String(i).padStart(4, '0')}.dcm`),
      copy,
    );
  }
}

async function timeStorescu(calledAet: string, port: number, dir: string): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await runToolAsync(
    'storescu',
    ['-aet', 'BENCH', '-aec', calledAet, '+sd', '127.0.0.1', String(port), dir],
    600_000,
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0 || /Store Failed|Failed:/i.test(result.output)) {
    throw new Error(`storescu into ${calledAet} failed (${result.status}):\n${result.output.slice(0, 2000)}`);
  }
  return seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function report(name: string, seconds: readonly number[]): void {
  const m = median(seconds);
  print(
    `${name.padEnd(34)} median ${m.toFixed(3)} s (${seconds.map((s) => s.toFixed(3)).join(', ')})  ` +
      `${(instances / m).toFixed(1)} inst/s`,
  );
}

async function measureFovea(root: string, dir: string, sync: boolean): Promise<number[]> {
  const out = join(root, 'fovea-out');
  let stored = 0;
  const server = await startDimseServer({
    host: '127.0.0.1',
    port: 0,
    aeTitle: 'FOVEA',
    logger: silentLogger,
    maxPduLength,
    contexts: new Map([
      [sopClass.ophthalmicPhotography8Bit, [transferSyntax.explicitLittle, transferSyntax.implicitLittle]],
    ]),
    handlers: {
      associationRequested: () => ({ accept: true }),
      storeBegin(info): DatasetSink {
        const chunks: Buffer[] = [];
        const path = join(out, `${info.affectedSopInstanceUid}.dcm`);
        return {
          write(chunk) {
            chunks.push(chunk);
          },
          async end() {
            const file = await open(path, 'w');
            try {
              await file.writev(chunks);
              if (sync) {
                await file.sync();
              }
            } finally {
              await file.close();
            }
            stored += 1;
            return { status: dimseStatus.Success };
          },
          async abort() {
            await Promise.resolve();
          },
        };
      },
    },
  });
  const seconds: number[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      stored = 0;
      seconds.push(await timeStorescu('FOVEA', server.port, dir));
      if (stored !== instances) {
        throw new Error(`Fovea stored ${stored} of ${instances}`);
      }
    }
  } finally {
    await server.close();
  }
  return seconds;
}

async function measureStorescp(root: string, dir: string): Promise<number[]> {
  const out = join(root, 'storescp-out');
  const port = await freePort();
  mkdirSync(out);
  const child = startTool('storescp', ['-aet', 'BENCHSCP', '-od', out, String(port)]);
  const seconds: number[] = [];
  try {
    await waitForPort(port);
    for (let run = 0; run < runs; run += 1) {
      rmSync(out, { recursive: true, force: true });
      mkdirSync(out);
      seconds.push(await timeStorescu('BENCHSCP', port, dir));
    }
  } finally {
    await stopProcess(child);
  }
  return seconds;
}

async function measureOrthanc(dir: string): Promise<number[]> {
  const orthanc = await startOrthanc();
  const seconds: number[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      const patients = (await orthanc.rest('GET', '/patients')) as string[];
      for (const id of patients) {
        await orthanc.rest('DELETE', `/patients/${id}`);
      }
      seconds.push(await timeStorescu(orthanc.aeTitle, orthanc.dicomPort, dir));
      const stored = (await orthanc.rest('GET', '/instances')) as string[];
      if (stored.length !== instances) {
        throw new Error(`Orthanc stored ${stored.length} of ${instances}`);
      }
    }
  } finally {
    await orthanc.dispose();
  }
  return seconds;
}

const root = mkdtempSync(join(tmpdir(), 'fovea-dimse-throughput-'));
try {
  const templateDir = join(root, 'template');
  const dir = join(root, 'bench');
  mkdirSync(templateDir);
  mkdirSync(dir);
  const template = makeOphthalmicPhotograph(templateDir, 'op', { seed: 1 });
  const generation = process.hrtime.bigint();
  generate(template, dir, instances);
  print(
    `${instances} × 512x512 OP 8-bit MONOCHROME2, Explicit VR LE, ${readFileSync(template).length} bytes each ` +
      `(generated in ${(Number(process.hrtime.bigint() - generation) / 1e9).toFixed(2)} s); ${runs} runs; ` +
      `Fovea max PDU ${maxPduLength}`,
  );
  report('Fovea SCP (file + fsync per inst)', await measureFovea(root, dir, true));
  report('Fovea SCP (file, no fsync)', await measureFovea(root, dir, false));
  report('DCMTK storescp (-od, no fsync)', await measureStorescp(root, dir));
  report('Orthanc 1.10 (SQLite, TCP_NODELAY)', await measureOrthanc(dir));
} finally {
  rmSync(root, { recursive: true, force: true });
}
