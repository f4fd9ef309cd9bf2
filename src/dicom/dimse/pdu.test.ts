import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import {
  abortReason,
  decodeAbort,
  decodeAssociateAccept,
  decodeAssociateReject,
  decodeAssociateRequest,
  encodeAbort,
  encodeAssociateAccept,
  encodeAssociateReject,
  encodeAssociateRequest,
  encodeReleaseRequest,
  pduType,
  PduError,
} from './pdu.ts';
import { PduReader } from './pdu-reader.ts';
import { dicomApplicationContextName, implicitVrLittleEndian, verificationSopClassUid } from './uids.ts';

const explicitLe = '1.2.840.10008.1.2.1';
const op = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

function sampleRequest(): Buffer {
  return encodeAssociateRequest({
    protocolVersion: 1,
    calledAet: 'FOVEA',
    callingAet: 'MODALITY',
    applicationContextName: dicomApplicationContextName,
    presentationContexts: [
      { id: 1, abstractSyntax: verificationSopClassUid, transferSyntaxes: [implicitVrLittleEndian] },
      { id: 3, abstractSyntax: op, transferSyntaxes: [explicitLe, implicitVrLittleEndian] },
    ],
    userInformation: {
      maxPduLength: 16384,
      implementationClassUid: '1.2.3.4',
      implementationVersionName: 'TEST_1',
      asynchronousOperationsWindow: { invoked: 1, performed: 1 },
      roleSelections: [{ sopClassUid: op, scuRole: 1, scpRole: 0 }],
    },
  });
}

/** PDU events as a reader reports them. */
type Event = ['header', number, number] | ['pdu', number, string] | ['pdv', number, number, string, boolean];

function collect(limits = { maxPDataLength: 1 << 20, maxAssociateLength: 1 << 20 }): {
  reader: PduReader;
  events: Event[];
} {
  const events: Event[] = [];
  const reader = new PduReader(
    {
      header: (type, length) => events.push(['header', type, length]),
      pdu: (type, body) => {
        events.push(['pdu', type, body.toString('hex')]);
      },
      pdv: (contextId, control, data, complete) => {
        events.push(['pdv', contextId, control, data.toString('hex'), complete]);
      },
    },
    limits,
  );
  return { reader, events };
}

/** Merges consecutive pieces of the same PDV so that differently split streams compare equal. */
function normalise(events: readonly Event[]): Event[] {
  const out: Event[] = [];
  for (const event of events) {
    const previous = out.at(-1);
    if (event[0] === 'pdv' && previous?.[0] === 'pdv' && !previous[4]) {
      out[out.length - 1] = ['pdv', event[1], event[2], previous[3] + event[3], event[4]];
    } else {
      out.push(event);
    }
  }
  return out;
}

