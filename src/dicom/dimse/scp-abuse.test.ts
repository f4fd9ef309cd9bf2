/**
 * The storage SCP against hostile or broken peers on raw sockets: it must answer with A-ABORT or
 * A-ASSOCIATE-RJ, log a numbered event, never crash, and keep serving proper clients.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { peerInstalled, requirePeer } from '../../../test/peers/peers.ts';
import { logEvents } from '../../core/log-events.ts';
import { commandField, decodeCommandSet, encodeCommandSet, noDataSet } from './command-set.ts';
import type { DimseServer } from './index.ts';
import { dimseStatus, startDimseServer } from './index.ts';
import {
  encodeAssociateRequest,
  encodeReleaseRequest,
  pduType,
  type PresentationContextProposal,
} from './pdu.ts';
import {
  createMemoryLogger,
  makeOphthalmicPhotograph,
  runToolAsync,
  sopClass,
  transferSyntax,
} from '../../../test/fixtures/dcmtk-files.ts';
import { dicomApplicationContextName, implicitVrLittleEndian, verificationSopClassUid } from './uids.ts';

const maxPduLength = 16_384;
const verificationContext: PresentationContextProposal = {
  id: 1,
  abstractSyntax: verificationSopClassUid,
  transferSyntaxes: [implicitVrLittleEndian],
};

function associateRequest(
  overrides: { applicationContextName?: string; protocolVersion?: number } = {},
): Buffer {
  return encodeAssociateRequest({
    protocolVersion: overrides.protocolVersion ?? 1,
    calledAet: 'FOVEA',
    callingAet: 'RAW',
    applicationContextName: overrides.applicationContextName ?? dicomApplicationContextName,
    presentationContexts: [verificationContext],
    userInformation: {
      maxPduLength: 16384,
      implementationClassUid: '2.25.1',
      implementationVersionName: 'RAW',
    },
  });
}

function pData(contextId: number, control: number, data: Buffer): Buffer {
  const pdu = Buffer.alloc(12);
  pdu[0] = pduType.PDataTf;
  pdu.writeUInt32BE(data.length + 6, 2);
  pdu.writeUInt32BE(data.length + 2, 6);
  pdu[10] = contextId;
  pdu[11] = control;
  return Buffer.concat([pdu, data]);
}

interface Pdu {
  readonly type: number;
  readonly body: Buffer;
}

function splitPdus(bytes: Buffer): Pdu[] {
  const pdus: Pdu[] = [];
  for (let offset = 0; offset + 6 <= bytes.length;) {
    const length = bytes.readUInt32BE(offset + 2);
    pdus.push({ type: bytes[offset]!, body: bytes.subarray(offset + 6, offset + 6 + length) });
    offset += 6 + length;
  }
  return pdus;
}

/** Command sets carried by P-DATA PDUs (one PDV each, as Fovea sends them). */
function commandsIn(pdus: readonly Pdu[]): ReturnType<typeof decodeCommandSet>[] {
  return pdus
    .filter((pdu) => pdu.type === pduType.PDataTf)
    .map((pdu) => decodeCommandSet(pdu.body.subarray(6)));
}

/**
 * Connects, sends each step (waiting for the server's answer to a step with `await`), optionally
 * half-closes, and collects everything until the server closes the connection.
 */
async function exchange(
  port: number,
  steps: readonly { send: Buffer; awaitBytes?: number }[],
  options: { halfClose?: boolean; timeoutMs?: number } = {},
): Promise<{ pdus: Pdu[]; closed: boolean; ms: number }> {
  const started = Date.now();
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let length = 0;
  let notify: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    notify?.();
  });
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve) => {
    socket.on('close', () => {
      notify?.();
      resolve(true);
    });
    timer = setTimeout(() => {
      resolve(false);
    }, options.timeoutMs ?? 5000);
  });
  await new Promise((resolve) => socket.once('connect', resolve));
  for (const step of steps) {
    socket.write(step.send);
    if (step.awaitBytes !== undefined) {
      const target = length + step.awaitBytes;
      while (length < target && !socket.destroyed) {
        await new Promise<void>((resolve) => {
          notify = resolve;
        });
      }
    }
  }
  if (options.halfClose === true) {
    socket.end();
  }
  const wasClosed = await closed;
  clearTimeout(timer);
  socket.destroy();
  return { pdus: splitPdus(Buffer.concat(chunks)), closed: wasClosed, ms: Date.now() - started };
}

const abort = (source: number, reason: number): Pdu => ({
  type: pduType.Abort,
  body: Buffer.from([0, 0, source, reason]),
});
const reject = (result: number, source: number, reason: number): Pdu => ({
  type: pduType.AssociateRj,
  body: Buffer.from([0, result, source, reason]),
});

