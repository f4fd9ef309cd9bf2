/**
 * Binary morphology with square structuring elements, separable and linear in the image size (running
 * counts along rows, then columns).
 */
import type { Mask } from './plane.ts';

function pass(
  source: Uint8Array,
  target: Uint8Array,
  start: number,
  stride: number,
  count: number,
  radius: number,
  erode: boolean,
): void {
  // Count set pixels in the window; erosion needs all set, dilation any. Outside the image counts as unset.
  let set = 0;
  for (let k = 0; k <= Math.min(radius, count - 1); k++) {
    set += source[start + k * stride]!;
  }
  for (let i = 0; i < count; i++) {
    const lo = Math.max(0, i - radius);
    const hi = Math.min(count - 1, i + radius);
    const window = 2 * radius + 1;
    target[start + i * stride] = erode ? (set === window && hi - lo + 1 === window ? 1 : 0) : set > 0 ? 1 : 0;
    const add = i + radius + 1;
    const remove = i - radius;
    if (add < count) {
      set += source[start + add * stride]!;
    }
    if (remove >= 0) {
      set -= source[start + remove * stride]!;
    }
  }
}

function morph(mask: Mask, radius: number, erode: boolean): Mask {
  const { width, height } = mask;
  if (radius <= 0) {
    return { width, height, data: new Uint8Array(mask.data) };
  }
  const rows = new Uint8Array(mask.data.length);
  const out = new Uint8Array(mask.data.length);
  for (let y = 0; y < height; y++) {
    pass(mask.data, rows, y * width, 1, width, radius, erode);
  }
  for (let x = 0; x < width; x++) {
    pass(rows, out, x, width, height, radius, erode);
  }
  return { width, height, data: out };
}

/** Erosion by a `(2r+1)²` square; pixels within `r` of the image edge are cleared. */
export function erodeMask(mask: Mask, radius: number): Mask {
  return morph(mask, Math.round(radius), true);
}

/** Dilation by a `(2r+1)²` square. */
export function dilateMask(mask: Mask, radius: number): Mask {
  return morph(mask, Math.round(radius), false);
}

/** Opening (erosion then dilation): removes specks smaller than the square. */
export function openMask(mask: Mask, radius: number): Mask {
  return dilateMask(erodeMask(mask, radius), radius);
}
