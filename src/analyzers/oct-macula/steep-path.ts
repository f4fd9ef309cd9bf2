/**
 * Minimum-cost boundary paths that may climb steep walls: the column-ordered dynamic programming of
 * `imaging/boundary-path.ts`, but with a convex step cost — up to `smallStep` rows between neighbouring
 * columns at `smallPenalty` per row, every row beyond that at `steepPenalty` — and no limit on the step.
 * This is Chiu's graph with vertical edges inside a column (a path may run down a column before it moves
 * on), which a surface needs where it turns nearly vertical: the walls of a tall pigment-epithelial
 * detachment rise tens of rows between two A-scans. The cost is the infimal convolution of the two linear
 * pieces, so each column costs one bounded search plus two sweeps (a distance transform), not a search
 * over every step.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010, §2.2–2.3: 8-connected graph, vertical moves)
 */
import { coarseBands, coarseColumns, coarseRows } from '../../imaging/index.ts';

/** Reusable buffers of {@link traceSteepPath} for images of up to `rows × columns`. */
export interface SteepPathScratch {
  readonly rows: number;
  readonly columns: number;
  /** Accumulated cost per node, column-major. */
  readonly accumulated: Float32Array;
  /** Row of the previous column each node came from, column-major. */
  readonly back: Int16Array;
  /** Per-row buffers of one column: after the bounded search, after the sweeps, and their sources. */
  readonly near: Float32Array;
  readonly nearFrom: Int32Array;
  readonly best: Float32Array;
  readonly bestFrom: Int32Array;
}

/** Allocates the buffers of {@link traceSteepPath}. */
export function createSteepPathScratch(rows: number, columns: number): SteepPathScratch {
  return {
    rows,
    columns,
    accumulated: new Float32Array(rows * columns),
    back: new Int16Array(rows * columns),
    near: new Float32Array(rows),
    nearFrom: new Int32Array(rows),
    best: new Float32Array(rows),
    bestFrom: new Int32Array(rows),
  };
}

/** Step costs of {@link traceSteepPath} (per row of vertical movement between neighbouring columns). */
export interface SteepStep {
  readonly smallStep: number;
  readonly smallPenalty: number;
  /** Cost of every row beyond `smallStep`; at least `smallPenalty` (the cost is convex). */
  readonly steepPenalty: number;
}

/**
 * The minimum-cost path through `scale · cost` (`cost` row-major with `columns` columns, lower is better),
 * row `out[c]` within `[low[c], high[c]]` (clamped to the image and to a non-empty band), over the first
 * `scratch.columns` columns, with the convex step cost of `step`.
 */
export function traceSteepPath(
  cost: Float32Array,
  scale: number,
  scratch: SteepPathScratch,
  low: Int32Array,
  high: Int32Array,
  step: SteepStep,
  out: Int32Array,
): void {
  const { rows, columns, accumulated, back, near, nearFrom, best, bestFrom } = scratch;
  const { smallStep, smallPenalty } = step;
  const steepPenalty = Math.max(step.steepPenalty, smallPenalty);
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
    const from = Math.min(l, previousLow);
    const to = Math.max(h, previousHigh);
    const previous = (c - 1) * rows;
    // Small steps from the previous column, for every row of the union of the two bands.
    for (let q = from; q <= to; q++) {
      let value = Infinity;
      let source = q < previousLow ? previousLow : previousHigh;
      const first = Math.max(previousLow, q - smallStep);
      const last = Math.min(previousHigh, q + smallStep);
      for (let p = first; p <= last; p++) {
        const candidate = accumulated[previous + p]! + smallPenalty * (p > q ? p - q : q - p);
        if (candidate < value) {
          value = candidate;
          source = p;
        }
      }
      near[q] = value;
      nearFrom[q] = source;
    }
    // Steep rows on top (distance transform with slope steepPenalty, down then up).
    best[from] = near[from]!;
    bestFrom[from] = nearFrom[from]!;
    for (let q = from + 1; q <= to; q++) {
      const carried = best[q - 1]! + steepPenalty;
      if (carried < near[q]!) {
        best[q] = carried;
        bestFrom[q] = bestFrom[q - 1]!;
      } else {
        best[q] = near[q]!;
        bestFrom[q] = nearFrom[q]!;
      }
    }
    for (let q = to - 1; q >= from; q--) {
      const carried = best[q + 1]! + steepPenalty;
      if (carried < best[q]!) {
        best[q] = carried;
        bestFrom[q] = bestFrom[q + 1]!;
      }
    }
    const here = c * rows;
    for (let r = l; r <= h; r++) {
      accumulated[here + r] = best[r]! + scale * cost[r * columns + c]!;
      back[here + r] = bestFrom[r]!;
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
      r = back[c * rows + r]!;
    }
  }
}

