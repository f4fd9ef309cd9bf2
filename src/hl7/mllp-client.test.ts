/**
 * The MLLP client: python3-hl7's asyncio server (the independent peer) answering AA, AE and AR; Fovea's own
 * MLLP server answering AE with an ERR segment; and a raw socket that answers too late, with the wrong
 * MSA-2, with garbage, byte by byte, or closes without answering; a port nobody listens on; an abort.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createMemoryLogger } from '../../test/fixtures/dcmtk-files.ts';
import { pythonField, startHl7Receiver } from '../../test/peers/hl7-receiver.ts';
import { freePort, requirePeer } from '../../test/peers/peers.ts';
import { FoveaError, type ErrorCode } from '../core/errors.ts';
import { encodeHl7Bytes } from './encode.ts';
import { sendMllpMessage } from './mllp-client.ts';
import { MllpFramer, frameMllp } from './mllp-framer.ts';
import { startMllpServer } from './mllp-server.ts';
import { parseHl7 } from './parse.ts';

const message = (controlId: string): Buffer =>
  encodeHl7Bytes(
    parseHl7(
      [
        `MSH|^~\\&|FOVEA||RIS|HOSP|20260310090005+0000||ORU^R01^ORU_R01|${controlId}|P|2.5.1||||||UNICODE UTF-8`,
        'PID|1||PAT-1^^^HOSP^MR||Müller^Anna',
        'OBR|1||an-1^FOVEA|dr-screening^DR^99FOVEA|||20260310',
        'OBX|1|NM|57109-1^CST^LN|R|331|um^um^UCUM|||||P',
        '',
      ].join('\r'),
    ),
  );

const ackFor = (controlId: string, code = 'AA'): Buffer =>
  frameMllp(
    Buffer.from(`MSH|^~\\&|RIS|HOSP|FOVEA||20260310||ACK^R01^ACK|A1|P|2.5.1\rMSA|${code}|${controlId}\r`),
  );

function rejectsWith(code: ErrorCode, detail?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof FoveaError, String(error));
    assert.equal(error.code, code, error.detail);
    if (detail !== undefined) {
      assert.match(error.detail ?? '', detail);
    }
    return true;
  };
}

/** A raw TCP receiver whose behaviour each test sets: it gets every framed message and the socket. */
class RawReceiver {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  onMessage: (bytes: Buffer, socket: Socket) => void = () => undefined;
  port = 0;

  constructor() {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      const framer = new MllpFramer(1 << 20);
      socket.on('data', (chunk: Buffer) => {
        for (const event of framer.push(chunk)) {
          if (event.kind === 'message') {
            this.onMessage(event.bytes, socket);
          }
        }
      });
      socket.on('error', () => undefined);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }
}

