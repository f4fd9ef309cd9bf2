/**
 * Connected components (8-connected) of a mask with per-component moments: area, centroid, extent along the
 * principal axes, and the sum and maximum of a value plane over the component.
 */
import type { Mask, Plane } from '../../imaging/index.ts';

/** One connected component. */
export interface Component {
  readonly area: number;
  /** Centroid (pixel centres at +0.5). */
  readonly x: number;
  readonly y: number;
  /** Square roots of the eigenvalues of the covariance of the pixel positions (major ≥ minor). */
  readonly major: number;
  readonly minor: number;
  /** Mean and maximum of the value plane over the component. */
  readonly mean: number;
  readonly max: number;
  /** Indices of the component's pixels. */
  readonly pixels: Int32Array;
}

/** Labels the 8-connected components of `mask`, measuring `values` over each; components above `maxArea` are skipped. */
export function labelComponents(mask: Mask, values: Plane, maxArea = Number.POSITIVE_INFINITY): Component[] {
  const { width, height, data } = mask;
  const seen = new Uint8Array(data.length);
  const stack = new Int32Array(data.length);
  const components: Component[] = [];
  for (let start = 0; start < data.length; start++) {
    if (data[start] === 0 || seen[start] !== 0) {
      continue;
    }
    let top = 0;
    let count = 0;
    stack[top++] = start;
    seen[start] = 1;
    const members: number[] = [];
    while (top > 0) {
      const index = stack[--top]!;
      members.push(index);
      count++;
      const x = index % width;
      const y = (index - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) {
          continue;
        }
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) {
            continue;
          }
          const neighbour = ny * width + nx;
          if (data[neighbour] !== 0 && seen[neighbour] === 0) {
            seen[neighbour] = 1;
            stack[top++] = neighbour;
          }
        }
      }
    }
    if (count > maxArea) {
      continue;
    }
    let sx = 0;
    let sy = 0;
    let sum = 0;
    let max = -Infinity;
    for (const index of members) {
      const x = index % width;
      sx += x + 0.5;
      sy += (index - x) / width + 0.5;
      const value = values.data[index]!;
      sum += value;
      max = Math.max(max, value);
    }
    const mx = sx / count;
    const my = sy / count;
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (const index of members) {
      const x = (index % width) + 0.5 - mx;
      const y = Math.floor(index / width) + 0.5 - my;
      xx += x * x;
      yy += y * y;
      xy += x * y;
    }
    xx = xx / count + 1 / 12;
    yy = yy / count + 1 / 12;
    xy /= count;
    const trace = xx + yy;
    const root = Math.sqrt(Math.max(0, ((xx - yy) * (xx - yy)) / 4 + xy * xy));
    components.push({
      area: count,
      x: mx,
      y: my,
      major: Math.sqrt(trace / 2 + root),
      minor: Math.sqrt(Math.max(1e-6, trace / 2 - root)),
      mean: sum / count,
      max,
      pixels: Int32Array.from(members),
    });
  }
  return components;
}
