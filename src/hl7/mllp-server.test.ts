/**
 * The MLLP server against python3-hl7's `mllp_send` and against raw sockets: one ACK per message (AA, or
 * AE/AR with ERR), framing whatever the segmentation, size limit, idle timeout, and no crash.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createMemoryLogger } from '../../test/fixtures/dcmtk-files.ts';
import { FoveaError } from '../core/errors.ts';
import { logEvents } from '../core/log-events.ts';
import {
  interpretHl7,
  parseHl7,
  startMllpServer,
  type Hl7Interpretation,
  type Hl7Message,
  type MllpServer,
} from './index.ts';
import {
  exchange,
  framed,
  mllpSend,
  readAcksWithPython,
  requirePythonHl7,
  runAsync,
} from './test-support.ts';

const header = (type: string, control: string, version = '2.5.1', extra = ''): string =>
  `MSH|^~\\&|LAB|HOSP|FOVEA|EYE|20250101120000||${type}|${control}|P|${version}${extra}`;
const adtA01 = [
  header('ADT^A01^ADT_A01', 'ADT0001'),
  'EVN|A01|20250101120000',
  'PID|1||PID0001^^^HOSP^MR||Müller^Anna||19600101|F',
  '',
].join('\r');
const oruHba1c = [
  header('ORU^R01^ORU_R01', 'ORU0001'),
  'PID|1||PID0001^^^HOSP^MR',
  'OBR|1||LAB1|4548-4^HbA1c^LN|||20241201080000',
  'OBX|1|NM|4548-4^Hemoglobin A1c^LN||7.2|%^^UCUM|||||F|||20241201083000',
  '',
].join('\r');

let server: MllpServer;
let root = '';
const memory = createMemoryLogger();
const seen: Hl7Interpretation[] = [];

async function handler(message: Hl7Message): Promise<{ ack: 'AA' }> {
  if (message.controlId.startsWith('THROW')) {
    throw new Error('secret internal detail');
  }
  if (message.controlId.startsWith('SLOW')) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (message.controlId.startsWith('BUSY')) {
    throw new FoveaError('FOVEA_STORE_UNAVAILABLE');
  }
  seen.push(interpretHl7(message));
  return { ack: 'AA' };
}

function ack(bytes: Buffer | undefined): Hl7Message {
  assert.ok(bytes !== undefined, 'no reply');
  return parseHl7(bytes);
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'fovea-mllp-'));
  server = await startMllpServer({
    host: '127.0.0.1',
    port: 0,
    handler,
    logger: memory.logger,
    maxMessageBytes: 4096,
    handlerTimeoutMs: 300,
    idleTimeoutMs: 400,
  });
});

after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

describe('MLLP server', () => {
  it('acknowledges ADT and ORU sent by python3-hl7 mllp_send with AA', async (t) => {
    if (!requirePythonHl7(t)) {
      return;
    }
    const file = join(root, 'adt-oru.mllp');
    writeFileSync(file, framed(adtA01, oruHba1c));
    seen.length = 0;
    const result = await runAsync(mllpSend, ['-p', String(server.port), '-f', file, '127.0.0.1']);
    assert.equal(result.status, 0, result.stderr);
    const replies = result.stdout.split('\n').filter((line) => line.includes('MSH'));
    assert.equal(replies.length, 2);
    const acks = replies.map((reply) =>
      ack(Buffer.from(reply.replaceAll('\x0b', '').replaceAll('\x1c', ''), 'latin1')),
    );
    assert.deepEqual(
      acks.map((a) => [
        a.messageType,
        a.get('MSA-1'),
        a.get('MSA-2'),
        a.version,
        a.get('MSH-5'),
        a.get('MSH-3'),
      ]),
      [
        ['ACK^A01', 'AA', 'ADT0001', '2.5.1', 'LAB', 'FOVEA'],
        ['ACK^R01', 'AA', 'ORU0001', '2.5.1', 'LAB', 'FOVEA'],
      ],
    );
    assert.notEqual(acks[0]!.controlId, acks[1]!.controlId);
    const [patient, lab] = seen;
    assert.ok(patient?.kind === 'patient' && lab?.kind === 'observations');
    assert.equal(patient.patient.name?.family, 'Müller');
    assert.equal(lab.observations[0]!.isHba1c, true);
    assert.equal(lab.observations[0]!.value, 7.2);
    const python = await readAcksWithPython(
      replies.map((reply) => Buffer.from(reply.replaceAll('\x0b', '').replaceAll('\x1c', ''), 'latin1')),
      join(root, 'acks.mllp'),
    );
    assert.deepEqual(
      python.map((p) => [p.msh9, p.msa1, p.msa2, p.msh12, p.err3]),
      [
        ['ACK^A01^ACK', 'AA', 'ADT0001', '2.5.1', null],
        ['ACK^R01^ACK', 'AA', 'ORU0001', '2.5.1', null],
      ],
    );
  });

  it('answers AR or AE with an ERR segment for every kind of bad message', async (t) => {
    const cases: {
      name: string;
      message: Buffer;
      msa: [string, string | undefined];
      err3: string;
      code: string;
    }[] = [
      {
        name: 'no MSH',
        message: Buffer.from('PID|1||X\r'),
        msa: ['AR', undefined],
        err3: '100',
        code: 'FOVEA_MLLP_MALFORMED',
      },
      {
        name: 'bad encoding characters',
        message: Buffer.from('MSH|^~|LAB|HOSP|FOVEA|EYE|1||ADT^A01|BAD1|P|2.5.1\r'),
        msa: ['AR', 'BAD1'],
        err3: '102',
        code: 'FOVEA_MLLP_ENCODING_CHARACTERS_INVALID',
      },
      {
        name: 'unknown message type',
        message: Buffer.from(header('SIU^S12', 'SIU1')),
        msa: ['AR', 'SIU1'],
        err3: '200',
        code: 'FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED',
      },
      {
        name: 'unknown trigger event',
        message: Buffer.from(header('ADT^A99', 'A991')),
        msa: ['AR', 'A991'],
        err3: '201',
        code: 'FOVEA_MLLP_MESSAGE_TYPE_UNSUPPORTED',
      },
      {
        name: 'unsupported version',
        message: Buffer.from(header('ADT^A01', 'V21', '2.1')),
        msa: ['AR', 'V21'],
        err3: '203',
        code: 'FOVEA_MLLP_VERSION_UNSUPPORTED',
      },
      {
        name: 'unsupported charset',
        message: Buffer.from(header('ADT^A01', 'CS1', '2.5.1', '||||||ISO IR87')),
        msa: ['AR', 'CS1'],
        err3: '102',
        code: 'FOVEA_MLLP_CHARSET_UNSUPPORTED',
      },
      {
        name: 'oversized',
        message: Buffer.from(`${header('ORU^R01', 'BIG1')}\rNTE|1||${'x'.repeat(5000)}\r`),
        msa: ['AR', 'BIG1'],
        err3: '207',
        code: 'FOVEA_MLLP_MESSAGE_TOO_LARGE',
      },
      {
        name: 'binary garbage',
        message: Buffer.from([0x00, 0xff, 0x13, 0x37, 0x80, 0x0d, 0x0a, 0x7f]),
        msa: ['AR', undefined],
        err3: '100',
        code: 'FOVEA_MLLP_MALFORMED',
      },
      {
        name: 'missing PID-3 (application error)',
        message: Buffer.from(`${header('ADT^A08', 'NOPID')}\rPID|1||\r`),
        msa: ['AE', 'NOPID'],
        err3: '101',
        code: 'FOVEA_MLLP_REQUIRED_FIELD_MISSING',
      },
      {
        name: 'missing MSH-10',
        message: Buffer.from(header('ADT^A01', '')),
        msa: ['AE', undefined],
        err3: '101',
        code: 'FOVEA_MLLP_REQUIRED_FIELD_MISSING',
      },
      {
        name: 'handler crash',
        message: Buffer.from(`${header('ADT^A01', 'THROW1')}\rPID|1||P1\r`),
        msa: ['AE', 'THROW1'],
        err3: '207',
        code: 'FOVEA_INTERNAL',
      },
      {
        name: 'handler store unavailable',
        message: Buffer.from(`${header('ADT^A01', 'BUSY1')}\rPID|1||P1\r`),
        msa: ['AE', 'BUSY1'],
        err3: '207',
        code: 'FOVEA_STORE_UNAVAILABLE',
      },
      {
        name: 'handler too slow',
        message: Buffer.from(`${header('ADT^A01', 'SLOW1')}\rPID|1||P1\r`),
        msa: ['AE', 'SLOW1'],
        err3: '207',
        code: 'FOVEA_MLLP_HANDLER_TIMEOUT',
      },
    ];
    const stream = Buffer.concat(
      cases.map((c) => Buffer.concat([Buffer.from([0x0b]), c.message, Buffer.from([0x1c, 0x0d])])),
    );
    const { replies } = await exchange(server.port, [stream], { replies: cases.length });
    assert.equal(replies.length, cases.length);
    cases.forEach((c, index) => {
      const reply = ack(replies[index]);
      assert.deepEqual([reply.get('MSA-1'), reply.get('MSA-2')], c.msa, c.name);
      assert.equal(reply.get('ERR-3.1'), c.err3, c.name);
      assert.equal(reply.get('ERR-3.3'), 'HL70357', c.name);
      assert.equal(reply.get('ERR-5.1'), c.code, c.name);
      assert.equal(reply.messageCode, 'ACK', c.name);
      assert.ok(!reply.get('ERR-7')?.includes('secret'), c.name);
    });
    assert.ok(memory.events().includes(logEvents.MLLP_MESSAGE_REJECTED));
    assert.ok(memory.events().includes(logEvents.MLLP_MESSAGE_ERROR));
    assert.ok(memory.events().includes(logEvents.MLLP_HANDLER_FAILED));
    if (requirePythonHl7(t)) {
      const python = await readAcksWithPython(replies, join(root, 'errors.mllp'));
      assert.deepEqual(
        python.map((p) => [p.msa1, p.err3, p.err5]),
        cases.map((c) => [c.msa[0], c.err3, c.code]),
      );
    }
  });

  it('frames several messages in one write, one message over many writes, and ignores bytes outside blocks', async () => {
    const three = framed(
      adtA01.replace('ADT0001', 'M1'),
      adtA01.replace('ADT0001', 'M2'),
      oruHba1c.replace('ORU0001', 'M3'),
    );
    const merged = await exchange(server.port, [three], { replies: 3 });
    assert.deepEqual(
      merged.replies.map((r) => ack(r).get('MSA-2')),
      ['M1', 'M2', 'M3'],
    );
    const one = framed(adtA01.replace('ADT0001', 'SPLIT'));
    const pieces: Buffer[] = [];
    for (let offset = 0; offset < one.length; offset += 7) {
      pieces.push(one.subarray(offset, offset + 7));
    }
    const split = await exchange(
      server.port,
      [one.subarray(0, 1), one.subarray(1, one.length - 1), one.subarray(one.length - 1)],
      { replies: 1 },
    );
    assert.deepEqual(
      split.replies.map((r) => ack(r).get('MSA-2')),
      ['SPLIT'],
    );
    const sevens = await exchange(server.port, pieces, { replies: 1 });
    assert.deepEqual(
      sevens.replies.map((r) => ack(r).get('MSA-2')),
      ['SPLIT'],
    );
    const noisy = Buffer.concat([
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
      framed(adtA01.replace('ADT0001', 'N1')),
      Buffer.from('\r\n\x00\xff junk'),
      Buffer.from([0x0b]),
      Buffer.from('half a message that is abandoned'),
      framed(adtA01.replace('ADT0001', 'N2')),
      // <FS> without <CR> still ends a block (lenient read).
      Buffer.from([0x0b]),
      Buffer.from(adtA01.replace('ADT0001', 'N3')),
      Buffer.from([0x1c]),
      framed(adtA01.replace('ADT0001', 'N4')),
    ]);
    const cleaned = await exchange(server.port, [noisy], { replies: 4 });
    assert.deepEqual(
      cleaned.replies.map((r) => ack(r).get('MSA-2')),
      ['N1', 'N2', 'N3', 'N4'],
    );
    assert.ok(memory.events().includes(logEvents.MLLP_BYTES_DISCARDED));
  });

  it('does not acknowledge acknowledgements, keeps the received delimiters and version in the ACK', async () => {
    const custom = 'MSH#$%@!#LAB#HOSP#FOVEA#EYE#1##ADT$A04#C1#P#2.3.1\rPID#1##P1$$$HOSP$MR\r';
    const { replies } = await exchange(
      server.port,
      [framed(header('ACK^A01^ACK', 'ACKIN') + '\rMSA|AA|X\r', custom)],
      { replies: 1 },
    );
    assert.equal(replies.length, 1);
    assert.ok(replies[0]!.toString('latin1').startsWith('MSH#$%@!#FOVEA#EYE#LAB#HOSP#'));
    const reply = ack(replies[0]);
    assert.deepEqual(
      [reply.get('MSA-1'), reply.get('MSA-2'), reply.version, reply.messageType],
      ['AA', 'C1', '2.3.1', 'ACK^A04'],
    );
  });

  it('closes idle connections and keeps serving', async () => {
    const idle = await exchange(server.port, [Buffer.from([0x0b]), Buffer.from('MSH|^~\\&|')], {
      replies: 1,
      timeoutMs: 3000,
    });
    assert.equal(idle.closed, true);
    assert.equal(idle.replies.length, 0);
    assert.ok(idle.ms >= 350 && idle.ms < 2500, `${idle.ms} ms`);
    assert.ok(memory.events().includes(logEvents.MLLP_CONNECTION_TIMEOUT));
    const after = await exchange(server.port, [framed(adtA01)], { replies: 1 });
    assert.equal(ack(after.replies[0]).get('MSA-1'), 'AA');
  });

  it('rejects bad options and answers in order when the peer half-closes', async () => {
    await assert.rejects(
      startMllpServer({ host: '127.0.0.1', port: 0, handler, logger: memory.logger, maxMessageBytes: 0 }),
      (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_CONFIG_INVALID',
    );
    const other = await startMllpServer({ host: '127.0.0.1', port: 0, handler, logger: memory.logger });
    try {
      const { replies, closed } = await exchange(
        other.port,
        [framed(adtA01.replace('ADT0001', 'H1'), adtA01.replace('ADT0001', 'H2'))],
        { replies: 3, halfClose: true },
      );
      assert.equal(closed, true);
      assert.deepEqual(
        replies.map((r) => ack(r).get('MSA-2')),
        ['H1', 'H2'],
      );
    } finally {
      await other.close();
    }
  });
});
