/**
 * B-scan rendering shared by volumes and circle scans. Per A-scan, layer thicknesses and fluid heights
 * become boundary depths (rows); the rows between boundaries get each layer's reflectivity (with partial
 * volume at the boundaries), tissue attenuation, vessel shadows and depth roll-off; then multiplicative
 * speckle, an additive noise floor, and fourth-root compression to 8 bits (as OCT devices display
 * linear intensity).
 */
import { boundaryNames } from './oct-layers.ts';
import type { LayerThickness } from './oct-layers.ts';
import type { FluidHeights } from './oct-pathology.ts';
import { fluidLabels } from './oct-pathology.ts';
import { cellularNoise, valueNoise } from './noise.ts';
import type { NoiseSampler } from './noise.ts';
import type { Rng } from './rng.ts';

/** Number of boundaries per A-scan. */
export const boundaryCount = boundaryNames.length;

const enum_ = {
  ILM: 0,
  RNFL_GCL: 1,
  GCL_IPL: 2,
  IPL_INL: 3,
  INL_OPL: 4,
  OPL_ONL: 5,
  ELM: 6,
  EZ: 7,
  RPE: 8,
  BM: 9,
  CSI: 10,
} as const;

/** Fluid intervals of one A-scan (rows): INL cyst, ONL cyst, SRF, PED as [top, bottom) pairs. */
export const fluidIntervalCount = 4;

/**
 * Boundary depths (rows, 0 = top edge of the first row) of one A-scan, bottom-up from Bruch's membrane.
 * Writes `boundaryCount` values into `out` at `offset`, and fluid intervals into `fluid` (8 values).
 */
export function computeBoundaries(
  thickness: LayerThickness,
  fluid: FluidHeights,
  bmRow: number,
  umPerRow: number,
  out: Float32Array,
  offset: number,
  fluidOut: Float64Array,
): void {
  const k = 1 / umPerRow;
  const bm = bmRow;
  const rpe = bm - (thickness.rpe + fluid.ped) * k;
  const tips = rpe - fluid.srf * k;
  const ez = tips - thickness.outerSegments * k;
  const elm = ez - thickness.innerSegments * k;
  // A layer with cysts is thickened by the smooth swelling; the cysts fill it, leaving some tissue.
  const onlUm = thickness.onl + fluid.onlSwelling + 0.6 * fluid.diffuse;
  const onlCystUm = Math.min(fluid.onl, Math.max(0, onlUm - 12));
  const onl = onlUm * k;
  const oplOnl = elm - onl;
  const inlOpl = oplOnl - thickness.opl * k;
  const inlUm = thickness.inl + fluid.inlSwelling + 0.4 * fluid.diffuse;
  const inlCystUm = Math.min(fluid.inl, Math.max(0, inlUm - 8));
  const inl = inlUm * k;
  const iplInl = inlOpl - inl;
  const gclIpl = iplInl - thickness.ipl * k;
  const rnflGcl = gclIpl - thickness.gcl * k;
  const ilm = rnflGcl - thickness.rnfl * k;
  out[offset + enum_.ILM] = ilm;
  out[offset + enum_.RNFL_GCL] = rnflGcl;
  out[offset + enum_.GCL_IPL] = gclIpl;
  out[offset + enum_.IPL_INL] = iplInl;
  out[offset + enum_.INL_OPL] = inlOpl;
  out[offset + enum_.OPL_ONL] = oplOnl;
  out[offset + enum_.ELM] = elm;
  out[offset + enum_.EZ] = ez;
  out[offset + enum_.RPE] = rpe;
  out[offset + enum_.BM] = bm;
  out[offset + enum_.CSI] = bm + thickness.choroid * k;
  // Cysts sit in the middle of their layer.
  const inlCyst = inlCystUm * k;
  const inlTop = iplInl + (inl - inlCyst) / 2;
  fluidOut[0] = inlTop;
  fluidOut[1] = inlTop + inlCyst;
  const onlCyst = onlCystUm * k;
  const onlTop = oplOnl + (onl - onlCyst) * 0.45;
  fluidOut[2] = onlTop;
  fluidOut[3] = onlTop + onlCyst;
  fluidOut[4] = tips;
  fluidOut[5] = rpe;
  fluidOut[6] = rpe + thickness.rpe * k;
  fluidOut[7] = bm;
}

