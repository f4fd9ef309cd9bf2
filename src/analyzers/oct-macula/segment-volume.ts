/**
 * Layer segmentation of a whole OCT volume: every B-scan by graph search ({@link segmentBScan}), then 3-D
 * consistency (a B-scan whose ILM or RPE departs from its neighbours' is searched again in a band around
 * theirs), then Bruch's membrane: a robust fit of the outer RPE edge that ignores elevations, so that under
 * a pigment-epithelial detachment BM is found below the fluid, not under the lifted RPE (Chiu 2012's
 * RPE-versus-BM separation; Garvin 2009's surface smoothness across B-scans).
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010)
 * @see https://doi.org/10.1109/TMI.2009.2016958 (Garvin et al. 2009, IEEE TMI 28(9):1436; standards-reference §D.2)
 */
import { parameters } from './parameters.ts';
import {
  createBScanWorkspace,
  layerIndex,
  layerNames,
  segmentBScan,
  type BScanWorkspace,
} from './segment-bscan.ts';

/** An OCT volume of 8-bit display values with its sampling. */
export interface OctVolume {
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  /** frame × rows × columns, row-major within a frame. */
  readonly voxels: Uint8Array;
  /** Between rows (axial), between columns (lateral) and between B-scans (mm). */
  readonly axialSpacingMm: number;
  readonly lateralSpacingMm: number;
  readonly frameSpacingMm: number;
}

/** The boundaries of a volume: `[frame][layer][column]` rows (row 0 = top edge of the first row). */
export interface VolumeSegmentation {
  readonly frames: number;
  readonly columns: number;
  readonly boundaries: Float32Array;
  /** B-scans searched again for 3-D consistency. */
  readonly researchedFrames: readonly number[];
  /** Per A-scan: 1 where the RPE is lifted off Bruch's membrane (PED candidate). */
  readonly elevated: Uint8Array;
}

/** Boundary `layer` of frame `frame` as a view. */
export function boundaryLine(segmentation: VolumeSegmentation, frame: number, layer: number): Float32Array {
  const { columns } = segmentation;
  const start = (frame * layerNames.length + layer) * columns;
  return segmentation.boundaries.subarray(start, start + columns);
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : 0.5 * (values[mid - 1]! + values[mid]!);
}

/** Least-squares polynomial of `degree` through (x, y) with weights; returns the coefficients. */
function fitPolynomial(x: Float64Array, y: Float64Array, w: Float64Array, degree: number): Float64Array {
  const n = degree + 1;
  const a = new Float64Array(n * (n + 1));
  const powers = new Float64Array(2 * degree + 1);
  for (let i = 0; i < x.length; i++) {
    if (w[i] === 0) {
      continue;
    }
    let p = w[i]!;
    for (let k = 0; k <= 2 * degree; k++) {
      powers[k] = p;
      p *= x[i]!;
    }
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        a[r * (n + 1) + c] = a[r * (n + 1) + c]! + powers[r + c]!;
      }
      a[r * (n + 1) + n] = a[r * (n + 1) + n]! + powers[r]! * y[i]!;
    }
  }
  // Gaussian elimination with partial pivoting on the augmented normal equations.
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(a[r * (n + 1) + col]!) > Math.abs(a[pivot * (n + 1) + col]!)) {
        pivot = r;
      }
    }
    for (let c = 0; c <= n; c++) {
      const t = a[col * (n + 1) + c]!;
      a[col * (n + 1) + c] = a[pivot * (n + 1) + c]!;
      a[pivot * (n + 1) + c] = t;
    }
    const d = a[col * (n + 1) + col]!;
    if (Math.abs(d) < 1e-12) {
      continue;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) {
        continue;
      }
      const factor = a[r * (n + 1) + col]! / d;
      for (let c = col; c <= n; c++) {
        a[r * (n + 1) + c] = a[r * (n + 1) + c]! - factor * a[col * (n + 1) + c]!;
      }
    }
  }
  const coefficients = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const d = a[r * (n + 1) + r]!;
    coefficients[r] = Math.abs(d) < 1e-12 ? 0 : a[r * (n + 1) + n]! / d;
  }
  return coefficients;
}

function evaluate(coefficients: Float64Array, x: number): number {
  let value = 0;
  for (let k = coefficients.length - 1; k >= 0; k--) {
    value = value * x + coefficients[k]!;
  }
  return value;
}

