/**
 * Test and measurement support for the DIMSE adapter (never imported by the adapter itself): DICOM files
 * made with DCMTK from BMPs written here, a Part 10 file meta reader, and child-process helpers that keep
 * the event loop free (our SCP runs in the same process as the DCMTK clients' parent).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part10.html#sect_7.1
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { LogFields, Logger } from '../../core/logger.ts';

/** One captured log line. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: LogFields;
  readonly message: string;
}

/** A logger that keeps every line (children share the list and merge their bindings). */
export function createMemoryLogger(): { logger: Logger; lines: LogLine[]; events: () => number[] } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const log =
      (level: LogLine['level']) =>
      (fields: LogFields, message: string): void => {
        lines.push({ level, fields: { ...bindings, ...fields }, message });
      };
    return {
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { logger: make({}), lines, events: () => lines.map((line) => line.fields.event) };
}

/** Environment for every DCMTK tool: without TCP_NODELAY each C-STORE costs ~40 ms (peers.md §5). */
export const dcmtkEnv: NodeJS.ProcessEnv = { ...process.env, TCP_NODELAY: '1' };

/** SOP class UIDs used by the tests. */
export const sopClass = {
  ophthalmicPhotography8Bit: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
  ophthalmicTomography: '1.2.840.10008.5.1.4.1.1.77.1.5.4',
  secondaryCapture: '1.2.840.10008.5.1.4.1.1.7',
  ctImage: '1.2.840.10008.5.1.4.1.1.2',
} as const;

/** Transfer syntax UIDs used by the tests. */
export const transferSyntax = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
} as const;

/** Result of a finished child process. */
export interface ToolResult {
  readonly status: number;
  readonly output: string;
}

