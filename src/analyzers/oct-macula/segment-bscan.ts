/**
 * Retinal layer boundaries of one B-scan by graph search on gradient costs, in the order of Chiu et al.
 * 2010 (most salient boundaries first, then the others inside bands between those already found): the
 * bright RPE band, ILM, inner RPE surface, a Bruch's membrane candidate, ellipsoid zone, INL/OPL, OPL/ONL,
 * IPL/INL, RNFL/GCL, ELM.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010, §2.3–2.5; standards-reference §D.1)
 */
import {
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
  /** Row of the bright RPE band per column (integer). */
  readonly rpeBand: Int32Array;
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
    rpeBand: new Int32Array(columns),
  };
}

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
  band.set(smooth);
  const [bandRows, bandColumns] = parameters.smoothing.band;
  smoothPlane(band, temp, sums, rows, columns, bandRows, bandColumns);
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
  for (let c = 0; c < columns; c++) {
    prefix[c] = 0;
  }
  for (let r = 0; r < rows; r++) {
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      prefix[base + columns + c] = prefix[base + c]! + smooth[base + c]!;
    }
  }
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
  const rpeBandPath = parameters.paths.rpeBand;
  traceCoarseToFine(
    band,
    -1,
    paths,
    workspace.coarse,
    low,
    high,
    rpeBandPath.maxStep,
    rpeBandPath.stepPenalty,
    6,
    path,
  );
  workspace.rpeBand.set(path);
  const rpeBand = workspace.rpeBand;

  // 3. Inner RPE surface: the dark-to-light edge at the top of the RPE band.
  for (let c = 0; c < columns; c++) {
    low[c] = rpeBand[c]! - 8;
    high[c] = rpeBand[c]! + 1;
  }
  const rpePath = parameters.paths.rpe;
  tracePath(gradient, -1, paths, low, high, rpePath.maxStep, rpePath.stepPenalty, path);
  write('RPE', gradient);

  // 4. Bruch's membrane candidate: the outer (light-to-dark) edge of the smoothed RPE band, so that the
  //    interdigitation zone, which real devices resolve above the RPE, is not taken for the RPE's outer edge.
  verticalGradient(band, cost, rows, columns);
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

  // 6. INL/OPL: dark-to-light, above the outer nuclear layer.
  for (let c = 0; c < columns; c++) {
    low[c] = Math.ceil(lineOf('ILM', c)) + 2;
    high[c] = Math.floor(lineOf('EZ', c)) - 12;
  }
  tracePath(gradient, -1, paths, low, high, inner.maxStep, inner.stepPenalty, path);
  write('INL-OPL', gradient);

  // 7. Light-to-dark boundaries: OPL/ONL below INL/OPL, IPL/INL and RNFL/GCL above it.
  for (let c = 0; c < columns; c++) {
    low[c] = Math.ceil(lineOf('INL-OPL', c)) + 1;
    high[c] = Math.floor(lineOf('EZ', c)) - 10;
  }
  tracePath(gradient, 1, paths, low, high, inner.maxStep, inner.stepPenalty, path);
  write('OPL-ONL', gradient);
  // The inner nuclear layer below IPL/INL is darker than the ganglion cell layer below RNFL/GCL.
  for (let r = 0; r < rows; r++) {
    const top = Math.min(rows, r + 2);
    const bottom = Math.min(rows, r + 7);
    const scale = bottom > top ? inner.darkBelowWeight / (bottom - top) : 0;
    const base = r * columns;
    for (let c = 0; c < columns; c++) {
      cost[base + c] =
        gradient[base + c]! + (prefix[bottom * columns + c]! - prefix[top * columns + c]!) * scale;
    }
  }
  for (let c = 0; c < columns; c++) {
    low[c] = Math.ceil(lineOf('ILM', c)) + 1;
    high[c] = Math.floor(lineOf('INL-OPL', c)) - 2;
  }
  tracePath(cost, 1, paths, low, high, inner.maxStep, inner.stepPenalty, path);
  write('IPL-INL', gradient);
  for (let c = 0; c < columns; c++) {
    low[c] = Math.ceil(lineOf('ILM', c)) + 1;
    high[c] = Math.floor(lineOf('IPL-INL', c)) - 3;
  }
  tracePath(gradient, 1, paths, low, high, inner.maxStep, inner.stepPenalty, path);
  write('RNFL-GCL', gradient);

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
