/**
 * Peripapillary RNFL thickness from one OCT circle scan: the inner limiting membrane and the RNFL/GCL
 * boundary found by minimum-cost paths on vertical-gradient costs (the graph search of Chiu et al. 2010,
 * restricted to the two boundaries that bound the nerve fibre layer), then the thickness per A-scan and its
 * means over the whole circle, the TSNIT quadrants, the six Spectralis-style sectors and the clock hours.
 * Columns are taken in TSNIT order (temporal → superior → nasal → inferior → temporal), the order in
 * which peripapillary scans are displayed and exported.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010, §2.3–2.5; standards-reference §D.4)
 */
import {
  createPathScratch,
  refineExtremum,
  smoothPlane,
  tracePath,
  verticalGradient,
} from '../../imaging/index.ts';
import type { Eye } from '../sdk/index.ts';

/** Every tunable number of the RNFL segmentation (part of the analyzer's model hash). */
export const rnflParameters = {
  /** Box radii (rows, columns) of the two-pass smoothing before the gradient. */
  smoothing: [1, 2],
  ilm: { maxStep: 4, stepPenalty: 1.5, darkAboveWeight: 1.2, darkAboveRows: [3, 14] },
  /** The RNFL/GCL boundary lies between 1 row and this many µm below the ILM… */
  maxRnflUm: 320,
  /** …and at least this many µm above the bright RPE band (the outer retina lies between them). */
  outerRetinaUm: 100,
  /** The RPE band: the brightest smooth path (extra smoothing rows, columns) this far below the ILM (µm). */
  rpeBand: { smoothing: [2, 6], minDepthUm: 180, maxStep: 3, stepPenalty: 2 },
  /**
   * The RNFL/GCL edge: the mean of `window` rows below minus `aboveWeight` × the mean of `window` rows above,
   * on the smoothed B-scan. A wide step filter, which a thin bright line under the ILM does not mimic;
   * weighting the side above more picks the end of the brightest inner layer (the nerve fibres) rather
   * than the equally steep IPL/INL and OPL/ONL edges below it.
   */
  rnfl: { maxStep: 2, stepPenalty: 2, window: 5, aboveWeight: 2 },
  /** Rows added to the detected edges (an edge filter puts the boundary a fraction of a row off). */
  offsets: { ILM: 0.32, 'RNFL-GCL': 0.3 },
  /** The retina must show this contrast (mean display value of the RNFL over the vitreous) to be measured. */
  minContrast: 12,
} as const;

/** Mean RNFL thickness (µm) over the circle and its regions. */
export interface RnflThickness {
  readonly globalUm: number;
  /** 90° quadrants centred on temporal, superior, nasal and inferior. */
  readonly quadrants: { readonly T: number; readonly S: number; readonly N: number; readonly I: number };
  /** Spectralis-style sectors: T 90°, TS 45°, NS 45°, N 90°, NI 45°, TI 45°. */
  readonly sectors: {
    readonly T: number;
    readonly TS: number;
    readonly NS: number;
    readonly N: number;
    readonly NI: number;
    readonly TI: number;
  };
  /** Clock hours 1–12 as seen on an upright fundus image (index 0 = 1 o'clock). */
  readonly clockHours: readonly number[];
}

/** The segmentation of one circle scan. */
export interface RnflCircleScan extends RnflThickness {
  /** Boundary rows per A-scan (row 0 = top edge of the first row). */
  readonly ilm: Float32Array;
  readonly rnflGcl: Float32Array;
  /** Thickness per A-scan (µm). */
  readonly perAScanUm: Float32Array;
  /** Mean display value of the RNFL minus that of the vitreous above the ILM. */
  readonly contrast: number;
}

type Sector = keyof RnflThickness['sectors'];
type Quadrant = keyof RnflThickness['quadrants'];

/** TSNIT angle (degrees) of A-scan `column` of `columns`: 0 temporal, 90 superior, 180 nasal, 270 inferior. */
export function tsnitAngle(column: number, columns: number): number {
  return (360 * (column + 0.5)) / columns;
}