/** Whether the rows between `top` and `bottom` of column `c` are dark (fluid) compared with the RPE at `rpe`. */
function isDarkGap(workspace: BScanWorkspace, c: number, rpe: number, top: number, bottom: number): boolean {
  const { smooth, columns, rows } = workspace;
  const from = Math.max(0, Math.ceil(top));
  const to = Math.min(rows - 1, Math.floor(bottom));
  if (to < from) {
    return false;
  }
  let sum = 0;
  for (let r = from; r <= to; r++) {
    sum += smooth[r * columns + c]!;
  }
  // The RPE's own brightness: the brightest row just below its inner surface.
  let bright = 0;
  const rpeRow = Math.max(0, Math.floor(rpe));
  for (let r = rpeRow; r < Math.min(rows, rpeRow + 6); r++) {
    bright = Math.max(bright, smooth[r * columns + c]!);
  }
  return sum / (to - from + 1) < parameters.bm.darkGapRatio * bright;
}

/**
 * Bruch's membrane of one B-scan: the outer RPE edge where the RPE lies on it, and below a lifted RPE the
 * dark-to-light edge (fluid → Bruch's membrane) near a robust polynomial fit of the unlifted parts.
 */
function placeBruchsMembrane(
  workspace: BScanWorkspace,
  lines: Float32Array,
  elevated: Uint8Array,
  umPerRow: number,
): void {
  const { columns, rows } = workspace;
  const bmOffset = layerIndex.BM * columns;
  const rpeOffset = layerIndex.RPE * columns;
  const x = new Float64Array(columns);
  const y = new Float64Array(columns);
  const w = new Float64Array(columns).fill(1);
  for (let c = 0; c < columns; c++) {
    x[c] = (2 * c) / Math.max(1, columns - 1) - 1;
    y[c] = lines[bmOffset + c]!;
  }
  const settings = parameters.bm;
  let coefficients = fitPolynomial(x, y, w, settings.degree);
  for (let round = 0; round < settings.fitRounds; round++) {
    for (let c = 0; c < columns; c++) {
      // Only points above the fit (an elevation) are left out: BM never bulges inwards.
      w[c] = evaluate(coefficients, x[c]!) - y[c]! > settings.outlierRows ? 0 : 1;
    }
    coefficients = fitPolynomial(x, y, w, settings.degree);
  }
  const rpeToBm = parameters.fluid.rpeThicknessUm / umPerRow;
  const gradient = workspace.gradient;
  // The workspace still holds this B-scan's gradient (segmentBScan ran on it last).
  for (let c = 0; c < columns; c++) {
    const fit = evaluate(coefficients, x[c]!);
    const rpe = lines[rpeOffset + c]!;
    if (
      fit - rpe - rpeToBm > settings.elevationRows &&
      fit - y[c]! > settings.outlierRows &&
      isDarkGap(workspace, c, rpe, rpe + rpeToBm + 1, fit - 2)
    ) {
      elevated[c] = 1;
      // Dark (fluid) above, brighter (Bruch's membrane) below: the strongest rise near the fit.
      let best = -Infinity;
      let bestRow = Math.round(fit);
      const from = Math.max(1, Math.round(fit) - 5);
      const to = Math.min(rows - 2, Math.round(fit) + 4);
      for (let r = from; r <= to; r++) {
        const g = gradient[r * columns + c]!;
        if (g > best) {
          best = g;
          bestRow = r;
        }
      }
      const a = gradient[(bestRow - 1) * columns + c]!;
      const d = gradient[(bestRow + 1) * columns + c]!;
      const denominator = a - 2 * best + d;
      const shift = denominator === 0 ? 0 : Math.max(-0.5, Math.min(0.5, (0.5 * (a - d)) / denominator));
      lines[bmOffset + c] = bestRow + shift + 0.5 + parameters.offsets.bmUnderFluid;
    } else {
      elevated[c] = 0;
    }
  }
  // Keep BM below the RPE.
  for (let c = 0; c < columns; c++) {
    if (lines[bmOffset + c]! < lines[rpeOffset + c]!) {
      lines[bmOffset + c] = lines[rpeOffset + c]!;
    }
  }
}

/**
 * Smooths the inner retina (ILM → IPL/INL) across neighbouring B-scans (weights 1, 2, 1): a surface
 * smoothness between B-scans as in Garvin 2009. Its thickness is what the fovea is found from, and at the
 * bottom of the pit it is a row or two, so a row of noise in one B-scan moves the pit.
 */
