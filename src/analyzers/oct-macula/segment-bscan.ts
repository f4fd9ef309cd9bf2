/**
 * Retinal layer boundaries of one B-scan by graph search on gradient costs, in the order of Chiu et al.
 * 2010 (most salient boundaries first, then the others inside bands between those already found): the
 * bright RPE band, ILM, inner RPE surface, a Bruch's membrane candidate, ellipsoid zone, INL/OPL, OPL/ONL,
 * IPL/INL, RNFL/GCL, ELM.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010, §2.3–2.5; standards-reference §D.1)
 */
import {
  boxBlurColumns,
  createCoarseScratch,
  createPathScratch,
  refineExtremum,
  traceCoarseToFine,
  tracePath,
  type CoarseScratch,
  smoothPlane,
  verticalGradient,
  type PathScratch,
} from '../../imaging/index.ts';
import { parameters } from './parameters.ts';
import {
  createSteepCoarseScratch,
  createSteepPathScratch,
  traceSteepCoarseToFine,
  traceSteepPath,
  type SteepCoarseScratch,
  type SteepPathScratch,
} from './steep-path.ts';

/** The boundaries found, from the vitreous down (names as CID 4273 and the synthetic truth). */
export const layerNames = [
  'ILM',
  'RNFL-GCL',
  'IPL-INL',
  'INL-OPL',
  'OPL-ONL',
  'ELM',
  'EZ',
  'RPE',
  'BM',
] as const;

/** One boundary name. */
export type LayerName = (typeof layerNames)[number];

/** Index of each boundary in {@link layerNames}. */
export const layerIndex: Readonly<Record<LayerName, number>> = Object.fromEntries(
  layerNames.map((name, index) => [name, index]),
) as Record<LayerName, number>;

/** Buffers reused across the B-scans of a volume. */
export interface BScanWorkspace {
  readonly rows: number;
  readonly columns: number;
  readonly smooth: Float32Array;
  readonly band: Float32Array;
  readonly gradient: Float32Array;
  readonly cost: Float32Array;
  readonly temp: Float32Array;
  readonly sums: Float32Array;
  readonly prefix: Float32Array;
  readonly low: Int32Array;
  readonly high: Int32Array;
  readonly path: Int32Array;
  readonly paths: PathScratch;
  readonly coarse: CoarseScratch;
  /** Paths that may climb the walls of a tall detachment (the RPE band and the inner RPE surface). */
  readonly steep: SteepPathScratch;
  readonly steepCoarse: SteepCoarseScratch;
  /** Row of the bright RPE band per column (integer). */
  readonly rpeBand: Int32Array;
  /** The B-scan flattened to the ILM (smoothed), its vertical gradient, and each column's shift (rows). */
  readonly flat: Float32Array;
  readonly flatGradient: Float32Array;
  readonly shift: Int32Array;
}

/** Allocates the buffers for B-scans of `rows × columns`. */
export function createBScanWorkspace(rows: number, columns: number): BScanWorkspace {
  const size = rows * columns;
  return {
    rows,
    columns,
    smooth: new Float32Array(size),
    band: new Float32Array(size),
    gradient: new Float32Array(size),
    cost: new Float32Array(size),
    temp: new Float32Array(size),
    sums: new Float32Array(columns),
    prefix: new Float32Array((rows + 1) * columns),
    low: new Int32Array(columns),
    high: new Int32Array(columns),
    path: new Int32Array(columns),
    paths: createPathScratch(rows, columns),
    coarse: createCoarseScratch(rows, columns),
    steep: createSteepPathScratch(rows, columns),
    steepCoarse: createSteepCoarseScratch(rows, columns),
    rpeBand: new Int32Array(columns),
    flat: new Float32Array(size),
    flatGradient: new Float32Array(size),
    shift: new Int32Array(columns),
  };
}

/**
 * Copies the B-scan flattened to the ILM into `workspace.flat` — row `r` of column `c` is image row
 * `r + shift[c]`, the ILM lies on row `flatTop` — smooths it as the image is smoothed and takes its vertical
 * gradient (`flatGradient`). Chiu 2010 flattens before filtering: smoothing across A-scans then runs along
 * the layers, so a thin inner layer on a steep slope (the wall of the foveal pit, the retina over a tall
 * dome) keeps its edges. Returns the flattened height (rows).
 */
