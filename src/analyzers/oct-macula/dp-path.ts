/**
 * Minimum-cost boundary paths across a B-scan by dynamic programming: one row per column, moving at most
 * `maxStep` rows between neighbouring columns, inside a per-column search band. This is the column-ordered
 * form of the shortest path of Chiu et al. 2010 (graph nodes = pixels, edges to the next column), solved
 * exactly in one sweep instead of Dijkstra because every path crosses every column once.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al., Optics Express 18(18):19413, §2.2–2.3)
 */

/** Reusable buffers for {@link tracePath} on images of up to `rows × columns` pixels (column-major). */
export interface PathScratch {
  readonly accumulated: Float32Array;
  readonly back: Int8Array;
  readonly rows: number;
  readonly columns: number;
}

/** Allocates the buffers of {@link tracePath}. */
export function createPathScratch(rows: number, columns: number): PathScratch {
  return {
    accumulated: new Float32Array(rows * columns),
    back: new Int8Array(rows * columns),
    rows,
    columns,
  };
}

/**
 * The minimum-cost path through `scale · cost` (`cost` row-major, `rows × columns`, lower is better): row `out[c]` in
 * column `c`, within `[low[c], high[c]]` (clamped to the image and to a non-empty band), with
 * `|out[c] − out[c−1]| ≤ maxStep` and a penalty of `stepPenalty` per row of vertical movement.
 */
export function tracePath(
  cost: Float32Array,
  scale: number,
  scratch: PathScratch,
  low: Int32Array,
  high: Int32Array,
  maxStep: number,
  stepPenalty: number,
  out: Int32Array,
): void {
  const { rows, columns, accumulated, back } = scratch;
  const lo = (c: number): number => Math.max(0, Math.min(rows - 1, low[c]!));
  const hi = (c: number): number => Math.max(lo(c), Math.min(rows - 1, high[c]!));
  let previousLow = lo(0);
  let previousHigh = hi(0);
  for (let r = previousLow; r <= previousHigh; r++) {
    accumulated[r] = scale * cost[r * columns]!;
  }
  for (let c = 1; c < columns; c++) {
    const l = lo(c);
    const h = hi(c);
    for (let r = l; r <= h; r++) {
      let best = Infinity;
      let bestStep = 0;
      const from = Math.max(previousLow, r - maxStep);
      const to = Math.min(previousHigh, r + maxStep);
      const previous = (c - 1) * rows;
      for (let p = from; p <= to; p++) {
        const step = p > r ? p - r : r - p;
        const value = accumulated[previous + p]! + stepPenalty * step;
        if (value < best) {
          best = value;
          bestStep = p - r;
        }
      }
      if (best === Infinity) {
        // The bands do not overlap within maxStep: jump to the nearest reachable row.
        const p = r < previousLow ? previousLow : previousHigh;
        best = accumulated[(c - 1) * rows + p]! + stepPenalty * Math.abs(p - r) * 4;
        bestStep = Math.max(-127, Math.min(127, p - r));
      }
      accumulated[c * rows + r] = best + scale * cost[r * columns + c]!;
      back[c * rows + r] = bestStep;
    }
    previousLow = l;
    previousHigh = h;
  }
  const last = (columns - 1) * rows;
  let bestRow = previousLow;
  for (let r = previousLow; r <= previousHigh; r++) {
    if (accumulated[last + r]! < accumulated[last + bestRow]!) {
      bestRow = r;
    }
  }
  let r = bestRow;
  for (let c = columns - 1; c >= 0; c--) {
    out[c] = r;
    if (c > 0) {
      r = Math.max(0, Math.min(rows - 1, r + back[c * rows + r]!));
    }
  }
}