/** Runs a DCMTK tool synchronously (only while no in-process DIMSE peer needs the event loop). */
export function runTool(command: string, args: readonly string[]): ToolResult {
  const result = spawnSync(command, args, { env: dcmtkEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Runs a tool synchronously and throws with its output when it fails. */
export function mustRun(command: string, args: readonly string[]): string {
  const result = runTool(command, args);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}:\n${result.output}`);
  }
  return result.output;
}

/** Runs a tool without blocking the event loop; kills it after `timeoutMs`. */
export function runToolAsync(
  command: string,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: dcmtkEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal === null ? -1 : -2), output });
    });
  });
}

/** Starts a long-running tool (a DCMTK SCP); stop it with {@link stopProcess}. */
export function startTool(command: string, args: readonly string[]): ChildProcess {
  return spawn(command, args, { env: dcmtkEnv, stdio: 'ignore' });
}

/** Stops a child process started by {@link startTool} and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Waits until something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (open) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`nothing listens on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Writes an 8-bit greyscale BMP (grey palette, bottom-up rows) with a pattern that depends on `seed`. */
export function writeGreyBmp(path: string, width: number, height: number, seed: number): void {
  const rowSize = Math.ceil(width / 4) * 4;
  const offset = 14 + 40 + 256 * 4;
  const size = offset + rowSize * height;
  const bmp = Buffer.alloc(size);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(size, 2);
  bmp.writeUInt32LE(offset, 10);
  bmp.writeUInt32LE(40, 14);
  bmp.writeInt32LE(width, 18);
  bmp.writeInt32LE(height, 22);
  bmp.writeUInt16LE(1, 26);
  bmp.writeUInt16LE(8, 28);
  bmp.writeUInt32LE(rowSize * height, 34);
  bmp.writeUInt32LE(256, 46);
  for (let i = 0; i < 256; i += 1) {
    bmp[54 + i * 4] = i;
    bmp[55 + i * 4] = i;
    bmp[56 + i * 4] = i;
  }
  const cx = width / 2;
  const cy = height / 2;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const r = Math.hypot(x - cx, y - cy);
      bmp[offset + y * rowSize + x] = Math.max(
        0,
        Math.round(200 - r * 0.6 + 30 * Math.sin((x + seed * 7) / 9) * Math.cos(y / 11)),
      );
    }
  }
  writeFileSync(path, bmp);
}

/** Keys that make `img2dcm -oph` write a complete Ophthalmic Photography 8 Bit object (peers.md §3). */
function ophthalmicKeys(seed: number): string[] {
  const keys = [
    'PatientName=TEST^DIMSE',
    `PatientID=DIMSE${String(seed).padStart(4, '0')}`,
    'PatientBirthDate=19600101',
    'PatientSex=F',
    'StudyDate=20250101',
    'StudyTime=090000',
    'StudyID=1',
    'SeriesNumber=1',
    'AccessionNumber=ACC0001',
    'Manufacturer=Test',
    'ImageLaterality=R',
    'AcquisitionDeviceTypeCodeSequence[0].CodeValue=409898007',
    'AcquisitionDeviceTypeCodeSequence[0].CodingSchemeDesignator=SCT',
    'AcquisitionDeviceTypeCodeSequence[0].CodeMeaning=Fundus camera',
  ];
  return keys.flatMap((key) => ['-k', key]);
}

/** Options of {@link makeOphthalmicPhotograph}. */
export interface PhotographOptions {
  readonly seed?: number;
  readonly width?: number;
  readonly height?: number;
  /** JPEG baseline (1.2.840.10008.1.2.4.50) instead of uncompressed Explicit VR Little Endian. */
  readonly jpeg?: boolean;
}

/** Makes an Ophthalmic Photography 8 Bit file (MONOCHROME2) in `dir` and returns its path. */
export function makeOphthalmicPhotograph(dir: string, name: string, options: PhotographOptions = {}): string {
  const seed = options.seed ?? 1;
  const bmp = join(dir, `${name}.bmp`);
  const plain = join(dir, options.jpeg === true ? `${name}.plain.dcm` : `${name}.dcm`);
  writeGreyBmp(bmp, options.width ?? 512, options.height ?? 512, seed);
  mustRun('img2dcm', ['-i', 'BMP', '-oph', ...ophthalmicKeys(seed), bmp, plain]);
  mustRun('dcmodify', [
    '-nb',
    '-m',
    'AnatomicRegionSequence[0].CodeValue=81745001',
    '-m',
    'AnatomicRegionSequence[0].CodeMeaning=Eye',
    plain,
  ]);
  if (options.jpeg !== true) {
    return plain;
  }
  const jpeg = join(dir, `${name}.dcm`);
  mustRun('dcmcjpeg', ['+eb', plain, jpeg]);
  return jpeg;
}

/**
 * Makes a multi-frame object with the Ophthalmic Tomography SOP class (frames of `size`×`size`). It is a
 * transport fixture, not a complete OPT IOD.
 */
export function makeMultiFrameTomography(dir: string, name: string, frames: number, size = 256): string {
  const bmp = join(dir, `${name}.bmp`);
  const path = join(dir, `${name}.dcm`);
  writeGreyBmp(bmp, size, size * frames, frames);
  mustRun('img2dcm', ['-i', 'BMP', '-oph', ...ophthalmicKeys(frames), bmp, path]);
  mustRun('dcmodify', [
    '-nb',
    '-m',
    `Rows=${size}`,
    '-i',
    `NumberOfFrames=${frames}`,
    '-m',
    `SOPClassUID=${sopClass.ophthalmicTomography}`,
    '-m',
    'Modality=OPT',
    path,
  ]);
  return path;
}

/** A Part 10 file split into what a C-STORE carries. */
export interface Part10File {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly transferSyntaxUid: string;
  /** The data set: the bytes after the file meta information group. */
  readonly dataset: Buffer;
}

const longLengthVrs = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** Reads a Part 10 file's meta group (Explicit VR Little Endian) and returns the UIDs and the data set. */
export function splitPart10(bytes: Buffer): Part10File {
  if (bytes.toString('latin1', 128, 132) !== 'DICM') {
    throw new Error('not a DICOM Part 10 file');
  }
  let offset = 132;
  const values = new Map<number, string>();
  while (offset + 8 <= bytes.length && bytes.readUInt16LE(offset) === 0x0002) {
    const element = bytes.readUInt16LE(offset + 2);
    const vr = bytes.toString('latin1', offset + 4, offset + 6);
    let length: number;
    let start: number;
    if (longLengthVrs.has(vr)) {
      length = bytes.readUInt32LE(offset + 8);
      start = offset + 12;
    } else {
      length = bytes.readUInt16LE(offset + 6);
      start = offset + 8;
    }
    values.set(element, bytes.toString('latin1', start, start + length).replace(/[\0 ]+$/, ''));
    offset = start + length;
  }
  return {
    sopClassUid: values.get(0x0002) ?? '',
    sopInstanceUid: values.get(0x0003) ?? '',
    transferSyntaxUid: values.get(0x0010) ?? '',
    dataset: bytes.subarray(offset),
  };
}

/** Reads and splits a Part 10 file. */
export function readPart10(path: string): Part10File {
  return splitPart10(readFileSync(path));
}