function sectorOf(angle: number): Sector {
  if (angle >= 315 || angle < 45) {
    return 'T';
  }
  if (angle < 90) {
    return 'TS';
  }
  if (angle < 135) {
    return 'NS';
  }
  if (angle < 225) {
    return 'N';
  }
  return angle < 270 ? 'NI' : 'TI';
}

function quadrantOf(angle: number): Quadrant {
  if (angle >= 315 || angle < 45) {
    return 'T';
  }
  if (angle < 135) {
    return 'S';
  }
  return angle < 225 ? 'N' : 'I';
}

/** Clock hour (1–12, 12 superior) of a TSNIT angle: temporal is 9 o'clock for a right eye, 3 for a left. */
export function clockHourOf(angle: number, eye: Eye): number {
  const clock = eye === 'R' ? 270 + angle : 90 - angle;
  const hour = Math.round((((clock % 360) + 360) % 360) / 30) % 12;
  return hour === 0 ? 12 : hour;
}

/** Means of a per-A-scan thickness profile over the circle's regions. */
export function rnflRegions(perAScanUm: ArrayLike<number>, eye: Eye): RnflThickness {
  const columns = perAScanUm.length;
  const sums = new Map<string, [number, number]>();
  const add = (key: string, value: number): void => {
    const entry = sums.get(key) ?? [0, 0];
    entry[0] += value;
    entry[1] += 1;
    sums.set(key, entry);
  };
  for (let c = 0; c < columns; c++) {
    const angle = tsnitAngle(c, columns);
    const value = perAScanUm[c]!;
    add('global', value);
    add(`q${quadrantOf(angle)}`, value);
    add(`s${sectorOf(angle)}`, value);
    add(`h${clockHourOf(angle, eye)}`, value);
  }
  const mean = (key: string): number => {
    const entry = sums.get(key);
    return entry === undefined || entry[1] === 0 ? Number.NaN : entry[0] / entry[1];
  };
  return {
    globalUm: mean('global'),
    quadrants: { T: mean('qT'), S: mean('qS'), N: mean('qN'), I: mean('qI') },
    sectors: {
      T: mean('sT'),
      TS: mean('sTS'),
      NS: mean('sNS'),
      N: mean('sN'),
      NI: mean('sNI'),
      TI: mean('sTI'),
    },
    clockHours: Array.from({ length: 12 }, (_, k) => mean(`h${k + 1}`)),
  };
}

/** Mean of `plane` over rows `[from, to)` in column `c`, from the column prefix sums. */
function bandMean(prefix: Float32Array, columns: number, c: number, from: number, to: number): number {
  return to > from ? (prefix[to * columns + c]! - prefix[from * columns + c]!) / (to - from) : 0;
}

/**
 * Segments a circle scan (`pixels`: 8-bit display values, row-major, `rows × columns`) of eye `eye` with
 * `umPerRow` µm between rows: ILM first (a dark-to-light edge under a dark vitreous), then the RNFL/GCL
 * boundary (a light-to-dark edge with the darker ganglion cell layer below it) within
 * {@link rnflParameters}.maxRnflUm of the ILM.
 */