/** Buffers of {@link traceSteepCoarseToFine}. */
export interface SteepCoarseScratch {
  readonly fine: SteepPathScratch;
  readonly coarse: SteepPathScratch;
  /** Block means of the cost. */
  readonly blocks: Float32Array;
  readonly coarseLow: Int32Array;
  readonly coarseHigh: Int32Array;
  readonly coarsePath: Int32Array;
  readonly fineLow: Int32Array;
  readonly fineHigh: Int32Array;
}

/** Fine rows and columns per coarse block: imaging's coarse grid, whose bands `coarseBands` computes. */
const blockRows = coarseRows;
const blockColumns = coarseColumns;

/** Allocates the buffers of {@link traceSteepCoarseToFine} for images of `rows × columns`. */
export function createSteepCoarseScratch(rows: number, columns: number): SteepCoarseScratch {
  const coarseColumns = Math.ceil(columns / blockColumns);
  const coarseRows = Math.ceil(rows / blockRows);
  return {
    fine: createSteepPathScratch(rows, columns),
    coarse: createSteepPathScratch(coarseRows, coarseColumns),
    blocks: new Float32Array(coarseRows * coarseColumns),
    coarseLow: new Int32Array(coarseColumns),
    coarseHigh: new Int32Array(coarseColumns),
    coarsePath: new Int32Array(coarseColumns),
    fineLow: new Int32Array(columns),
    fineHigh: new Int32Array(columns),
  };
}

/**
 * {@link traceSteepPath} over a wide band in two steps: on the means of 2-row × 4-column blocks (the same
 * costs per fine row and column), then exactly within `margin` rows of the coarse path — of its rows in the
 * block and both neighbouring blocks, so that a wall between two blocks is searched over its whole height.
 */
export function traceSteepCoarseToFine(
  cost: Float32Array,
  scale: number,
  scratch: SteepCoarseScratch,
  low: Int32Array,
  high: Int32Array,
  step: SteepStep,
  margin: number,
  out: Int32Array,
): void {
  const { fine, coarse, blocks, coarseLow, coarseHigh, coarsePath, fineLow, fineHigh } = scratch;
  const { rows, columns } = fine;
  // Block means, over the rows the search can reach.
  let top = rows;
  let bottom = 0;
  for (let c = 0; c < columns; c++) {
    top = Math.min(top, low[c]!);
    bottom = Math.max(bottom, high[c]!);
  }
  const firstBlock = Math.max(0, Math.floor(top / blockRows));
  const endBlock = Math.min(coarse.rows, Math.floor(Math.min(rows - 1, bottom) / blockRows) + 1);
  blocks.fill(0, firstBlock * coarse.columns, endBlock * coarse.columns);
  for (let r = firstBlock * blockRows; r < Math.min(rows, endBlock * blockRows); r++) {
    const base = r * columns;
    const target = Math.floor(r / blockRows) * coarse.columns;
    for (let c = 0; c < columns; c++) {
      const at = target + Math.floor(c / blockColumns);
      blocks[at] = blocks[at]! + cost[base + c]!;
    }
  }
  coarseBands(low, high, rows, columns, coarse.rows, coarseLow, coarseHigh);
  // Cost: the sum over a block's columns (a fine path crosses each once), the mean over its rows; a
  // coarse row of movement is `blockRows` fine rows.
  traceSteepPath(
    blocks,
    scale / blockRows,
    coarse,
    coarseLow,
    coarseHigh,
    {
      smallStep: Math.ceil((step.smallStep * blockColumns) / blockRows),
      smallPenalty: step.smallPenalty * blockRows,
      steepPenalty: step.steepPenalty * blockRows,
    },
    coarsePath,
  );
  for (let c = 0; c < columns; c++) {
    const cc = Math.min(coarse.columns - 1, Math.floor(c / blockColumns));
    let lo = coarsePath[cc]!;
    let hi = lo;
    for (const n of [cc - 1, cc + 1]) {
      if (n >= 0 && n < coarse.columns) {
        lo = Math.min(lo, coarsePath[n]!);
        hi = Math.max(hi, coarsePath[n]!);
      }
    }
    fineLow[c] = Math.max(low[c]!, lo * blockRows - margin);
    fineHigh[c] = Math.min(high[c]!, (hi + 1) * blockRows + margin);
  }
  traceSteepPath(cost, scale, fine, fineLow, fineHigh, step, out);
}