let root = '';
let opFile = '';

before(() => {
  if (peerInstalled('dcmtk')) {
    root = mkdtempSync(join(tmpdir(), 'fovea-dimse-abuse-'));
    opFile = makeOphthalmicPhotograph(root, 'op', { seed: 5 });
  }
});

after(() => {
  if (root !== '') {
    rmSync(root, { recursive: true, force: true });
  }
});

async function startServer(
  t: TestContext,
  options: { idleTimeoutMs?: number; artimTimeoutMs?: number; maxAssociations?: number } = {},
): Promise<{ server: DimseServer; events: () => number[]; stored: string[] }> {
  const { logger, events } = createMemoryLogger();
  const stored: string[] = [];
  const server = await startDimseServer({
    host: '127.0.0.1',
    port: 0,
    aeTitle: 'FOVEA',
    logger,
    maxPduLength,
    contexts: new Map([[sopClass.ophthalmicPhotography8Bit, [transferSyntax.explicitLittle]]]),
    handlers: {
      associationRequested: () => ({ accept: true }),
      storeBegin: (info) => ({
        write: () => undefined,
        end: () => {
          stored.push(info.affectedSopInstanceUid);
          return Promise.resolve({ status: dimseStatus.Success });
        },
        abort: () => Promise.resolve(),
      }),
    },
    ...options,
  });
  t.after(() => server.close());
  return { server, events, stored };
}

const associated = { send: associateRequest(), awaitBytes: 6 };