describe('MLLP client', () => {
  const raw = new RawReceiver();
  before(async () => {
    await raw.start();
  });
  after(async () => {
    raw.sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => raw.server.close(resolve));
  });

  it('delivers to python3-hl7 on AA, retries on AE and gives up on AR', async (t) => {
    if (!requirePeer(t, 'python3-hl7')) {
      return;
    }
    const receiver = await startHl7Receiver({ answers: ['AE', 'AR'] });
    try {
      const send = (id: string): ReturnType<typeof sendMllpMessage> =>
        sendMllpMessage({ host: '127.0.0.1', port: receiver.port, message: message(id), timeoutMs: 5000 });
      await assert.rejects(
        send('CTRL-AE'),
        rejectsWith('FOVEA_DELIVERY_FAILED', /^the MLLP receiver 127\.0\.0\.1:\d+ answered AE$/u),
      );
      await assert.rejects(send('CTRL-AR'), rejectsWith('FOVEA_DELIVERY_REFUSED', /answered AR/u));
      const result = await send('CTRL-AA');
      assert.equal(result.code, 'AA');
      assert.equal(result.controlId, 'CTRL-AA');
      assert.equal(result.ack.get('MSA-2'), 'CTRL-AA');
      const received = receiver.received();
      assert.deepEqual(
        received.map((entry) => [entry.controlId, entry.ack]),
        [
          ['CTRL-AE', 'AE'],
          ['CTRL-AR', 'AR'],
          ['CTRL-AA', 'AA'],
        ],
      );
      assert.equal(pythonField(received[2]!, 'PID', 1, 5), 'Müller', 'UTF-8 read by python3-hl7');
    } finally {
      await receiver.close();
    }
    assert.equal(new FoveaError('FOVEA_DELIVERY_FAILED').spec.retryable, true);
    assert.equal(new FoveaError('FOVEA_DELIVERY_REFUSED').spec.retryable, false);
  });

  it('reports the table 0357 code of an AE from Fovea’s own MLLP server', async () => {
    const memory = createMemoryLogger();
    const server = await startMllpServer({
      host: '127.0.0.1',
      port: 0,
      logger: memory.logger,
      handler: () => ({ ack: 'AE', error: new FoveaError('FOVEA_STORE_UNAVAILABLE') }),
    });
    try {
      await assert.rejects(
        sendMllpMessage({ host: '127.0.0.1', port: server.port, message: message('OWN-1'), timeoutMs: 5000 }),
        rejectsWith('FOVEA_DELIVERY_FAILED', /answered AE \(error condition 207\)$/u),
      );
    } finally {
      await server.close();
    }
  });

  it('accepts an ACK that arrives byte by byte, with CA as well as AA', async () => {
    raw.onMessage = (bytes, socket) => {
      const id = parseHl7(bytes).controlId;
      const reply = ackFor(id, 'CA');
      let offset = 0;
      const drip = (): void => {
        if (offset < reply.length) {
          socket.write(reply.subarray(offset, offset + 1));
          offset += 1;
          setTimeout(drip, 1);
        }
      };
      drip();
    };
    const result = await sendMllpMessage({
      host: '127.0.0.1',
      port: raw.port,
      message: message('DRIP'),
      timeoutMs: 5000,
    });
    assert.equal(result.code, 'CA');
  });

  it('fails retryably on no ACK in time, another MSA-2, garbage, or a closed connection', async () => {
    const send = (id: string, timeoutMs = 3000): ReturnType<typeof sendMllpMessage> =>
      sendMllpMessage({ host: '127.0.0.1', port: raw.port, message: message(id), timeoutMs });
    raw.onMessage = () => undefined;
    const started = Date.now();
    await assert.rejects(send('SILENT', 300), rejectsWith('FOVEA_MLLP_ACK_TIMEOUT', /within 300 ms/u));
    assert.ok(Date.now() - started < 2000);
    raw.onMessage = (_bytes, socket) => socket.write(ackFor('SOMETHING-ELSE'));
    await assert.rejects(send('MINE'), rejectsWith('FOVEA_DELIVERY_FAILED', /acknowledged another message/u));
    raw.onMessage = (_bytes, socket) => socket.write(frameMllp(Buffer.from('hello there')));
    await assert.rejects(send('GARBAGE'), rejectsWith('FOVEA_DELIVERY_FAILED', /not an HL7 message/u));
    raw.onMessage = (_bytes, socket) =>
      socket.write(ackFor('NOT-ACK').toString().replace('ACK^R01^ACK', 'ADT^A01'));
    await assert.rejects(send('NOT-ACK'), rejectsWith('FOVEA_DELIVERY_FAILED', /not an ACK/u));
    raw.onMessage = (_bytes, socket) => socket.destroy();
    await assert.rejects(send('CLOSED'), rejectsWith('FOVEA_DELIVERY_FAILED', /closed the connection/u));
    for (const code of ['AE', 'CE']) {
      raw.onMessage = (bytes, socket) => socket.write(ackFor(parseHl7(bytes).controlId, code));
      await assert.rejects(
        send(`NEG-${code}`),
        rejectsWith('FOVEA_DELIVERY_FAILED', new RegExp(`answered ${code}`, 'u')),
      );
    }
    raw.onMessage = (bytes, socket) => socket.write(ackFor(parseHl7(bytes).controlId, 'CR'));
    await assert.rejects(send('NEG-CR'), rejectsWith('FOVEA_DELIVERY_REFUSED'));
  });

  it('fails retryably when nobody listens or the job is aborted', async () => {
    const port = await freePort();
    await assert.rejects(
      sendMllpMessage({ host: '127.0.0.1', port, message: message('NOBODY'), timeoutMs: 2000 }),
      rejectsWith('FOVEA_DELIVERY_FAILED', /could not connect .*ECONNREFUSED/u),
    );
    raw.onMessage = () => undefined;
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 100);
    await assert.rejects(
      sendMllpMessage({
        host: '127.0.0.1',
        port: raw.port,
        message: message('ABORTED'),
        timeoutMs: 10_000,
        signal: controller.signal,
      }),
      rejectsWith('FOVEA_DELIVERY_FAILED', /aborted/u),
    );
  });
});
