/**
 * Helpers for the MLLP tests: a raw-socket client that writes chunks as given and collects the framed
 * replies, and python3-hl7 (Debian's `python3-hl7`, the independent peer) to read replies back.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import { MllpFramer, frameMllp } from './mllp-framer.ts';

/** Under CI a missing peer fails the suite instead of skipping it (as in `test/peers/peers.ts`). */
const underCi = process.env.CI === 'true' || process.env.CI === '1';

/** Debian's python3-hl7: its interpreter and the `mllp_send` CLI. */
export const python = '/usr/bin/python3';
export const mllpSend = '/usr/bin/mllp_send';

/** Whether python3-hl7 is installed; skips the test (or fails it under CI) when not. */
export function requirePythonHl7(t: TestContext): boolean {
  if (existsSync(python) && existsSync(mllpSend)) {
    return true;
  }
  if (underCi) {
    throw new Error('peer python3-hl7 is required under CI but is not available');
  }
  t.skip('python3-hl7 not available');
  return false;
}

/** Runs a command without blocking the event loop (the server under test shares it). */
export function runAsync(
  command: string,
  args: readonly string[],
  input?: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('latin1').on('data', (data: string) => (stdout += data));
    child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** Frames text messages (CR segment ends) as MLLP blocks, UTF-8 encoded. */
export function framed(...messages: string[]): Buffer {
  return Buffer.concat(messages.map((message) => frameMllp(Buffer.from(message, 'utf8'))));
}

/** Splits a byte stream into the messages of its MLLP blocks. */
export function unframe(bytes: Buffer): Buffer[] {
  return new MllpFramer(64 * 1024 * 1024)
    .push(bytes)
    .flatMap((event) => (event.kind === 'message' ? [event.bytes] : []));
}

/**
 * Connects, writes each chunk (yielding to the event loop between chunks so they leave as separate
 * segments), optionally half-closes, and collects replies until `replies` MLLP blocks arrived, the server
 * closed, or the timeout.
 */
export async function exchange(
  port: number,
  chunks: readonly Buffer[],
  options: { replies?: number; timeoutMs?: number; halfClose?: boolean } = {},
): Promise<{ replies: Buffer[]; closed: boolean; ms: number }> {
  const started = Date.now();
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  const received: Buffer[] = [];
  let count = 0;
  const state = { closed: false };
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    received.push(chunk);
    count += chunk.filter((byte) => byte === 0x1c).length;
    wake?.();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    state.closed = true;
    wake?.();
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  for (const chunk of chunks) {
    socket.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (options.halfClose === true) {
    socket.end();
  }
  const deadline = started + (options.timeoutMs ?? 5000);
  while (!state.closed && count < (options.replies ?? 1) && Date.now() < deadline) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, Math.max(1, deadline - Date.now())).unref();
    });
  }
  socket.destroy();
  return { replies: unframe(Buffer.concat(received)), closed: state.closed, ms: Date.now() - started };
}

/** What python3-hl7 reads in each reply: MSH-9, MSH-10, MSH-12, MSA-1, MSA-2, ERR-3.1, ERR-5.1. */
export interface PythonAckView {
  readonly msh9: string;
  readonly msh10: string;
  readonly msh12: string;
  readonly msa1: string;
  readonly msa2: string;
  readonly err3: string | null;
  readonly err5: string | null;
}

const pythonReader = `
import json, sys, hl7
data = open(sys.argv[1], 'rb').read()
out = []
for block in data.split(b'\\x1c\\r'):
    block = block.strip(b'\\x0b')
    if not block:
        continue
    m = hl7.parse(block.decode('utf-8', 'replace'))
    msh = m.segment('MSH'); msa = m.segment('MSA')
    err = m.segments('ERR')[0] if any(str(s[0]) == 'ERR' for s in m) else None
    out.append({'msh9': str(msh[9]), 'msh10': str(msh[10]), 'msh12': str(msh[12]), 'msa1': str(msa[1]), 'msa2': str(msa[2]),
                'err3': str(err[3][0][0]) if err is not None else None, 'err5': str(err[5][0][0]) if err is not None else None})
print(json.dumps(out))
`;

/** Parses ACKs with python3-hl7 (`hl7.parse`) and returns the fields it read, one entry per ACK. */
export async function readAcksWithPython(acks: readonly Buffer[], file: string): Promise<PythonAckView[]> {
  writeFileSync(file, Buffer.concat(acks.map((ack) => frameMllp(ack))));
  const result = await runAsync(python, ['-c', pythonReader, file]);
  if (result.status !== 0) {
    throw new Error(`python3-hl7 could not read the ACKs: ${result.stderr}`);
  }
  return JSON.parse(result.stdout) as PythonAckView[];
}