function flattenToIlm(
  pixels: Uint8Array,
  workspace: BScanWorkspace,
  ilm: Float32Array,
  depth: number,
): number {
  const { rows, columns, flat, flatGradient, temp, sums, shift } = workspace;
  const height = Math.min(rows, flatTop + depth);
  for (let c = 0; c < columns; c++) {
    shift[c] = Math.round(ilm[c]!) - flatTop;
  }
  for (let r = 0; r < height; r++) {
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      const source = Math.max(0, Math.min(rows - 1, r + shift[c]!));
      flat[base + c] = pixels[source * columns + c]!;
    }
  }
  const [edgeRows, edgeColumns] = parameters.smoothing.edge;
  smoothPlane(flat, temp, sums, height, columns, edgeRows, edgeColumns);
  verticalGradient(flat, flatGradient, height, columns);
  return height;
}

/**
 * Where the inner surface is steep (a dome's or cyst bulge's wall), smoothing across A-scans blurs its edge
 * over many rows and the path cuts the corner into the vitreous; there the ILM is placed again on the
 * A-scan's own profile (smoothed along it only): the strongest dark-to-light step within a few rows.
 */
function refineSteepIlm(pixels: Uint8Array, workspace: BScanWorkspace, ilm: Float32Array): void {
  const { rows, columns } = workspace;
  const { steepSlopeRows, searchRows } = parameters.ilmOnSteepWalls;
  const found = workspace.temp;
  for (let c = 0; c < columns; c++) {
    found[c] = ilm[c]!;
    const left = ilm[Math.max(0, c - 1)]!;
    const right = ilm[Math.min(columns - 1, c + 1)]!;
    if (Math.abs(right - left) < 2 * steepSlopeRows) {
      continue;
    }
    const centre = Math.floor(ilm[c]!);
    const from = Math.max(3, centre - searchRows);
    const to = Math.min(rows - 4, centre + searchRows);
    // Edge strength at row r: rows r + 1 … r + 3 minus rows r − 3 … r − 1 (centred on r, as the gradient).
    const step = (r: number): number =>
      pixels[(r + 1) * columns + c]! +
      pixels[(r + 2) * columns + c]! +
      pixels[(r + 3) * columns + c]! -
      pixels[(r - 1) * columns + c]! -
      pixels[(r - 2) * columns + c]! -
      pixels[(r - 3) * columns + c]!;
    let best = -Infinity;
    let bestRow = centre;
    for (let r = from; r <= to; r++) {
      const value = step(r);
      if (value > best) {
        best = value;
        bestRow = r;
      }
    }
    const a = step(bestRow - 1);
    const d = step(bestRow + 1);
    const denominator = a - 2 * best + d;
    const shift = denominator === 0 ? 0 : Math.max(-0.5, Math.min(0.5, (0.5 * (a - d)) / denominator));
    found[c] = bestRow + shift + 0.5 + parameters.offsets.ILM;
  }
  ilm.set(found.subarray(0, columns));
}

/** Running sums down each column: `prefix[r · columns + c]` = the sum of rows 0 … r − 1 of column `c`. */
function sumColumns(values: Float32Array, prefix: Float32Array, rows: number, columns: number): void {
  prefix.fill(0, 0, columns);
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      prefix[base + columns + c] = prefix[base + c]! + values[base + c]!;
    }
  }
}

/** Rows of vitreous kept above the ILM in the flattened B-scan. */
const flatTop = 8;

/** Optional search bands from the neighbouring B-scans (3-D consistency), rows per column. */
export interface BScanPrior {
  readonly ilm?: Float32Array;
  readonly rpeBand?: Float32Array;
  /** Half-width of the band around a prior (rows). */
  readonly halfWidth: number;
}

/**
 * Segments one B-scan (`pixels`: 8-bit display values, row-major) into `out` (`layerNames.length` lines of
 * `columns` rows each, row 0 = top edge of the first row, as the synthetic truth). The Bruch's membrane
 * line is a candidate (the outer edge of the RPE band); {@link segmentVolume} replaces it under a PED.
 */
