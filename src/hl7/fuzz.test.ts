/**
 * Fuzzing: mutated messages (flipped, inserted and deleted bytes, truncation, duplicated delimiters,
 * shuffled segments, broken escapes, random garbage). Most go straight through the parser, writer,
 * interpreter and ACK builder; a share goes through the MLLP server on one connection. Nothing may throw
 * anything but a catalogue error, and every reply must be a well-formed ACK (a sample is read back by
 * python3-hl7). Prints the counts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FoveaError, toFoveaError } from '../core/errors.ts';
import { silentLogger } from '../core/logger.ts';
import {
  buildAck,
  encodeAck,
  encodeHl7,
  frameMllp,
  interpretHl7,
  MllpFramer,
  parseHl7,
  peekMsh,
  startMllpServer,
  type Hl7Message,
} from './index.ts';
import { readAcksWithPython, requirePythonHl7 } from './test-support.ts';

const parserMessages = 90_000;
const serverMessages = 10_000;

const corpus = [
  'MSH|^~\\&|ADT1|HOSP|FOVEA|EYE|20250101120000||ADT^A01^ADT_A01|MSG00001|P|2.5.1\rEVN|A01|20250101120000\rPID|1||PID0001^^^HOSP^MR~99^^^NHS&1.2.3&ISO^NH||Test^Ophthalmic^J||19600101|F\rPV1|1|O\r',
  'MSH|^~\\&|ADT1|HOSP|FOVEA|EYE|20250101120000||ADT^A40^ADT_A39|MSG00002|P|2.4\rEVN|A40\rPID|1||NEW1^^^HOSP^MR\rMRG|OLD1^^^HOSP^MR\r',
  'MSH|^~\\&|RIS|HOSP|FOVEA|EYE|20250101120000||ORM^O01|MSG00003|P|2.3.1\rPID|1||PID0001^^^HOSP^MR\rORC|NW|P1|F1||SC||^^^^^S\rOBR|1|P1|F1|OPFUNDUS^Fundus^L|||20250101||||||||||ACC1|RP1\rZDS|1.2.3.4^100^Application^DICOM\r',
  'MSH|^~\\&|RIS|HOSP|FOVEA|EYE|20250101120000||OMI^O23^OMI_O23|MSG00004|P|2.5.1\rPID|1||PID0001^^^HOSP^MR\rORC|NW|P1|F1\rTQ1|1||||||||S\rOBR|1|P1|F1|92250^Fundus^C4\rIPC|ACC2|RP2|1.2.3.4.5|SPS1|OP\r',
  'MSH|^~\\&|LAB|HOSP|FOVEA|EYE|20250101120000||ORU^R01^ORU_R01|MSG00005|P|2.5.1||||||UNICODE UTF-8\rPID|1||PID0001^^^HOSP^MR||Müller^Zoë\rOBR|1||LAB1|4548-4^HbA1c^LN|||20241201\rOBX|1|NM|4548-4^Hemoglobin A1c^LN||7.2|%^^UCUM|||||F|||20241201083000+0100\rOBX|2|SN|17856-6^HbA1c IFCC^LN||<^42|mmol/mol||||F\rNTE|1||line\\.br\\two \\T\\ \\F\\ \\XC3A9\\ \\H\\x\\N\\\r',
  'MSH#$%@!#LAB#HOSP#FOVEA#EYE#1##ORU$R01#MSG00006#P#2.3\rPID#1##P1$$$HOSP\rOBX#1#ST#X$Y$L##a@F@b\r',
];

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}

const specials = [
  '|',
  '^',
  '~',
  '\\',
  '&',
  '\r',
  '\n',
  '\r\n',
  '#',
  '||||',
  '^^^',
  '~~',
  '\\X',
  '\\XZZ\\',
  '\\.br\\',
  '\\E',
  '\\X0\\',
];

function mutate(base: Buffer, next: () => number): Buffer {
  const int = (n: number): number => Math.floor(next() * n);
  let bytes = base;
  const operations = 1 + int(4);
  for (let i = 0; i < operations; i += 1) {
    const at = int(bytes.length + 1);
    switch (int(10)) {
      case 0: {
        const copy = Buffer.from(bytes);
        for (let k = 0; k < 1 + int(4) && copy.length > 0; k += 1) {
          copy[int(copy.length)] = int(256);
        }
        bytes = copy;
        break;
      }
      case 1:
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))),
          bytes.subarray(at),
        ]);
        break;
      case 2:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(40))]);
        break;
      case 3:
        bytes = bytes.subarray(0, at);
        break;
      case 4:
      case 5:
        bytes = Buffer.concat([
          bytes.subarray(0, at),
          Buffer.from(specials[int(specials.length)]!, 'latin1'),
          bytes.subarray(at),
        ]);
        break;
      case 6: {
        const segments = bytes.toString('latin1').split('\r');
        const a = int(segments.length);
        const b = int(segments.length);
        if (next() < 0.5) {
          [segments[a], segments[b]] = [segments[b]!, segments[a]!];
        } else {
          segments.splice(
            a,
            0,
            ...Array.from({ length: 1 + int(next() < 0.05 ? 200 : 3) }, () => segments[b]!),
          );
        }
        bytes = Buffer.from(segments.join('\r'), 'latin1');
        break;
      }
      case 7:
        bytes = Buffer.from(Array.from({ length: int(300) }, () => int(256)));
        break;
      case 8: {
        // The MSH header: field separator, encoding characters, MSH-9, MSH-12, MSH-18.
        const copy = Buffer.from(bytes);
        if (copy.length > 8) {
          copy[3 + int(6)] = int(128);
        }
        bytes = copy;
        break;
      }
      default: {
        const text = bytes.toString('latin1');
        const swaps: [string, string][] = [
          ['2.5.1', ['2.1', '9.9', '', '2.5.1.7', '2.7'][int(5)]!],
          ['ADT^A01', ['ADT^A99', 'ACK^A01', 'SIU^S12', '^', 'ADT'][int(5)]!],
          ['ORU^R01', ['ORU^R30', 'ORU', 'QRY^A19'][int(3)]!],
          ['UNICODE UTF-8', ['8859/1', 'ISO IR87', 'UTF-8', 'ASCII'][int(4)]!],
          ['|P|', ['|T|', '||', '|X|'][int(3)]!],
        ];
        const [from, to] = swaps[int(swaps.length)]!;
        bytes = Buffer.from(text.replace(from, to), 'latin1');
      }
    }
  }
  return bytes;
}

/** An ACK must parse, be an ACK, and carry MSA-1 and (unless AA) an ERR with both codes. */
function assertWellFormedAck(bytes: Buffer): Hl7Message {
  const ack = parseHl7(bytes);
  assert.equal(ack.messageCode, 'ACK');
  const code = ack.get('MSA-1');
  assert.ok(code === 'AA' || code === 'AE' || code === 'AR', String(code));
  assert.equal(ack.controlId.length, 20);
  if (code !== 'AA') {
    assert.match(ack.get('ERR-3.1') ?? '', /^\d{3}$/u);
    assert.match(ack.get('ERR-5.1') ?? '', /^FOVEA_[A-Z_]+$/u);
  }
  return ack;
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

describe('HL7 fuzzing', () => {
  it(`parses, rewrites and interprets ${parserMessages} mutated messages (a quarter re-read and acknowledged) without a crash`, () => {
    const started = Date.now();
    const next = random(0x5eed);
    const outcomes = new Map<string, number>();
    const bases = corpus.map((text) => Buffer.from(text, 'utf8'));
    for (let i = 0; i < parserMessages; i += 1) {
      const bytes = mutate(bases[i % bases.length]!, next);
      let message: Hl7Message | undefined;
      let error: FoveaError | undefined;
      try {
        message = parseHl7(bytes);
        const text = encodeHl7(message);
        if (i % 4 === 0) {
          assert.equal(encodeHl7(parseHl7(text)), text);
        }
        const meaning = interpretHl7(message);
        bump(outcomes, `read:${meaning.kind}`);
      } catch (caught) {
        if (!(caught instanceof FoveaError)) {
          throw caught;
        }
        error = caught;
        bump(outcomes, `error:${caught.code}`);
      }
      if (i % 4 !== 0) {
        continue;
      }
      const msh = message?.segment('MSH') ?? peekMsh(bytes);
      const ack = buildAck({
        code: error === undefined ? 'AA' : error.spec.hl7,
        ...(msh === undefined ? {} : { msh }),
        ...(message === undefined ? {} : { delimiters: message.delimiters }),
        ...(error === undefined ? {} : { error }),
      });
      const encoded = encodeAck(ack);
      try {
        assertWellFormedAck(encoded);
      } catch (caught) {
        assert.fail(
          `bad ACK ${JSON.stringify(encoded.toString('latin1'))} for input ${bytes.toString('base64')}: ${String(caught)}`,
        );
      }
    }
    const ms = Date.now() - started;
    process.stdout.write(
      `# parser fuzz: ${parserMessages} mutated messages in ${ms} ms; ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}\n`,
    );
    assert.ok(
      (outcomes.get('read:patient') ?? 0) > 0 && (outcomes.get('error:FOVEA_MLLP_MALFORMED') ?? 0) > 0,
    );
  });

  it(`answers ${serverMessages} mutated messages on one MLLP connection with one well-formed ACK each`, async (t) => {
    const started = Date.now();
    const root = mkdtempSync(join(tmpdir(), 'fovea-mllp-fuzz-'));
    const server = await startMllpServer({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      maxMessageBytes: 8192,
      handler: (message) => {
        interpretHl7(message);
        return { ack: 'AA' };
      },
    });
    try {
      const next = random(0xf00d);
      const bases = corpus.map((text) => Buffer.from(text, 'utf8'));
      const frames: Buffer[] = [];
      const expectedControlIds: (string | undefined)[] = [];
      while (frames.length < serverMessages) {
        const payload = Buffer.from(
          mutate(bases[frames.length % bases.length]!, next).filter((byte) => byte !== 0x0b && byte !== 0x1c),
        );
        let controlId: string | undefined;
        try {
          const local = parseHl7(payload);
          if (local.messageCode === 'ACK') {
            continue;
          }
          controlId = /^[\x20-\x7e]{1,199}$/u.test(local.controlId) ? local.controlId : undefined;
        } catch (caught) {
          assert.ok(toFoveaError(caught) === caught);
        }
        frames.push(frameMllp(payload));
        expectedControlIds.push(controlId);
      }
      const socket = connect({ host: '127.0.0.1', port: server.port, noDelay: true });
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      const framer = new MllpFramer(1 << 20);
      const replies: Buffer[] = [];
      let wake: (() => void) | undefined;
      socket.on('data', (chunk: Buffer) => {
        for (const event of framer.push(chunk)) {
          if (event.kind === 'message') {
            replies.push(event.bytes);
          }
        }
        wake?.();
      });
      const batch = 250;
      for (let sent = 0; sent < frames.length; sent += batch) {
        socket.write(Buffer.concat(frames.slice(sent, sent + batch)));
        const target = Math.min(frames.length, sent + batch);
        const deadline = Date.now() + 10_000;
        while (replies.length < target && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 200).unref();
          });
        }
        assert.equal(replies.length, target, `replies after ${target} messages`);
      }
      socket.destroy();
      const codes = new Map<string, number>();
      replies.forEach((reply, index) => {
        const ack = assertWellFormedAck(reply);
        bump(codes, `${ack.get('MSA-1')}${ack.get('ERR-5.1') === undefined ? '' : `:${ack.get('ERR-5.1')}`}`);
        const expected = expectedControlIds[index];
        if (expected !== undefined) {
          assert.equal(ack.get('MSA-2') ?? '', expected, `reply ${index}`);
        }
      });
      let pythonChecked = 0;
      if (requirePythonHl7(t)) {
        const sample = replies.filter((_, index) => index % 10 === 0);
        const views = await readAcksWithPython(sample, join(root, 'sample.mllp'));
        assert.equal(views.length, sample.length);
        for (const view of views) {
          assert.match(view.msh9, /^ACK/u);
          assert.ok(['AA', 'AE', 'AR'].includes(view.msa1), view.msa1);
          assert.equal(view.err3 === null, view.msa1 === 'AA');
        }
        pythonChecked = views.length;
      }
      process.stdout.write(
        `# MLLP fuzz: ${frames.length} mutated messages, ${replies.length} ACKs in ${Date.now() - started} ms, ${pythonChecked} read back by python3-hl7; ${JSON.stringify(Object.fromEntries([...codes].sort()))}\n`,
      );
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