const cases: {
  name: string;
  steps: { send: Buffer; awaitBytes?: number }[];
  halfClose?: boolean;
  expect: Pdu[];
  event: number;
}[] = [
  {
    name: 'garbage bytes',
    steps: [{ send: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1') }],
    expect: [abort(2, 1)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'a truncated A-ASSOCIATE-RQ, then close',
    steps: [{ send: associateRequest().subarray(0, 40) }],
    halfClose: true,
    expect: [abort(2, 6)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'an oversized PDU length',
    steps: [{ send: Buffer.from([pduType.AssociateRq, 0, 0x7f, 0xff, 0xff, 0xff]) }],
    expect: [abort(2, 6)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'P-DATA before A-ASSOCIATE-RQ',
    steps: [
      {
        send: pData(
          1,
          3,
          encodeCommandSet({ commandField: 0x30, messageId: 1, commandDataSetType: noDataSet }),
        ),
      },
    ],
    expect: [abort(2, 2)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'an A-ASSOCIATE-RQ with a bad application context',
    steps: [{ send: associateRequest({ applicationContextName: '1.2.3.4' }) }],
    expect: [reject(1, 1, 2)],
    event: logEvents.DIMSE_ASSOCIATION_REJECTED,
  },
  {
    name: 'an A-ASSOCIATE-RQ with an unsupported protocol version',
    steps: [{ send: associateRequest({ protocolVersion: 2 }) }],
    expect: [reject(1, 2, 2)],
    event: logEvents.DIMSE_ASSOCIATION_REJECTED,
  },
  {
    name: 'a P-DATA PDU larger than our maximum',
    steps: [associated, { send: Buffer.from([pduType.PDataTf, 0, 0, 0, 0x40, 0x01]) }],
    expect: [abort(2, 6)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'a PDV on a presentation context that was not accepted',
    steps: [
      associated,
      {
        send: pData(
          3,
          3,
          encodeCommandSet({ commandField: 0x30, messageId: 1, commandDataSetType: noDataSet }),
        ),
      },
    ],
    expect: [abort(2, 6)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'an unknown PDU type on an association',
    steps: [associated, { send: Buffer.from([0x09, 0, 0, 0, 0, 0]) }],
    expect: [abort(2, 1)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'a second A-ASSOCIATE-RQ on an association',
    steps: [associated, { send: associateRequest() }],
    expect: [abort(2, 2)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'a data set fragment without a command',
    steps: [associated, { send: pData(1, 2, Buffer.from([8, 0, 0x18, 0, 0, 0, 0, 0])) }],
    expect: [abort(2, 5)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
  {
    name: 'a malformed command set',
    steps: [associated, { send: pData(1, 3, Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0, 0])) }],
    expect: [abort(2, 0)],
    event: logEvents.DIMSE_PROTOCOL_ERROR,
  },
];

describe('SCP against broken peers', () => {
  it('answers each abuse with A-ABORT or A-ASSOCIATE-RJ, logs it, and keeps serving storescu', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const { server, events, stored } = await startServer(t);
    for (const abuse of cases) {
      const before = events().length;
      const result = await exchange(server.port, abuse.steps, { halfClose: abuse.halfClose === true });
      assert.equal(result.closed, true, `${abuse.name}: the server closed the connection`);
      const answers = result.pdus.filter((pdu) => pdu.type !== pduType.AssociateAc);
      assert.deepEqual(answers, abuse.expect, abuse.name);
      assert.ok(events().slice(before).includes(abuse.event), `${abuse.name}: event ${abuse.event} logged`);
    }
    const store = await runToolAsync('storescu', ['-aec', 'FOVEA', '127.0.0.1', String(server.port), opFile]);
    assert.equal(store.status, 0, store.output);
    assert.equal(stored.length, 1);
  });

  it('answers unsupported commands (0x0211) and SOP class mismatches (0x0122) without ending the association', async (t) => {
    const { server } = await startServer(t);
    const find = encodeCommandSet({
      commandField: commandField.CFindRq,
      messageId: 5,
      affectedSopClassUid: verificationSopClassUid,
      priority: 0,
      commandDataSetType: noDataSet,
    });
    const store = encodeCommandSet({
      commandField: commandField.CStoreRq,
      messageId: 6,
      affectedSopClassUid: sopClass.ophthalmicPhotography8Bit,
      affectedSopInstanceUid: '2.25.42',
      priority: 0,
      commandDataSetType: 0,
    });
    const result = await exchange(server.port, [
      associated,
      { send: pData(1, 3, find), awaitBytes: 6 },
      {
        send: Buffer.concat([
          pData(1, 3, store),
          pData(1, 0, Buffer.alloc(100)),
          pData(1, 2, Buffer.alloc(10)),
        ]),
        awaitBytes: 6,
      },
      { send: encodeReleaseRequest() },
    ]);
    assert.equal(result.closed, true);
    const [findResponse, storeResponse] = commandsIn(result.pdus);
    assert.equal(findResponse!.commandField, commandField.CFindRsp);
    assert.equal(findResponse!.messageIdBeingRespondedTo, 5);
    assert.equal(findResponse!.status, dimseStatus.UnrecognizedOperation);
    assert.equal(storeResponse!.commandField, commandField.CStoreRsp);
    assert.equal(storeResponse!.messageIdBeingRespondedTo, 6);
    assert.equal(storeResponse!.status, dimseStatus.SopClassNotSupported);
    assert.equal(storeResponse!.affectedSopInstanceUid, '2.25.42');
    assert.equal(result.pdus.at(-1)!.type, pduType.ReleaseRp);
  });

  it('aborts an idle association and closes a silent connection at ARTIM expiry', async (t) => {
    const { server, events } = await startServer(t, { idleTimeoutMs: 300, artimTimeoutMs: 300 });
    const idle = await exchange(server.port, [associated]);
    assert.equal(idle.closed, true);
    assert.deepEqual(
      idle.pdus.map((pdu) => pdu.type),
      [pduType.AssociateAc, pduType.Abort],
    );
    assert.deepEqual(idle.pdus[1], abort(2, 0));
    assert.ok(idle.ms >= 250 && idle.ms < 3000, `idle abort after ${idle.ms} ms`);
    const silent = await exchange(server.port, []);
    assert.equal(silent.closed, true);
    assert.deepEqual(silent.pdus, []);
    assert.ok(silent.ms >= 250 && silent.ms < 3000, `ARTIM close after ${silent.ms} ms`);
    assert.equal(events().filter((event) => event === logEvents.DIMSE_ASSOCIATION_TIMEOUT).length, 2);
  });

  it('rejects associations beyond maxAssociations as transient (2/3/2)', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const { server } = await startServer(t, { maxAssociations: 1 });
    const holder = connect({ host: '127.0.0.1', port: server.port });
    holder.on('error', () => undefined);
    await new Promise((resolve) => holder.once('connect', resolve));
    holder.write(associateRequest());
    await new Promise((resolve) => holder.once('data', resolve));
    const refused = await runToolAsync('echoscu', ['-aec', 'FOVEA', '127.0.0.1', String(server.port)]);
    assert.notEqual(refused.status, 0);
    assert.match(refused.output, /Rejected Transient/);
    assert.match(refused.output, /Local Limit Exceeded/i);
    holder.write(encodeReleaseRequest());
    await new Promise((resolve) => holder.once('close', resolve));
    const accepted = await runToolAsync('echoscu', ['-aec', 'FOVEA', '127.0.0.1', String(server.port)]);
    assert.equal(accepted.status, 0, accepted.output);
  });

  it('closes cleanly with open associations', async (t) => {
    const { server } = await startServer(t);
    const result = exchange(server.port, [associated]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await server.close();
    const outcome = await result;
    assert.equal(outcome.closed, true);
    assert.deepEqual(outcome.pdus.at(-1), abort(0, 0));
  });
});