export function segmentBScan(
  pixels: Uint8Array,
  workspace: BScanWorkspace,
  out: Float32Array,
  umPerRow: number,
  prior?: BScanPrior,
): void {
  const { rows, columns, smooth, band, gradient, cost, temp, sums, prefix, low, high, path, paths } =
    workspace;
  const size = rows * columns;
  for (let i = 0; i < size; i++) {
    smooth[i] = pixels[i]!;
  }
  const [edgeRows, edgeColumns] = parameters.smoothing.edge;
  smoothPlane(smooth, temp, sums, rows, columns, edgeRows, edgeColumns);
  verticalGradient(smooth, gradient, rows, columns);

  const offsets = parameters.offsets;
  const minimumRetinaRows = Math.round(parameters.minimumRetinaUm / umPerRow);
  const write = (name: LayerName, values: Float32Array): void => {
    const line = layerIndex[name] * columns;
    for (let c = 0; c < columns; c++) {
      out[line + c] = refineExtremum(values, path[c]!, c, rows, columns) + 0.5 + offsets[name];
    }
  };
  const lineOf = (name: LayerName, c: number): number => out[layerIndex[name] * columns + c]!;

  // 1. ILM: dark-to-light edge with a dark vitreous above it.
  sumColumns(smooth, prefix, rows, columns);
  const ilmPath = parameters.paths.ilm;
  for (let r = 0; r < rows; r++) {
    const top = Math.max(0, r - 14);
    const bottom = Math.max(top + 1, r - 3);
    const scale = ilmPath.darkAboveWeight / (bottom - top);
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      const above = (prefix[bottom * columns + c]! - prefix[top * columns + c]!) * scale;
      cost[base + c] = -gradient[base + c]! + above;
    }
  }
  for (let c = 0; c < columns; c++) {
    if (prior?.ilm === undefined) {
      low[c] = 1;
    } else {
      low[c] = Math.round(prior.ilm[c]! - prior.halfWidth);
    }
    high[c] =
      prior?.ilm === undefined ? rows - minimumRetinaRows : Math.round(prior.ilm[c]! + prior.halfWidth);
  }
  if (prior?.ilm === undefined) {
    traceCoarseToFine(
      cost,
      1,
      paths,
      workspace.coarse,
      low,
      high,
      ilmPath.maxStep,
      ilmPath.stepPenalty,
      6,
      path,
    );
  } else {
    tracePath(cost, 1, paths, low, high, ilmPath.maxStep, ilmPath.stepPenalty, path);
  }
  write('ILM', gradient);
  refineSteepIlm(pixels, workspace, out.subarray(0, columns));

  // 2. The bright RPE band: the brightest smooth path well below the ILM (the RNFL can be as bright).
  for (let c = 0; c < columns; c++) {
    if (prior?.rpeBand === undefined) {
      low[c] = Math.round(lineOf('ILM', c)) + minimumRetinaRows;
      high[c] = rows - 3;
    } else {
      low[c] = Math.max(
        Math.round(lineOf('ILM', c)) + minimumRetinaRows,
        Math.round(prior.rpeBand[c]! - prior.halfWidth),
      );
      high[c] = Math.round(prior.rpeBand[c]! + prior.halfWidth);
    }
  }
  // Steep steps allowed: the RPE over a tall detachment rises tens of rows between two A-scans. Its
  // brightness is smoothed along the A-scan only, as smoothing across A-scans dims a steep RPE.
  // (Only the rows below the search's top, with a margin for the coarse blocks, are needed.)
  let pathTop = rows;
  for (let c = 0; c < columns; c++) {
    pathTop = Math.min(pathTop, low[c]!);
  }
  pathTop = Math.max(0, Math.min(rows - 1, pathTop - 8));
  const pathStart = pathTop * columns;
  const pathRows = parameters.smoothing.bandPathRows;
  boxBlurColumns(
    smooth.subarray(pathStart),
    temp.subarray(pathStart),
    rows - pathTop,
    columns,
    pathRows,
    sums,
  );
  boxBlurColumns(temp.subarray(pathStart), cost.subarray(pathStart), rows - pathTop, columns, pathRows, sums);
  traceSteepCoarseToFine(cost, -1, workspace.steepCoarse, low, high, parameters.paths.rpeBand, 6, path);
  workspace.rpeBand.set(path);
  const rpeBand = workspace.rpeBand;

  // 3. Inner RPE surface: the dark-to-light edge at the top of the RPE band.
  for (let c = 0; c < columns; c++) {
    low[c] = rpeBand[c]! - 8;
    high[c] = rpeBand[c]! + 1;
  }
  traceSteepPath(gradient, -1, workspace.steep, low, high, parameters.paths.rpe, path);
  write('RPE', gradient);

  // 4. Bruch's membrane candidate: the outer (light-to-dark) edge of the smoothed RPE band, so that the
  //    interdigitation zone, which real devices resolve above the RPE, is not taken for the RPE's outer edge.
  let bandTop = rows;
  for (let c = 0; c < columns; c++) {
    bandTop = Math.min(bandTop, rpeBand[c]!);
  }
  bandTop = Math.max(0, Math.min(rows - 1, bandTop - 12));
  const bandStart = bandTop * columns;
  band.set(smooth.subarray(bandStart), bandStart);
  const [bandRows, bandColumns] = parameters.smoothing.band;
  smoothPlane(band.subarray(bandStart), temp, sums, rows - bandTop, columns, bandRows, bandColumns);
  verticalGradient(band.subarray(bandStart), cost.subarray(bandStart), rows - bandTop, columns);
  for (let c = 0; c < columns; c++) {
    low[c] = Math.max(rpeBand[c]!, Math.floor(lineOf('RPE', c)) + 2);
    high[c] = rpeBand[c]! + 16;
  }
  const bmPath = parameters.paths.bm;
  tracePath(cost, 1, paths, low, high, bmPath.maxStep, bmPath.stepPenalty, path);
  write('BM', cost);

  // 5. Ellipsoid zone: the strongest dark-to-light edge between the ILM and the RPE.
  const inner = parameters.paths.inner;
  for (let c = 0; c < columns; c++) {
    low[c] = Math.ceil(lineOf('ILM', c)) + 6;
    high[c] = Math.floor(lineOf('RPE', c)) - 5;
  }
  tracePath(gradient, -1, paths, low, high, inner.maxStep, inner.stepPenalty, path);
  write('EZ', gradient);

  // 6. The layers between the ILM and the EZ in the B-scan flattened to the ILM, which they run along.
  let depth = 0;
  for (let c = 0; c < columns; c++) {
    depth = Math.max(depth, lineOf('EZ', c) - lineOf('ILM', c));
  }
  const ilmLine = out.subarray(layerIndex.ILM * columns, (layerIndex.ILM + 1) * columns);
  const flatRows = flattenToIlm(pixels, workspace, ilmLine, Math.ceil(depth) + 2);
  const { flat, flatGradient, shift } = workspace;
  // One boundary: the best path through `sign · values` (flattened) between `from` and `to` (image rows).
  const traceFlat = (
    name: LayerName,
    values: Float32Array,
    sign: number,
    from: (c: number) => number,
    to: (c: number) => number,
  ): void => {
    for (let c = 0; c < columns; c++) {
      low[c] = from(c) - shift[c]!;
      high[c] = Math.min(flatRows - 1, to(c) - shift[c]!);
    }
    tracePath(values, sign, paths, low, high, inner.maxStep, inner.stepPenalty, path);
    const line = layerIndex[name] * columns;
    for (let c = 0; c < columns; c++) {
      out[line + c] =
        refineExtremum(flatGradient, path[c]!, c, flatRows, columns) + shift[c]! + 0.5 + offsets[name];
    }
  };
  // INL/OPL: dark-to-light, above the outer nuclear layer.
  const ilmBelow = (rows: number) => (c: number) => Math.ceil(lineOf('ILM', c)) + rows;
  traceFlat('INL-OPL', flatGradient, -1, ilmBelow(2), (c) => Math.floor(lineOf('EZ', c)) - 12);

  // 7. Light-to-dark boundaries: OPL/ONL below INL/OPL, IPL/INL and RNFL/GCL above it.
  traceFlat(
    'OPL-ONL',
    flatGradient,
    1,
    (c) => Math.ceil(lineOf('INL-OPL', c)) + 1,
    (c) => Math.floor(lineOf('EZ', c)) - 10,
  );
  // The inner nuclear layer below IPL/INL is darker than the ganglion cell layer below RNFL/GCL.
  sumColumns(flat, prefix, flatRows, columns);
  for (let r = 0; r < flatRows; r++) {
    const top = Math.min(flatRows, r + 2);
    const bottom = Math.min(flatRows, r + 7);
    const scale = bottom > top ? inner.darkBelowWeight / (bottom - top) : 0;
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      cost[base + c] =
        flatGradient[base + c]! + (prefix[bottom * columns + c]! - prefix[top * columns + c]!) * scale;
    }
  }
  traceFlat('IPL-INL', cost, 1, ilmBelow(1), (c) => Math.floor(lineOf('INL-OPL', c)) - 2);
  traceFlat('RNFL-GCL', flatGradient, 1, ilmBelow(1), (c) => Math.floor(lineOf('IPL-INL', c)) - 3);

  // 8. ELM: the thin bright line between the outer nuclear layer and the ellipsoid zone.
  for (let c = 0; c < columns; c++) {
    low[c] = Math.max(Math.ceil(lineOf('OPL-ONL', c)) + 2, Math.floor(lineOf('EZ', c)) - 14);
    high[c] = Math.floor(lineOf('EZ', c)) - 3;
  }
  tracePath(smooth, -1, paths, low, high, inner.maxStep, inner.stepPenalty, path);
  const elm = layerIndex.ELM * columns;
  for (let c = 0; c < columns; c++) {
    // A ridge's centre row r is the line itself, at r + 0.5 in top-edge coordinates.
    out[elm + c] = refineExtremum(smooth, path[c]!, c, rows, columns) + 0.5 + offsets.ELM;
  }
  // Keep the order of the boundaries (a collapsed layer has zero thickness, never negative).
  for (let c = 0; c < columns; c++) {
    for (let b = 1; b < layerNames.length; b++) {
      const at = b * columns + c;
      const above = (b - 1) * columns + c;
      if (out[at]! < out[above]!) {
        out[at] = out[above]!;
      }
    }
  }
}
