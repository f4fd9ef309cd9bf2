/**
 * A python3-hl7 HL7 v2 receiver on loopback (`hl7-receiver.py`): every message Fovea sends is parsed by
 * python3-hl7, recorded with the fields it read, and acknowledged (scripted answers first, then AA).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const script = join(import.meta.dirname, 'hl7-receiver.py');
const python = '/usr/bin/python3';

/** A message as python3-hl7 read it: `segments[i] = [name, fields]`, `fields[0]` being field 1. */
export interface ReceivedHl7 {
  /** The acknowledgement code the receiver answered. */
  readonly ack: string;
  readonly controlId: string;
  /** The message as python3-hl7 prints it (segments separated by CR). */
  readonly raw: string;
  readonly segments: readonly [string, string[][][][]][];
}

/** A running receiver. */
export interface Hl7Receiver {
  readonly port: number;
  /** Everything received so far, in order. */
  received(): ReceivedHl7[];
  close(): Promise<void>;
}

/**
 * The value python3-hl7 read at `SEG(occurrence)-field(repetition).component.subcomponent` (all 1-based),
 * `undefined` when absent or empty.
 */
export function pythonField(
  message: ReceivedHl7,
  segment: string,
  occurrence: number,
  field: number,
  component = 1,
  repetition = 1,
  subcomponent = 1,
): string | undefined {
  const found = message.segments.filter(([name]) => name === segment)[occurrence - 1];
  const value = found?.[1][field - 1]?.[repetition - 1]?.[component - 1]?.[subcomponent - 1];
  return value === undefined || value === '' ? undefined : value;
}

/** The names of the segments, in order. */
export function segmentNames(message: ReceivedHl7): string[] {
  return message.segments.map(([name]) => name);
}

/**
 * Starts the receiver. `answers` are the first acknowledgement codes (e.g. `['AE']`); `port` 0 picks a free
 * one (a fixed port lets a test start the receiver after the gateway, as a receiver that was down).
 */
export async function startHl7Receiver(
  options: { answers?: readonly string[]; port?: number } = {},
): Promise<Hl7Receiver> {
  const directory = mkdtempSync(join(tmpdir(), 'fovea-hl7-receiver-'));
  const out = join(directory, 'received.jsonl');
  const child: ChildProcess = spawn(
    python,
    [script, out, '--port', String(options.port ?? 0), '--answers', (options.answers ?? []).join(',')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      reject(new Error(`the python3-hl7 receiver did not start: ${stderr}`));
    }, 15_000);
    child.stdout?.setEncoding('utf8').on('data', (data: string) => {
      stdout += data;
      const match = /LISTENING (\d+)/u.exec(stdout);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the python3-hl7 receiver exited (${code}): ${stderr}`));
    });
  });
  return {
    port,
    received() {
      if (!existsSync(out)) {
        return [];
      }
      return readFileSync(out, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as ReceivedHl7);
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
