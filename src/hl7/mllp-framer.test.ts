/**
 * The MLLP framer on its own: the same blocks whatever the cut points, noise dropped, oversized blocks
 * counted to their end, a start block inside a block restarting it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { frameMllp, MllpFramer, type MllpFrameEvent } from './index.ts';

const one = Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|1|P|2.5.1\rPID|1||X\r');
const two = Buffer.from('MSH|^~\\&|A|B|C|D|1||ADT^A01|2|P|2.5.1\r');
const stream = Buffer.concat([Buffer.from('noise'), frameMllp(one), Buffer.from('\r\n'), frameMllp(two)]);

function feed(framer: MllpFramer, chunks: readonly Buffer[]): MllpFrameEvent[] {
  return chunks.flatMap((chunk) => framer.push(chunk));
}

function messages(events: readonly MllpFrameEvent[]): string[] {
  return events.flatMap((event) => (event.kind === 'message' ? [event.bytes.toString('latin1')] : []));
}

describe('MllpFramer', () => {
  it('finds the same blocks for every single cut point and for byte-by-byte delivery', () => {
    const expected = [one.toString('latin1'), two.toString('latin1')];
    for (let cut = 0; cut <= stream.length; cut += 1) {
      const events = feed(new MllpFramer(1024), [stream.subarray(0, cut), stream.subarray(cut)]);
      assert.deepEqual(messages(events), expected, `cut at ${cut}`);
      const discarded = events.flatMap((event) => (event.kind === 'discarded' ? [event.size] : []));
      assert.equal(
        discarded.reduce((a, b) => a + b, 0),
        7,
        `cut at ${cut}`,
      );
    }
    const bytes = [...stream].map((byte) => Buffer.from([byte]));
    assert.deepEqual(messages(feed(new MllpFramer(1024), bytes)), expected);
  });

  it('reports an oversized block once, with its head and full size, and carries on', () => {
    const big = Buffer.concat([two, Buffer.alloc(10_000, 0x41)]);
    const framer = new MllpFramer(1000);
    const events = feed(framer, [
      frameMllp(big).subarray(0, 3000),
      frameMllp(big).subarray(3000),
      frameMllp(one),
    ]);
    assert.equal(events.length, 2);
    const [oversized, next] = events;
    assert.ok(oversized?.kind === 'oversized');
    assert.equal(oversized.size, big.length);
    assert.ok(oversized.head.length <= 4096);
    assert.ok(oversized.head.toString('latin1').startsWith('MSH|'));
    assert.ok(next?.kind === 'message');
    assert.equal(framer.pendingBytes, 0);
  });

  it('restarts a block at a start character and ends one at <FS> without <CR>', () => {
    const events = feed(new MllpFramer(1024), [
      Buffer.from('\x0bpartial'),
      Buffer.concat([frameMllp(one)]),
      Buffer.concat([Buffer.from([0x0b]), two, Buffer.from([0x1c]), frameMllp(one)]),
    ]);
    assert.deepEqual(
      events.map((event) => event.kind),
      ['discarded', 'message', 'message', 'message'],
    );
    assert.deepEqual(events[0], { kind: 'discarded', size: 7, reason: 'restarted-block' });
  });
});