export function segmentCircleScan(
  pixels: Uint8Array,
  rows: number,
  columns: number,
  umPerRow: number,
  eye: Eye,
): RnflCircleScan {
  const size = rows * columns;
  if (pixels.length < size) {
    throw new RangeError(`circle scan has ${pixels.length} pixels, expected ${size}`);
  }
  const smooth = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    smooth[i] = pixels[i]!;
  }
  const temp = new Float32Array(size);
  const [smoothRows, smoothColumns] = rnflParameters.smoothing;
  smoothPlane(smooth, temp, new Float32Array(columns), rows, columns, smoothRows, smoothColumns);
  const gradient = new Float32Array(size);
  verticalGradient(smooth, gradient, rows, columns);
  const prefix = new Float32Array((rows + 1) * columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      prefix[(r + 1) * columns + c] = prefix[r * columns + c]! + smooth[r * columns + c]!;
    }
  }
  const scratch = createPathScratch(rows, columns);
  const low = new Int32Array(columns);
  const high = new Int32Array(columns);
  const path = new Int32Array(columns);
  const cost = temp;

  const { ilm: ilmPath, rnfl: rnflPath } = rnflParameters;
  const [aboveNear, aboveFar] = ilmPath.darkAboveRows;
  for (let r = 0; r < rows; r++) {
    const top = Math.max(0, r - aboveFar);
    const bottom = Math.max(top + 1, r - aboveNear);
    for (let c = 0; c < columns; c++) {
      cost[r * columns + c] =
        -gradient[r * columns + c]! + ilmPath.darkAboveWeight * bandMean(prefix, columns, c, top, bottom);
    }
  }
  low.fill(1);
  high.fill(rows - 8);
  tracePath(cost, 1, scratch, low, high, ilmPath.maxStep, ilmPath.stepPenalty, path);
  const ilm = new Float32Array(columns);
  for (let c = 0; c < columns; c++) {
    ilm[c] = refineExtremum(gradient, path[c]!, c, rows, columns) + 0.5 + rnflParameters.offsets.ILM;
  }

  const band = smooth.slice();
  const bandParameters = rnflParameters.rpeBand;
  const [bandRows, bandColumns] = bandParameters.smoothing;
  smoothPlane(band, temp, new Float32Array(columns), rows, columns, bandRows, bandColumns);
  const minDepth = Math.round(bandParameters.minDepthUm / umPerRow);
  for (let c = 0; c < columns; c++) {
    low[c] = Math.round(ilm[c]!) + minDepth;
    high[c] = rows - 3;
  }
  tracePath(band, -1, scratch, low, high, bandParameters.maxStep, bandParameters.stepPenalty, path);
  const maxRows = Math.round(rnflParameters.maxRnflUm / umPerRow);
  const outerRows = Math.round(rnflParameters.outerRetinaUm / umPerRow);
  for (let c = 0; c < columns; c++) {
    low[c] = Math.ceil(ilm[c]!) + 1;
    high[c] = Math.min(Math.floor(ilm[c]!) + maxRows, path[c]! - outerRows);
  }
  const window = rnflPath.window;
  for (let r = 0; r < rows; r++) {
    const above = Math.max(0, r - window);
    const below = Math.min(rows, r + 1 + window);
    for (let c = 0; c < columns; c++) {
      cost[r * columns + c] =
        bandMean(prefix, columns, c, r + 1, below) -
        rnflPath.aboveWeight * bandMean(prefix, columns, c, above, r);
    }
  }
  tracePath(cost, 1, scratch, low, high, rnflPath.maxStep, rnflPath.stepPenalty, path);
  const rnflGcl = new Float32Array(columns);
  const perAScanUm = new Float32Array(columns);
  let inside = 0;
  let vitreous = 0;
  for (let c = 0; c < columns; c++) {
    const edge =
      refineExtremum(gradient, path[c]!, c, rows, columns) + 0.5 + rnflParameters.offsets['RNFL-GCL'];
    rnflGcl[c] = Math.max(ilm[c]!, edge);
    perAScanUm[c] = (rnflGcl[c]! - ilm[c]!) * umPerRow;
    const ilmRow = Math.round(ilm[c]!);
    inside += bandMean(prefix, columns, c, ilmRow, Math.max(ilmRow + 1, Math.round(rnflGcl[c]!)));
    vitreous += bandMean(prefix, columns, c, Math.max(0, ilmRow - 30), Math.max(1, ilmRow - 5));
  }
  return {
    ...rnflRegions(perAScanUm, eye),
    ilm,
    rnflGcl,
    perAScanUm,
    contrast: (inside - vitreous) / columns,
  };
}
