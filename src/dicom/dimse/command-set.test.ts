import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import {
  commandField,
  decodeCommandSet,
  encodeCommandSet,
  noDataSet,
  toErrorComment,
} from './command-set.ts';

describe('command sets', () => {
  it('encodes Implicit VR Little Endian with a correct Command Group Length, in tag order', () => {
    const bytes = encodeCommandSet({
      commandField: commandField.CStoreRsp,
      messageIdBeingRespondedTo: 7,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
      affectedSopInstanceUid: '1.2.3',
      commandDataSetType: noDataSet,
      status: 0xa700,
      errorComment: 'disk full',
    });
    assert.equal(bytes.readUInt32LE(0), 0x00000000);
    assert.equal(bytes.readUInt32LE(4), 4);
    assert.equal(bytes.readUInt32LE(8), bytes.length - 12);
    const tags: number[] = [];
    for (let offset = 0; offset < bytes.length;) {
      tags.push(bytes.readUInt16LE(offset + 2));
      const length = bytes.readUInt32LE(offset + 4);
      assert.equal(length % 2, 0, 'even value lengths');
      offset += 8 + length;
    }
    assert.deepEqual(tags, [0x0000, 0x0002, 0x0100, 0x0120, 0x0800, 0x0900, 0x0902, 0x1000]);
    // UI padded with NUL, LO with space.
    assert.ok(bytes.includes(Buffer.from('1.2.3\0', 'latin1')));
    assert.ok(bytes.includes(Buffer.from('disk full ', 'latin1')));
  });

  it('round-trips the fields it knows and skips unknown group 0000 elements', () => {
    const encoded = encodeCommandSet({
      commandField: commandField.CStoreRq,
      messageId: 65535,
      priority: 2,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.7',
      affectedSopInstanceUid: '2.25.1234',
      commandDataSetType: 0,
      moveOriginatorAet: 'MOVER',
      moveOriginatorMessageId: 3,
    });
    const unknown = Buffer.from([0x00, 0x00, 0x05, 0x00, 0x02, 0x00, 0x00, 0x00, 0xaa, 0xbb]);
    const decoded = decodeCommandSet(Buffer.concat([encoded, unknown]));
    assert.equal(decoded.commandField, commandField.CStoreRq);
    assert.equal(decoded.messageId, 65535);
    assert.equal(decoded.priority, 2);
    assert.equal(decoded.affectedSopClassUid, '1.2.840.10008.5.1.4.1.1.7');
    assert.equal(decoded.affectedSopInstanceUid, '2.25.1234');
    assert.equal(decoded.commandDataSetType, 0);
    assert.equal(decoded.moveOriginatorAet, 'MOVER');
    assert.equal(decoded.moveOriginatorMessageId, 3);
  });

  it('refuses malformed command sets', () => {
    const isProtocolError = (error: unknown): boolean =>
      error instanceof FoveaError && error.code === 'FOVEA_DIMSE_PROTOCOL';
    const good = encodeCommandSet({
      commandField: commandField.CEchoRq,
      messageId: 1,
      commandDataSetType: noDataSet,
    });
    assert.throws(() => decodeCommandSet(good.subarray(0, good.length - 1)), isProtocolError);
    assert.throws(() => decodeCommandSet(Buffer.from([0x08, 0x00, 0x18, 0x00, 0, 0, 0, 0])), isProtocolError);
    assert.throws(
      () => decodeCommandSet(encodeCommandSet({ commandDataSetType: noDataSet } as never)),
      isProtocolError,
    );
  });

  it('makes Error Comment values conformant', () => {
    assert.equal(toErrorComment('a\\b\nc é'), 'a b c');
    assert.equal(toErrorComment('x'.repeat(80)).length, 64);
  });
});
