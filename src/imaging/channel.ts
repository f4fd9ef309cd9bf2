/**
 * Channel extraction: one sample of an interleaved frame as a plane scaled to [0, 1].
 */
import type { DecodedFrame } from './frame.ts';
import { maxSampleValue, type Plane } from './plane.ts';

/** Sample `channel` (0 red, 1 green, 2 blue; 0 for greyscale) of a frame, scaled to [0, 1]. */
export function extractChannel(frame: DecodedFrame, channel: 0 | 1 | 2): Plane {
  const { rows, columns, samplesPerPixel, data } = frame;
  const stride = samplesPerPixel;
  const offset = samplesPerPixel === 1 ? 0 : channel;
  const scale = 1 / maxSampleValue(frame);
  const out = new Float32Array(rows * columns);
  for (let i = 0, j = offset; i < out.length; i++, j += stride) {
    out[i] = data[j]! * scale;
  }
  return { width: columns, height: rows, data: out };
}

/** The green channel (the one with the best vessel and lesion contrast in fundus photographs), in [0, 1]. */
export function extractGreen(frame: DecodedFrame): Plane {
  return extractChannel(frame, 1);
}