function pData(pdvs: readonly [number, number, Buffer][]): Buffer {
  const items = pdvs.map(([context, control, data]) => {
    const header = Buffer.alloc(6);
    header.writeUInt32BE(data.length + 2, 0);
    header[4] = context;
    header[5] = control;
    return Buffer.concat([header, data]);
  });
  const body = Buffer.concat(items);
  const header = Buffer.alloc(6);
  header[0] = pduType.PDataTf;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

describe('A-ASSOCIATE PDUs', () => {
  it('round-trips an A-ASSOCIATE-RQ', () => {
    const bytes = sampleRequest();
    assert.equal(bytes[0], pduType.AssociateRq);
    assert.equal(bytes.readUInt32BE(2), bytes.length - 6);
    const request = decodeAssociateRequest(bytes.subarray(6));
    assert.equal(request.protocolVersion, 1);
    assert.equal(request.calledAet, 'FOVEA');
    assert.equal(request.callingAet, 'MODALITY');
    assert.equal(request.calledAetRaw, 'FOVEA           ');
    assert.equal(request.applicationContextName, dicomApplicationContextName);
    assert.deepEqual(request.presentationContexts, [
      { id: 1, abstractSyntax: verificationSopClassUid, transferSyntaxes: [implicitVrLittleEndian] },
      { id: 3, abstractSyntax: op, transferSyntaxes: [explicitLe, implicitVrLittleEndian] },
    ]);
    assert.equal(request.userInformation.maxPduLength, 16384);
    assert.equal(request.userInformation.implementationClassUid, '1.2.3.4');
    assert.equal(request.userInformation.implementationVersionName, 'TEST_1');
    assert.deepEqual(request.userInformation.asynchronousOperationsWindow, { invoked: 1, performed: 1 });
    assert.deepEqual(request.userInformation.roleSelections, [{ sopClassUid: op, scuRole: 1, scpRole: 0 }]);
  });

  it('round-trips an A-ASSOCIATE-AC and echoes the raw AE fields', () => {
    const bytes = encodeAssociateAccept({
      protocolVersion: 1,
      calledAet: 'FOVEA',
      callingAet: 'MOD',
      calledAetRaw: '  FOVEA         ',
      callingAetRaw: 'MOD             ',
      applicationContextName: dicomApplicationContextName,
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: implicitVrLittleEndian },
        { id: 3, result: 3, transferSyntax: explicitLe },
      ],
      userInformation: {
        maxPduLength: 262144,
        implementationClassUid: '2.25.1',
        implementationVersionName: 'FOVEA_010',
      },
    });
    assert.equal(bytes.toString('latin1', 10, 26), '  FOVEA         ');
    const accept = decodeAssociateAccept(bytes.subarray(6));
    assert.equal(accept.calledAet, 'FOVEA');
    assert.deepEqual(accept.presentationContexts, [
      { id: 1, result: 0, transferSyntax: implicitVrLittleEndian },
      { id: 3, result: 3, transferSyntax: explicitLe },
    ]);
    assert.equal(accept.userInformation.maxPduLength, 262144);
    assert.equal(accept.userInformation.implementationVersionName, 'FOVEA_010');
    assert.equal(accept.userInformation.asynchronousOperationsWindow, undefined);
  });

  it('encodes and decodes A-ASSOCIATE-RJ and A-ABORT', () => {
    const reject = encodeAssociateReject({ result: 1, source: 1, reason: 7 });
    assert.deepEqual([...reject], [3, 0, 0, 0, 0, 4, 0, 1, 1, 7]);
    assert.deepEqual(decodeAssociateReject(reject.subarray(6)), { result: 1, source: 1, reason: 7 });
    const abort = encodeAbort({ source: 2, reason: 6 });
    assert.deepEqual([...abort], [7, 0, 0, 0, 0, 4, 0, 0, 2, 6]);
    assert.deepEqual(decodeAbort(abort.subarray(6)), { source: 2, reason: 6 });
    assert.deepEqual([...encodeReleaseRequest()], [5, 0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });

  it('rejects truncated items and a missing user information item', () => {
    const body = sampleRequest().subarray(6);
    assert.throws(() => decodeAssociateRequest(body.subarray(0, body.length - 3)), PduError);
    assert.throws(() => decodeAssociateRequest(body.subarray(0, 40)), PduError);
    const noUserInfo = Buffer.from(body.subarray(0, 68 + 4 + dicomApplicationContextName.length));
    assert.throws(
      () => decodeAssociateRequest(noUserInfo),
      (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_DIMSE_PROTOCOL',
    );
  });
});

describe('PduReader', () => {
  const stream = Buffer.concat([
    sampleRequest(),
    pData([
      [1, 0x03, Buffer.from('00000000040000001a000000', 'hex')],
      [3, 0x00, Buffer.from('0102030405', 'hex')],
    ]),
    pData([[3, 0x02, Buffer.alloc(0)]]),
    pData([[3, 0x02, Buffer.from('ff', 'hex')]]),
    encodeReleaseRequest(),
  ]);

  it('frames a stream identically however it is split', () => {
    const whole = collect();
    assert.equal(whole.reader.push(stream), undefined);
    const expected = normalise(whole.events);
    assert.deepEqual(
      expected.map((event) => event[0]),
      ['header', 'pdu', 'header', 'pdv', 'pdv', 'header', 'pdv', 'header', 'pdv', 'header', 'pdu'],
    );
    for (const size of [1, 2, 3, 5, 7, 13, 64]) {
      const split = collect();
      for (let offset = 0; offset < stream.length; offset += size) {
        split.reader.push(stream.subarray(offset, offset + size));
      }
      assert.deepEqual(normalise(split.events), expected, `chunks of ${size}`);
      assert.equal(split.reader.midPdu, false);
    }
  });

  it('hands P-DATA fragments on as views of the input', () => {
    const data = Buffer.alloc(1000, 7);
    const bytes = pData([[1, 0x02, data]]);
    const seen: Buffer[] = [];
    const reader = new PduReader(
      {
        header: () => undefined,
        pdu: () => undefined,
        pdv: (_c, _f, fragment) => {
          seen.push(fragment);
        },
      },
      { maxPDataLength: 4096, maxAssociateLength: 4096 },
    );
    reader.push(bytes);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.buffer, bytes.buffer);
  });

  it('suspends on a handler promise and resumes in order', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const reader = new PduReader(
      {
        header: () => undefined,
        pdu: () => undefined,
        pdv: (_c, _f, data) => {
          order.push(data.toString('hex'));
          if (order.length === 1) {
            return new Promise<void>((resolve) => {
              release = resolve;
            });
          }
          return undefined;
        },
      },
      { maxPDataLength: 4096, maxAssociateLength: 4096 },
    );
    const pending = reader.push(
      Buffer.concat([pData([[1, 0, Buffer.from([1])]]), pData([[1, 2, Buffer.from([2])]])]),
    );
    assert.ok(pending instanceof Promise);
    assert.equal(reader.suspended, true);
    assert.equal(reader.push(pData([[1, 2, Buffer.from([3])]])), undefined);
    assert.deepEqual(order, ['01']);
    release();
    await pending;
    assert.deepEqual(order, ['01', '02', '03']);
    assert.equal(reader.suspended, false);
  });

  const failures: { name: string; bytes: Buffer; reason: number }[] = [
    {
      name: 'unknown PDU type',
      bytes: Buffer.from('4745540a2f20485454', 'hex'),
      reason: abortReason.UnrecognizedPdu,
    },
    {
      name: 'P-DATA larger than the limit',
      bytes: Buffer.from([4, 0, 0, 0, 0x20, 0x01]),
      reason: abortReason.InvalidPduParameterValue,
    },
    {
      name: 'A-ASSOCIATE-RQ larger than the limit',
      bytes: Buffer.from([1, 0, 0xff, 0xff, 0xff, 0xff]),
      reason: abortReason.InvalidPduParameterValue,
    },
    {
      name: 'PDV longer than its PDU',
      bytes: Buffer.from([4, 0, 0, 0, 0, 8, 0, 0, 0, 9, 1, 0, 0, 0]),
      reason: abortReason.InvalidPduParameterValue,
    },
    {
      name: 'PDV item length below 2',
      bytes: Buffer.from([4, 0, 0, 0, 0, 6, 0, 0, 0, 1, 1, 0]),
      reason: abortReason.InvalidPduParameterValue,
    },
    {
      name: 'A-ABORT with a long body',
      bytes: Buffer.from([7, 0, 0, 0, 1, 0]),
      reason: abortReason.InvalidPduParameterValue,
    },
  ];
  for (const failure of failures) {
    it(`refuses ${failure.name}`, () => {
      const { reader } = collect({ maxPDataLength: 0x2000, maxAssociateLength: 0x10000 });
      assert.throws(
        () => reader.push(failure.bytes),
        (error: unknown) => error instanceof PduError && error.abortReason === failure.reason,
      );
      assert.equal(reader.push(Buffer.from([1, 2, 3])), undefined, 'ignores input after an error');
    });
  }

  it('reports a PDU cut short', () => {
    const { reader } = collect();
    reader.push(stream.subarray(0, 10));
    assert.equal(reader.midPdu, true);
  });
});