function smoothInnerAcrossFrames(boundaries: Float32Array, frames: number, columns: number): void {
  const layers = layerNames.length;
  const at = (f: number, layer: number, c: number): number => (f * layers + layer) * columns + c;
  const thickness = new Float32Array(frames * columns);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < columns; c++) {
      thickness[f * columns + c] =
        boundaries[at(f, layerIndex['IPL-INL'], c)]! - boundaries[at(f, layerIndex.ILM, c)]!;
    }
  }
  for (let f = 1; f < frames - 1; f++) {
    for (let c = 0; c < columns; c++) {
      const smooth =
        0.25 * thickness[(f - 1) * columns + c]! +
        0.5 * thickness[f * columns + c]! +
        0.25 * thickness[(f + 1) * columns + c]!;
      boundaries[at(f, layerIndex['IPL-INL'], c)] = boundaries[at(f, layerIndex.ILM, c)]! + smooth;
    }
  }
}

/**
 * Segments every B-scan of a volume with 3-D consistency, and places Bruch's membrane under elevations.
 * `signal` (optional) is checked between B-scans.
 */
export function segmentVolume(volume: OctVolume, signal?: AbortSignal): VolumeSegmentation {
  const { frames, rows, columns, voxels } = volume;
  const umPerRow = volume.axialSpacingMm * 1000;
  const layers = layerNames.length;
  const boundaries = new Float32Array(frames * layers * columns);
  const bands = new Float32Array(frames * columns);
  const elevated = new Uint8Array(frames * columns);
  const workspace = createBScanWorkspace(rows, columns);
  const frameSize = rows * columns;
  const frameOf = (f: number): Uint8Array => voxels.subarray(f * frameSize, (f + 1) * frameSize);
  const linesOf = (f: number): Float32Array =>
    boundaries.subarray(f * layers * columns, (f + 1) * layers * columns);
  for (let f = 0; f < frames; f++) {
    signal?.throwIfAborted();
    segmentBScan(frameOf(f), workspace, linesOf(f), umPerRow);
    for (let c = 0; c < columns; c++) {
      bands[f * columns + c] = workspace.rpeBand[c]!;
    }
    placeBruchsMembrane(workspace, linesOf(f), elevated.subarray(f * columns, (f + 1) * columns), umPerRow);
  }

  // 3-D consistency: compare each B-scan's ILM and RPE band with the median of its neighbours (±2).
  const researched: number[] = [];
  // Between sparse B-scans the retina itself changes by more than the limit (the foveal pit spans one or two
  // of them), so the neighbours are no guide there.
  if (frames >= 3 && volume.frameSpacingMm <= parameters.paths.consistencyMaxSpacingMm) {
    const limit = parameters.paths.consistencyRows;
    const referenceIlm = new Float32Array(columns);
    const referenceBand = new Float32Array(columns);
    const ilmOf = (f: number, c: number): number => boundaries[(f * layers + layerIndex.ILM) * columns + c]!;
    for (let f = 0; f < frames; f++) {
      const neighbours = [f - 2, f - 1, f + 1, f + 2].filter((n) => n >= 0 && n < frames);
      let departures = 0;
      for (let c = 0; c < columns; c++) {
        referenceIlm[c] = median(neighbours.map((n) => ilmOf(n, c)));
        referenceBand[c] = median(neighbours.map((n) => bands[n * columns + c]!));
        // Only an isolated departure counts: where the neighbours disagree among themselves the surface
        // itself changes fast across B-scans (a steep PED or SRF dome), and they are no guide.
        const before = Math.max(0, f - 1);
        const after = Math.min(frames - 1, f + 1);
        const ilmAgree = Math.abs(ilmOf(before, c) - ilmOf(after, c)) <= limit;
        const bandAgree = Math.abs(bands[before * columns + c]! - bands[after * columns + c]!) <= limit;
        if (
          (ilmAgree && Math.abs(ilmOf(f, c) - referenceIlm[c]!) > limit) ||
          (bandAgree && Math.abs(bands[f * columns + c]! - referenceBand[c]!) > limit)
        ) {
          departures++;
        }
      }
      if (departures > parameters.paths.consistencyShare * columns) {
        signal?.throwIfAborted();
        researched.push(f);
        segmentBScan(frameOf(f), workspace, linesOf(f), umPerRow, {
          ilm: referenceIlm,
          rpeBand: referenceBand,
          halfWidth: limit + 2,
        });
        placeBruchsMembrane(
          workspace,
          linesOf(f),
          elevated.subarray(f * columns, (f + 1) * columns),
          umPerRow,
        );
      }
    }
    smoothInnerAcrossFrames(boundaries, frames, columns);
  }
  return { frames, columns, boundaries, researchedFrames: researched, elevated };
}