/** Zone kinds of the renderer, with reflectivity (linear) and attenuation (1/mm). */
const zoneReflectivity = new Float64Array([
  0, // 0 vitreous
  0.3, // 1 RNFL
  0.05, // 2 GCL
  0.12, // 3 IPL
  0.008, // 4 INL
  0.1, // 5 OPL
  0.004, // 6 ONL
  0.06, // 7 ELM
  0.01, // 8 inner segments
  0.5, // 9 ellipsoid zone
  0.03, // 10 outer segments
  0.2, // 11 interdigitation zone
  0.0008, // 12 fluid
  0.65, // 13 RPE
  0.3, // 14 choriocapillaris / Bruch's membrane
  0.12, // 15 choroid (textured)
  0.02, // 16 sclera
]);
const zoneAttenuation = new Float64Array([
  0, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 2, 0.8, 2, 0.1, 18, 8, 5, 3,
]);
const choroidZone = 15;
const rnflZone = 1;
const maxZones = 24;

/** Scratch buffers and per-scan tables for rendering A-scans of a number of rows. */
export interface AScanScratch {
  readonly edges: Float64Array;
  readonly kinds: Int32Array;
  readonly fluid: Float64Array;
  readonly column: Float32Array;
  /** Depth roll-off of the spectrometer per row. */
  readonly rollOff: Float32Array;
  /** Per-row attenuation factor of each zone kind. */
  readonly attenuation: Float64Array;
  readonly umPerRow: number;
}

/** Allocates the scratch buffers and tables for A-scans of a number of rows. */
export function makeScratch(rows: number, umPerRow: number): AScanScratch {
  const rollOff = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    rollOff[r] = Math.exp((-1.1 * r) / rows);
  }
  const dzMm = umPerRow / 1000;
  const attenuation = new Float64Array(zoneAttenuation.length);
  for (let k = 0; k < zoneAttenuation.length; k++) {
    attenuation[k] = Math.exp(-2 * zoneAttenuation[k]! * dzMm);
  }
  return {
    edges: new Float64Array(maxZones),
    kinds: new Int32Array(maxZones),
    fluid: new Float64Array(2 * fluidIntervalCount),
    column: new Float32Array(rows),
    rollOff,
    attenuation,
    umPerRow,
  };
}

/** What the renderer needs besides the boundaries. */
export interface AScanContext {
  /** Retinal vessel absorbance above this A-scan (0–1): bright vessel, shadow below. */
  vessel: number;
  /** Relative brightness of the RNFL here (lateral variation). */
  rnflGain: number;
  /** Choroid texture sampler and this A-scan's lateral coordinate (mm) and frame key. */
  choroid: NoiseSampler;
  lateralMm: number;
  frameKey: number;
}

function pushZone(edges: Float64Array, kinds: Int32Array, n: number, end: number, kind: number): number {
  if (n === 0 || end > edges[n - 1]!) {
    edges[n] = end;
    kinds[n] = kind;
    return n + 1;
  }
  return n;
}

/**
 * Renders the clean (noise-free) linear intensity of one A-scan into `scratch.column`, from boundaries
 * at `boundaries[offset…]` and fluid intervals in `scratch.fluid`.
 */
