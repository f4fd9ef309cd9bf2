/**
 * Connected components of binary masks (4-connectivity, iterative flood fill with a typed-array queue).
 */
import type { Mask } from './plane.ts';

/** Marks in `reached` every pixel equal to `value` that is 4-connected to a seed through such pixels. */
function flood(mask: Mask, value: 0 | 1, seeds: readonly number[], reached: Uint8Array): void {
  const { width, data } = mask;
  const queue = new Int32Array(data.length);
  let head = 0;
  let tail = 0;
  const visit = (n: number): void => {
    if (reached[n] === 0 && data[n] === value) {
      reached[n] = 1;
      queue[tail++] = n;
    }
  };
  for (const seed of seeds) {
    visit(seed);
  }
  while (head < tail) {
    const i = queue[head++]!;
    const x = i % width;
    if (x > 0) {
      visit(i - 1);
    }
    if (x < width - 1) {
      visit(i + 1);
    }
    if (i >= width) {
      visit(i - width);
    }
    if (i + width < data.length) {
      visit(i + width);
    }
  }
}

/** The largest 4-connected component of set pixels (an empty mask when none is set). */
export function largestComponent(mask: Mask): Mask {
  const { width, height, data } = mask;
  const labels = new Int32Array(data.length);
  const queue = new Int32Array(data.length);
  let best = 0;
  let bestSize = 0;
  let label = 0;
  for (let start = 0; start < data.length; start++) {
    if (data[start] === 0 || labels[start] !== 0) {
      continue;
    }
    label++;
    let head = 0;
    let tail = 0;
    labels[start] = label;
    queue[tail++] = start;
    while (head < tail) {
      const i = queue[head++]!;
      const x = i % width;
      if (x > 0 && data[i - 1] !== 0 && labels[i - 1] === 0) {
        labels[i - 1] = label;
        queue[tail++] = i - 1;
      }
      if (x < width - 1 && data[i + 1] !== 0 && labels[i + 1] === 0) {
        labels[i + 1] = label;
        queue[tail++] = i + 1;
      }
      if (i >= width && data[i - width] !== 0 && labels[i - width] === 0) {
        labels[i - width] = label;
        queue[tail++] = i - width;
      }
      if (i + width < data.length && data[i + width] !== 0 && labels[i + width] === 0) {
        labels[i + width] = label;
        queue[tail++] = i + width;
      }
    }
    if (tail > bestSize) {
      bestSize = tail;
      best = label;
    }
  }
  const out = new Uint8Array(data.length);
  if (best !== 0) {
    for (let i = 0; i < out.length; i++) {
      out[i] = labels[i] === best ? 1 : 0;
    }
  }
  return { width, height, data: out };
}

/** Sets every unset pixel that cannot be reached from the image border through unset pixels (fills holes). */
export function fillHoles(mask: Mask): Mask {
  const { width, height, data } = mask;
  const outside = new Uint8Array(data.length);
  const border: number[] = [];
  for (let x = 0; x < width; x++) {
    border.push(x, (height - 1) * width + x);
  }
  for (let y = 0; y < height; y++) {
    border.push(y * width, y * width + width - 1);
  }
  flood(mask, 0, border, outside);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = outside[i] === 0 ? 1 : 0;
  }
  return { width, height, data: out };
}
