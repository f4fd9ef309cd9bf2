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

/** Buffers of {@link traceCoarseToFine}: a half-height, quarter-width copy of the cost and its path. */
export interface CoarseScratch {
  readonly cost: Float32Array;
  readonly paths: PathScratch;
  readonly low: Int32Array;
  readonly high: Int32Array;
  readonly path: Int32Array;
  readonly fineLow: Int32Array;
  readonly fineHigh: Int32Array;
}

/** Rows and columns of the coarse grid are this many fine ones. */
export const coarseRows = 2;
export const coarseColumns = 4;

/** Allocates the buffers of {@link traceCoarseToFine} for images of `rows × columns`. */
export function createCoarseScratch(rows: number, columns: number): CoarseScratch {
  const r = Math.ceil(rows / coarseRows);
  const c = Math.ceil(columns / coarseColumns);
  return {
    cost: new Float32Array(r * c),
    paths: createPathScratch(r, c),
    low: new Int32Array(c),
    high: new Int32Array(c),
    path: new Int32Array(c),
    fineLow: new Int32Array(columns),
    fineHigh: new Int32Array(columns),
  };
}

/**
 * The search band of each column of a grid of 2-row × 4-column blocks: the rows of blocks any of its fine
 * columns may reach (`low`/`high` in fine rows of `rows × columns`; `blockRowCount` rows of blocks; one
 * output per block column).
 */
export function coarseBands(
  low: Int32Array,
  high: Int32Array,
  rows: number,
  columns: number,
  blockRowCount: number,
  outLow: Int32Array,
  outHigh: Int32Array,
): void {
  for (let cc = 0; cc < outLow.length; cc++) {
    let lo = rows;
    let hi = 0;
    for (let c = cc * coarseColumns; c < Math.min(columns, (cc + 1) * coarseColumns); c++) {
      lo = Math.min(lo, low[c]!);
      hi = Math.max(hi, high[c]!);
    }
    outLow[cc] = Math.floor(Math.max(0, lo) / coarseRows);
    outHigh[cc] = Math.min(blockRowCount - 1, Math.floor(Math.max(0, hi) / coarseRows));
  }
}

/**
 * {@link tracePath} for wide search bands, in two steps: the path on a grid of 2-row × 4-column blocks
 * (block mean cost, the same smoothness per fine column), then the exact path at full resolution within
 * `margin` rows of it. Equivalent to the full search whenever the optimum has no detail finer than a block.
 */
export function traceCoarseToFine(
  cost: Float32Array,
  scale: number,
  scratch: PathScratch,
  coarse: CoarseScratch,
  low: Int32Array,
  high: Int32Array,
  maxStep: number,
  stepPenalty: number,
  margin: number,
  out: Int32Array,
): void {
  const { rows, columns } = scratch;
  const cRows = coarse.paths.rows;
  const cColumns = coarse.paths.columns;
  const block = coarseRows * coarseColumns;
  coarse.cost.fill(0);
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    const target = Math.floor(r / coarseRows) * cColumns;
    for (let c = 0; c < columns; c++) {
      const at = target + Math.floor(c / coarseColumns);
      coarse.cost[at] = coarse.cost[at]! + cost[base + c]!;
    }
  }
  // Mean over the block's rows, sum over its columns (a fine path crosses every column once).
  const factor = (scale * coarseColumns) / block;
  for (let i = 0; i < coarse.cost.length; i++) {
    coarse.cost[i] = coarse.cost[i]! * factor;
  }
  coarseBands(low, high, rows, columns, cRows, coarse.low, coarse.high);
  tracePath(
    coarse.cost,
    1,
    coarse.paths,
    coarse.low,
    coarse.high,
    Math.ceil((maxStep * coarseColumns) / coarseRows),
    // One coarse row of movement is `coarseRows` fine rows, whatever the columns it spreads over.
    stepPenalty * coarseRows,
    coarse.path,
  );
  for (let c = 0; c < columns; c++) {
    // Interpolate the coarse path between block centres.
    const position = (c + 0.5) / coarseColumns - 0.5;
    const left = Math.max(0, Math.min(cColumns - 1, Math.floor(position)));
    const right = Math.min(cColumns - 1, left + 1);
    const t = Math.max(0, Math.min(1, position - left));
    const centre = ((1 - t) * coarse.path[left]! + t * coarse.path[right]! + 0.5) * coarseRows;
    coarse.fineLow[c] = Math.max(low[c]!, Math.floor(centre - margin));
    coarse.fineHigh[c] = Math.min(high[c]!, Math.ceil(centre + margin));
  }
  tracePath(cost, scale, scratch, coarse.fineLow, coarse.fineHigh, maxStep, stepPenalty, out);
}

/**
 * Sub-row position of an extremum of `values` (row-major, `rows × columns`) in column `c` at integer row `r`:
 * the vertex of the parabola through rows r − 1, r, r + 1, clamped to ±0.5 row.
 */
export function refineExtremum(
  values: Float32Array,
  r: number,
  c: number,
  rows: number,
  columns: number,
): number {
  if (r <= 0 || r >= rows - 1) {
    return r;
  }
  const a = values[(r - 1) * columns + c]!;
  const b = values[r * columns + c]!;
  const d = values[(r + 1) * columns + c]!;
  const denominator = a - 2 * b + d;
  return denominator === 0 ? r : r + Math.max(-0.5, Math.min(0.5, (0.5 * (a - d)) / denominator));
}