export function renderAScan(
  boundaries: Float32Array,
  offset: number,
  scratch: AScanScratch,
  context: AScanContext,
): void {
  const { edges, kinds, fluid, column, rollOff, attenuation } = scratch;
  const k = 1 / scratch.umPerRow;
  const elm = boundaries[offset + 6]!;
  const ez = boundaries[offset + 7]!;
  const bm = boundaries[offset + 9]!;
  const csi = boundaries[offset + 10]!;
  const tips = fluid[4]!;
  let n = 0;
  n = pushZone(edges, kinds, n, boundaries[offset]!, 0);
  n = pushZone(edges, kinds, n, boundaries[offset + 1]!, 1);
  n = pushZone(edges, kinds, n, boundaries[offset + 2]!, 2);
  n = pushZone(edges, kinds, n, boundaries[offset + 3]!, 3);
  n = pushZone(edges, kinds, n, fluid[0]!, 4);
  n = pushZone(edges, kinds, n, fluid[1]!, 12);
  n = pushZone(edges, kinds, n, boundaries[offset + 4]!, 4);
  n = pushZone(edges, kinds, n, boundaries[offset + 5]!, 5);
  n = pushZone(edges, kinds, n, fluid[2]!, 6);
  n = pushZone(edges, kinds, n, fluid[3]!, 12);
  n = pushZone(edges, kinds, n, elm - 2 * k, 6);
  n = pushZone(edges, kinds, n, elm + 2 * k, 7);
  n = pushZone(edges, kinds, n, ez, 8);
  n = pushZone(edges, kinds, n, ez + 10 * k, 9);
  n = pushZone(edges, kinds, n, tips - 7 * k, 10);
  n = pushZone(edges, kinds, n, tips, 11);
  n = pushZone(edges, kinds, n, fluid[5]!, 12);
  n = pushZone(edges, kinds, n, fluid[6]!, 13);
  n = pushZone(edges, kinds, n, fluid[7]!, 12);
  n = pushZone(edges, kinds, n, bm + 14 * k, 14);
  n = pushZone(edges, kinds, n, csi, choroidZone);
  edges[n] = Infinity;
  kinds[n] = 16;
  n++;

  const rows = column.length;
  const dzMm = scratch.umPerRow / 1000;
  const vessel = context.vessel;
  const vesselRow = vessel > 0 ? Math.floor(boundaries[offset + 1]!) : -1;
  const rnflGain = context.rnflGain;
  const choroidSpan = Math.max(1, csi - bm);
  const { choroid, lateralMm, frameKey } = context;
  const fineX = lateralMm / 0.045;
  const coarseX = lateralMm / 0.12 + 57.1;
  let transmission = 1;
  let zone = 0;
  // Vitreous rows (no reflectivity, no attenuation) and sclera rows (one zone) take fast paths.
  const firstTissueRow = Math.max(0, Math.min(rows, Math.floor(edges[0]!)));
  column.fill(0, 0, firstTissueRow);
  const scleraRow = Math.max(firstTissueRow, Math.min(rows, Math.ceil(csi)));
  for (let r = firstTissueRow; r < scleraRow; r++) {
    while (edges[zone]! <= r) {
      zone++;
    }
    const kind = kinds[zone]!;
    let acc: number;
    if (edges[zone]! >= r + 1 && kind !== choroidZone) {
      // The whole row lies in one zone.
      acc = kind === rnflZone ? zoneReflectivity[kind]! * rnflGain : zoneReflectivity[kind]!;
    } else {
      // Partial volume: the row [r, r+1) may span several zones.
      acc = 0;
      let position = r;
      let z = zone;
      while (position < r + 1 && z < n) {
        const end = Math.min(edges[z]!, r + 1);
        const zk = kinds[z]!;
        let reflectivity = zoneReflectivity[zk]!;
        if (zk === choroidZone) {
          // Vessel lumens (dark) in stroma (bright), larger deeper in the choroid (Sattler → Haller).
          const depth = (r - bm) / choroidSpan;
          const zMm = r * dzMm;
          let t: number;
          if (depth < 0.35) {
            t = choroid(fineX, zMm / 0.03 + frameKey);
          } else if (depth > 0.65) {
            t = choroid(coarseX, zMm / 0.075 + frameKey);
          } else {
            const w = (depth - 0.35) / 0.3;
            t =
              (1 - w) * choroid(fineX, zMm / 0.03 + frameKey) + w * choroid(coarseX, zMm / 0.075 + frameKey);
          }
          // t < 0 inside a vessel lumen (dark); stroma between the lumens is bright.
          const stroma = Math.min(1, Math.max(0, (t + 0.03) / 0.16));
          reflectivity *= 0.25 + 1.15 * stroma * stroma * (3 - 2 * stroma);
        } else if (zk === rnflZone) {
          reflectivity *= rnflGain;
        }
        acc += (end - position) * reflectivity;
        position = end;
        z++;
      }
    }
    if (r === vesselRow) {
      acc += 0.35 * vessel;
    }
    column[r] = acc * transmission * rollOff[r]!;
    transmission *= attenuation[kind]!;
    if (r === vesselRow) {
      transmission *= 1 - 0.8 * vessel;
    }
  }
  const sclera = zoneReflectivity[16]!;
  const scleraAttenuation = attenuation[16]!;
  for (let r = scleraRow; r < rows; r++) {
    column[r] = sclera * transmission * rollOff[r]!;
    transmission *= scleraAttenuation;
  }
}

