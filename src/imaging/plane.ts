/**
 * Planes: one channel of an image as 32-bit floats, row by row, the unit every numeric kernel works on.
 */

/** One channel of an image (row-major, `width × height` values). */
export interface Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** A binary mask over a plane: 1 inside, 0 outside (row-major, `width × height` values). */
export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Creates a zero-filled plane. */
export function createPlane(width: number, height: number): Plane {
  return { width, height, data: new Float32Array(width * height) };
}

/** Creates an empty mask. */
export function createMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height) };
}

/** Counts the set pixels of a mask. */
export function countMask(mask: Mask): number {
  let count = 0;
  for (let i = 0; i < mask.data.length; i++) {
    count += mask.data[i]!;
  }
  return count;
}

/** The largest value a frame's samples can take (2^BitsStored − 1). */
export function maxSampleValue(frame: {
  readonly bitsAllocated: number;
  readonly bitsStored?: number;
}): number {
  return 2 ** (frame.bitsStored ?? frame.bitsAllocated) - 1;
}