/** Writes fluid labels of one A-scan (voxel centre inside an interval) into a label frame. */
export function labelAScan(
  fluid: Float64Array,
  rows: number,
  columns: number,
  column: number,
  labels: Uint8Array,
  frameOffset: number,
): void {
  const intervals: readonly (readonly [number, number, number])[] = [
    [fluid[0]!, fluid[1]!, fluidLabels.irf],
    [fluid[2]!, fluid[3]!, fluidLabels.irf],
    [fluid[4]!, fluid[5]!, fluidLabels.srf],
    [fluid[6]!, fluid[7]!, fluidLabels.ped],
  ];
  for (const [top, bottom, label] of intervals) {
    if (bottom - top <= 0) {
      continue;
    }
    const first = Math.max(0, Math.ceil(top - 0.5));
    const last = Math.min(rows - 1, Math.ceil(bottom - 0.5) - 1);
    for (let r = first; r <= last; r++) {
      labels[frameOffset + r * columns + column] = label;
    }
  }
}

/** Speckle and noise parameters shared by the frames of one scan. */
export interface SpeckleTables {
  /** Gamma-distributed speckle multipliers (mean 1). */
  readonly speckle: Float32Array;
  /** Exponential noise-floor samples (mean 1). */
  readonly floor: Float32Array;
}

/** Precomputes speckle (gamma, shape `looks`) and noise-floor tables. */
export function makeSpeckleTables(rng: Rng, looks = 1.6): SpeckleTables {
  const size = 1 << 16;
  const speckle = new Float32Array(size);
  const floor = new Float32Array(size);
  // Marsaglia–Tsang for shape ≥ 1.
  const d = looks - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (let i = 0; i < size; i++) {
    let value: number;
    for (;;) {
      const x = rng.normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) {
        continue;
      }
      const u = rng.float();
      if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
        value = (d * v) / looks;
        break;
      }
    }
    speckle[i] = value;
    floor[i] = -Math.log(1 - rng.float());
  }
  return { speckle, floor };
}

/**
 * Turns a clean linear frame (column-major: column × rows + row) into 8-bit display values (row-major):
 * speckle smoothed over three rows, an additive noise floor, fourth-root compression.
 */
export function finishFrame(
  clean: Float32Array,
  rows: number,
  columns: number,
  tables: SpeckleTables,
  rng: Rng,
  out: Uint8Array,
  outOffset: number,
  options: { readonly gain: number; readonly floor: number },
): void {
  const { speckle, floor } = tables;
  const mask = speckle.length - 1;
  const draws = new Uint32Array(rows + 2);
  const transposed = new Uint8Array(rows * columns);
  let state = rng.next() | 1;
  const gain = options.gain;
  const floorLevel = options.floor;
  for (let c = 0; c < columns; c++) {
    for (let r = 0; r < rows + 2; r++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      draws[r] = state;
    }
    const base = c * rows;
    for (let r = 0; r < rows; r++) {
      const s =
        0.25 * speckle[draws[r]! & mask]! +
        0.5 * speckle[draws[r + 1]! & mask]! +
        0.25 * speckle[draws[r + 2]! & mask]!;
      const value = gain * (clean[base + r]! * s + floorLevel * floor[draws[r + 1]! >>> 16]!);
      const display = 255 * Math.sqrt(Math.sqrt(value));
      transposed[base + r] = display >= 255 ? 255 : display + 0.5;
    }
  }
  // Blocked transpose to row-major.
  const block = 32;
  for (let c0 = 0; c0 < columns; c0 += block) {
    const c1 = Math.min(columns, c0 + block);
    for (let r0 = 0; r0 < rows; r0 += block) {
      const r1 = Math.min(rows, r0 + block);
      for (let r = r0; r < r1; r++) {
        const row = outOffset + r * columns;
        for (let c = c0; c < c1; c++) {
          out[row + c] = transposed[c * rows + r]!;
        }
      }
    }
  }
}

/** A choroid texture sampler for a scan: round vessel lumens of varied size. */
export function makeChoroidTexture(rng: Rng): NoiseSampler {
  return cellularNoise(rng);
}

/** A smooth texture sampler (lateral brightness variation, surface undulation). */
export function makeSmoothTexture(rng: Rng): NoiseSampler {
  return valueNoise(rng);
}
