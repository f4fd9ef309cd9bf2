/**
 * Macular OCT cubes (e.g. 49 B-scans × 512 A-scans × 496 rows over 6 × 6 mm): retinal layers with a foveal
 * pit, optional intraretinal cysts, subretinal fluid and PED, vessel shadows, speckle and roll-off; with
 * the boundary depth of every layer at every A-scan, ETDRS subfield thicknesses, fluid masks and volumes.
 * Frames run superior → inferior; columns run left → right in the upright en-face view (temporal → nasal
 * for a right eye).
 */
import type { Eye } from '../core/eye.ts';
import { makeEyeAnatomy } from './fundus-anatomy.ts';
import type { EyeAnatomy, FundusGeometry } from './fundus-anatomy.ts';
import { growVesselTree, renderVesselTree } from './fundus-vessels.ts';
import { boundaryNames, macularThickness, makeMacularModel } from './oct-layers.ts';
import type { BoundaryName } from './oct-layers.ts';
import { fluidHeights, fluidLabels, fluidTypes, planFluid } from './oct-pathology.ts';
import type { FluidHeights, FluidPlan, FluidType } from './oct-pathology.ts';
import {
  boundaryCount,
  computeBoundaries,
  finishFrame,
  labelAScan,
  makeChoroidTexture,
  makeScratch,
  makeSmoothTexture,
  makeSpeckleTables,
  renderAScan,
} from './oct-render.ts';
import type { AScanContext } from './oct-render.ts';
import { generateSloPixels } from './slo-image.ts';
import type { SloPixels } from './slo-image.ts';
import { Rng } from './rng.ts';
import type { Seed } from './rng.ts';
import { encodeRle, round, truthSchema } from './truth.ts';
import type { EtdrsThickness, OctVolumeTruth } from './truth.ts';
import { synthVersion } from './dicom-modules.ts';

/** Options of {@link generateOctVolumePixels}. */
export interface OctVolumeOptions {
  readonly seed: Seed;
  readonly eye: Eye;
  /** Number of B-scans (default 49). */
  readonly frames?: number;
  /** A-scans per B-scan (default 512). */
  readonly columns?: number;
  /** Samples per A-scan (default 496). */
  readonly rows?: number;
  /** Scan width and height on the retina (mm, default 6 × 6). */
  readonly scanWidthMm?: number;
  readonly scanHeightMm?: number;
  /** Axial sample spacing (µm, default 3.87 as Spectralis). */
  readonly axialSpacingUm?: number;
  readonly fluid?: readonly FluidType[];
  /** Diabetic macular oedema: cysts and diffuse thickening (implies IRF). */
  readonly dme?: boolean;
  /** Glaucomatous ganglion cell and RNFL loss (0–1). */
  readonly glaucomaLoss?: number;
  readonly anatomySeed?: string;
  readonly cupToDiscRatio?: number;
}

/** A generated OCT cube with its truth. */
export interface OctVolumePixels {
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  /** 8-bit voxels, frame-major then row-major (frame × rows × columns). */
  readonly voxels: Uint8Array;
  /** Fluid labels (0 none, 1 IRF, 2 SRF, 3 PED) in the same layout. */
  readonly labels: Uint8Array;
  /** Boundary rows per A-scan: [frame][column][boundary] in {@link boundaryNames} order. */
  readonly boundaries: Float32Array;
  readonly axialSpacingMm: number;
  readonly lateralSpacingMm: number;
  readonly frameSpacingMm: number;
  readonly scanWidthMm: number;
  readonly scanHeightMm: number;
  /** The accompanying infrared SLO image, centred on the fovea. */
  readonly slo: SloPixels;
  readonly anatomy: EyeAnatomy;
  readonly truth: OctVolumeTruth;
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** Generates a macular OCT cube (pixels only), deterministic for the seed. */
export function generateOctVolumePixels(options: OctVolumeOptions): OctVolumePixels {
  const frames = options.frames ?? 49;
  const columns = options.columns ?? 512;
  const rows = options.rows ?? 496;
  checkInteger('frames', frames, 1, 1024);
  checkInteger('columns', columns, 64, 4096);
  checkInteger('rows', rows, 128, 2048);
  const scanWidthMm = options.scanWidthMm ?? 6;
  const scanHeightMm = options.scanHeightMm ?? 6;
  const umPerRow = options.axialSpacingUm ?? 3.87;
  const dx = scanWidthMm / columns;
  const dy = scanHeightMm / frames;
  const rng = new Rng(options.seed, 'oct-volume', options.eye);
  const anatomy = makeEyeAnatomy({
    seed: options.anatomySeed ?? `${String(options.seed)}/anatomy`,
    eye: options.eye,
    ...(options.cupToDiscRatio === undefined ? {} : { cupToDiscRatio: options.cupToDiscRatio }),
  });
  const nasalSign = options.eye === 'R' ? 1 : -1;
  const model = makeMacularModel(rng.fork('model'), { glaucomaLoss: options.glaucomaLoss ?? 0 });
  const fluidPlan = planFluid(rng.fork('fluid'), { types: options.fluid ?? [], dme: options.dme ?? false });
  // The fovea is a little off the scan centre, as in real acquisitions.
  const foveaScanX = Math.max(-0.2, Math.min(0.2, rng.normal(0, 0.08)));
  const foveaScanY = Math.max(-0.2, Math.min(0.2, rng.normal(0, 0.08)));

  // Retinal vessels over the scan area (for the shadows), rendered at the lateral sampling.
  const tree = growVesselTree(anatomy);
  const enfaceHeight = Math.max(1, Math.round(scanHeightMm / dx));
  const enface: FundusGeometry = {
    width: columns,
    height: enfaceHeight,
    eye: options.eye,
    fieldOfViewDeg: 0,
    fieldCentreX: columns / 2,
    fieldCentreY: enfaceHeight / 2,
    fieldRadius: columns,
    pxPerMm: 1 / dx,
    nasalSign,
    foveaX: columns / 2 + foveaScanX / dx,
    foveaY: enfaceHeight / 2 + foveaScanY / dx,
  };
  const vesselMaps = {
    artery: new Float32Array(columns * enfaceHeight),
    vein: new Float32Array(columns * enfaceHeight),
  };
  renderVesselTree(tree, enface, vesselMaps, { arteryReflex: 0, veinReflex: 0 });

  // Pass 1: boundaries of every A-scan with Bruch's membrane at depth 0, then shift into the window.
  const shape = rng.fork('shape');
  const curvature = shape.range(0.003, 0.012);
  const tiltX = shape.normal(0, 0.02);
  const tiltY = shape.normal(0, 0.015);
  const undulation = makeSmoothTexture(shape.fork('undulation'));
  const boundaries = new Float32Array(frames * columns * boundaryCount);
  const fluidIntervals = new Float64Array(frames * columns * 8);
  const heights: FluidHeights = {
    inl: 0,
    onl: 0,
    inlSwelling: 0,
    onlSwelling: 0,
    srf: 0,
    ped: 0,
    diffuse: 0,
  };
  const scratch = makeScratch(rows, umPerRow);
  const retinaX = new Float64Array(columns);
  for (let c = 0; c < columns; c++) {
    retinaX[c] = nasalSign * (-scanWidthMm / 2 + (c + 0.5) * dx - foveaScanX);
  }
  for (let f = 0; f < frames; f++) {
    const ys = -scanHeightMm / 2 + (f + 0.5) * dy;
    const yRetina = ys - foveaScanY;
    for (let c = 0; c < columns; c++) {
      const xs = -scanWidthMm / 2 + (c + 0.5) * dx;
      const bmMm =
        -curvature * (xs * xs + ys * ys) + tiltX * xs + tiltY * ys + 0.003 * undulation(xs / 0.4, ys / 0.4);
      const thickness = macularThickness(model, retinaX[c]!, yRetina);
      fluidHeights(fluidPlan, retinaX[c]!, yRetina, heights);
      const at = (f * columns + c) * boundaryCount;
      computeBoundaries(
        thickness,
        heights,
        (bmMm * 1000) / umPerRow,
        umPerRow,
        boundaries,
        at,
        scratch.fluid,
      );
      fluidIntervals.set(scratch.fluid, (f * columns + c) * 8);
    }
  }
  let minIlm = Infinity;
  let maxBm = -Infinity;
  for (let i = 0; i < frames * columns; i++) {
    minIlm = Math.min(minIlm, boundaries[i * boundaryCount]!);
    maxBm = Math.max(maxBm, boundaries[i * boundaryCount + 9]!);
  }
  // Put the highest ILM about 12 % below the top, but keep Bruch's membrane above 72 % of the window.
  const shift = Math.min(0.12 * rows - minIlm, 0.72 * rows - maxBm) + shape.range(0, 0.04 * rows);
  for (let i = 0; i < boundaries.length; i++) {
    boundaries[i] = Math.round((boundaries[i]! + shift) * 100) / 100;
  }
  for (let i = 0; i < fluidIntervals.length; i++) {
    fluidIntervals[i] = fluidIntervals[i]! + shift;
  }

  // Pass 2: render every frame.
  const voxels = new Uint8Array(frames * rows * columns);
  const labels = new Uint8Array(frames * rows * columns);
  const clean = new Float32Array(rows * columns);
  const context: AScanContext = {
    vessel: 0,
    rnflGain: 1,
    choroid: makeChoroidTexture(rng.fork('choroid')),
    lateralMm: 0,
    frameKey: 0,
  };
  const rnflTexture = makeSmoothTexture(rng.fork('rnfl'));
  const tables = makeSpeckleTables(rng.fork('speckle'));
  const noiseRng = rng.fork('noise');
  const gain = rng.range(0.8, 1.0);
  for (let f = 0; f < frames; f++) {
    const ys = -scanHeightMm / 2 + (f + 0.5) * dy;
    const enfaceRow = Math.min(enfaceHeight - 1, Math.max(0, Math.floor((ys + scanHeightMm / 2) / dx)));
    const frameOffset = f * rows * columns;
    for (let c = 0; c < columns; c++) {
      const index = f * columns + c;
      scratch.fluid.set(fluidIntervals.subarray(index * 8, index * 8 + 8));
      const vessel = Math.min(
        1,
        1.3 *
          Math.max(vesselMaps.artery[enfaceRow * columns + c]!, vesselMaps.vein[enfaceRow * columns + c]!),
      );
      const xs = -scanWidthMm / 2 + (c + 0.5) * dx;
      context.vessel = vessel;
      context.rnflGain = 1 + 0.2 * rnflTexture(xs / 0.5, ys / 0.5);
      context.lateralMm = xs;
      context.frameKey = f * 13.7;
      renderAScan(boundaries, index * boundaryCount, scratch, context);
      clean.set(scratch.column, c * rows);
      labelAScan(scratch.fluid, rows, columns, c, labels, frameOffset);
    }
    finishFrame(clean, rows, columns, tables, noiseRng, voxels, frameOffset, { gain, floor: 2.5e-5 });
  }

  const slo = generateSloPixels({ eye: options.eye, anatomy, tree }, rng.fork('slo'));
  const truth = buildVolumeTruth({
    options,
    frames,
    rows,
    columns,
    umPerRow,
    dx,
    dy,
    scanWidthMm,
    scanHeightMm,
    foveaScanX,
    foveaScanY,
    nasalSign,
    boundaries,
    labels,
    fluidPlan,
    slo,
  });
  return {
    frames,
    rows,
    columns,
    voxels,
    labels,
    boundaries,
    axialSpacingMm: umPerRow / 1000,
    lateralSpacingMm: dx,
    frameSpacingMm: dy,
    scanWidthMm,
    scanHeightMm,
    slo,
    anatomy,
    truth,
  };
}

/** ETDRS subfield of a point relative to the fovea (retinal frame, mm), or undefined outside 6 mm. */
export function etdrsSubfield(x: number, y: number): keyof EtdrsThickness | undefined {
  const r = Math.hypot(x, y);
  if (r <= 0.5) {
    return 'CSF';
  }
  if (r > 3) {
    return undefined;
  }
  const ring = r <= 1.5 ? 'I' : 'O';
  const vertical = Math.abs(y) > Math.abs(x);
  const sector = vertical ? (y < 0 ? 'S' : 'I') : x > 0 ? 'N' : 'T';
  return `${ring}${sector}` as keyof EtdrsThickness;
}

interface VolumeTruthInput {
  readonly options: OctVolumeOptions;
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  readonly umPerRow: number;
  readonly dx: number;
  readonly dy: number;
  readonly scanWidthMm: number;
  readonly scanHeightMm: number;
  readonly foveaScanX: number;
  readonly foveaScanY: number;
  readonly nasalSign: number;
  readonly boundaries: Float32Array;
  readonly labels: Uint8Array;
  readonly fluidPlan: FluidPlan;
  readonly slo: SloPixels;
}

/**
 * ETDRS subfield mean thicknesses (µm) between two boundaries, from the boundary rows as written, plus the
 * centre point thickness and the total volume of the 6-mm disc (mm³).
 * See standards-reference §C.1, §C.5.
 */
export function etdrsFromBoundaries(
  boundaries: Float32Array,
  frames: number,
  columns: number,
  inner: BoundaryName,
  outer: BoundaryName,
  geometry: {
    readonly umPerRow: number;
    readonly dx: number;
    readonly dy: number;
    readonly scanWidthMm: number;
    readonly scanHeightMm: number;
    readonly foveaScanX: number;
    readonly foveaScanY: number;
    readonly nasalSign: number;
  },
): { readonly subfields: EtdrsThickness; readonly centralPointUm: number; readonly totalVolumeMm3: number } {
  const innerIndex = boundaryNames.indexOf(inner);
  const outerIndex = boundaryNames.indexOf(outer);
  const sums = new Map<string, { sum: number; count: number }>();
  let volume = 0;
  let nearest = Infinity;
  let centralPoint = 0;
  for (let f = 0; f < frames; f++) {
    const y = -geometry.scanHeightMm / 2 + (f + 0.5) * geometry.dy - geometry.foveaScanY;
    for (let c = 0; c < columns; c++) {
      const xs = -geometry.scanWidthMm / 2 + (c + 0.5) * geometry.dx - geometry.foveaScanX;
      const x = geometry.nasalSign * xs;
      const at = (f * columns + c) * boundaryCount;
      const thickness = (boundaries[at + outerIndex]! - boundaries[at + innerIndex]!) * geometry.umPerRow;
      const r = Math.hypot(x, y);
      if (r < nearest) {
        nearest = r;
        centralPoint = thickness;
      }
      const subfield = etdrsSubfield(x, y);
      if (subfield === undefined) {
        continue;
      }
      const entry = sums.get(subfield) ?? { sum: 0, count: 0 };
      entry.sum += thickness;
      entry.count += 1;
      sums.set(subfield, entry);
      volume += (thickness / 1000) * geometry.dx * geometry.dy;
    }
  }
  const mean = (key: keyof EtdrsThickness): number => {
    const entry = sums.get(key);
    return entry === undefined || entry.count === 0 ? 0 : round(entry.sum / entry.count, 3);
  };
  return {
    subfields: {
      CSF: mean('CSF'),
      IS: mean('IS'),
      IN: mean('IN'),
      II: mean('II'),
      IT: mean('IT'),
      OS: mean('OS'),
      ON: mean('ON'),
      OI: mean('OI'),
      OT: mean('OT'),
    },
    centralPointUm: round(centralPoint, 3),
    totalVolumeMm3: round(volume, 5),
  };
}

function buildVolumeTruth(input: VolumeTruthInput): OctVolumeTruth {
  const { frames, rows, columns, umPerRow, dx, dy, boundaries, labels } = input;
  const geometry = input;
  const ilmBm = etdrsFromBoundaries(boundaries, frames, columns, 'ILM', 'BM', geometry);
  const ilmRpe = etdrsFromBoundaries(boundaries, frames, columns, 'ILM', 'RPE', geometry);
  // Rounded once, so volume = voxels × voxelVolumeMm3 holds exactly for the values in the file.
  const voxelVolumeMm3 = round(dx * dy * (umPerRow / 1000), 12);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label !== 0) {
      counts[label]! += 1;
    }
  }
  const fluid = Object.fromEntries(
    fluidTypes.map((type) => {
      const voxels = counts[fluidLabels[type]]!;
      return [
        type,
        {
          voxels,
          volumeMm3: round(voxels * voxelVolumeMm3, 6),
          volumeNl: round(voxels * voxelVolumeMm3 * 1000, 3),
        },
      ];
    }),
  ) as OctVolumeTruth['fluid'];
  const perBoundary = Object.fromEntries(
    boundaryNames.map((name, b) => {
      const values: number[][] = [];
      for (let f = 0; f < frames; f++) {
        const row: number[] = [];
        for (let c = 0; c < columns; c++) {
          row.push(boundaries[(f * columns + c) * boundaryCount + b]!);
        }
        values.push(row);
      }
      return [name, values];
    }),
  ) as Record<BoundaryName, number[][]>;
  const sloGeometry = input.slo.geometry;
  const scanLines = [];
  for (let f = 0; f < frames; f++) {
    const ys = -input.scanHeightMm / 2 + (f + 0.5) * dy - input.foveaScanY;
    const left = -input.scanWidthMm / 2 + 0.5 * dx - input.foveaScanX;
    const right = input.scanWidthMm / 2 - 0.5 * dx - input.foveaScanX;
    // Scan coordinates are image-oriented (left → right), so only the fovea offset applies.
    scanLines.push({
      startRow: round(sloGeometry.foveaY + ys * sloGeometry.pxPerMm, 3),
      startColumn: round(sloGeometry.foveaX + left * sloGeometry.pxPerMm, 3),
      endRow: round(sloGeometry.foveaY + ys * sloGeometry.pxPerMm, 3),
      endColumn: round(sloGeometry.foveaX + right * sloGeometry.pxPerMm, 3),
    });
  }
  const plan = input.fluidPlan;
  return {
    schema: truthSchema,
    kind: 'oct-volume',
    generator: `fovea-synth@${synthVersion}`,
    seed: String(input.options.seed),
    eye: input.options.eye,
    geometry: {
      frames,
      rows,
      columns,
      axialSpacingUm: umPerRow,
      lateralSpacingMm: round(dx, 6),
      frameSpacingMm: round(dy, 6),
      scanWidthMm: input.scanWidthMm,
      scanHeightMm: input.scanHeightMm,
      frameOrder: 'superior-to-inferior',
      columnOrder: input.nasalSign === 1 ? 'temporal-to-nasal' : 'nasal-to-temporal',
      fovea: {
        frame: round((input.foveaScanY + input.scanHeightMm / 2) / dy - 0.5, 3),
        column: round((input.foveaScanX + input.scanWidthMm / 2) / dx - 0.5, 3),
      },
      boundaryRowConvention: 'row 0 is the top edge of the first row; a voxel row r spans [r, r + 1)',
    },
    boundaryNames: [...boundaryNames],
    boundaries: perBoundary,
    thicknessDefinition: { inner: 'ILM', outer: 'BM', code: '111929' },
    etdrs: ilmBm.subfields,
    centralSubfieldThicknessUm: ilmBm.subfields.CSF,
    centralPointThicknessUm: ilmBm.centralPointUm,
    totalMacularVolumeMm3: ilmBm.totalVolumeMm3,
    etdrsIlmRpe: ilmRpe.subfields,
    fluid,
    fluidMask: {
      encoding: 'rle',
      order: 'frame,row,column',
      shape: [frames, rows, columns],
      labels: { ...fluidLabels },
      runs: encodeRle(labels),
    },
    voxelVolumeMm3,
    pathology: {
      cysts: plan.cysts.map((cyst) => ({
        xMm: round(cyst.xMm, 4),
        yMm: round(cyst.yMm, 4),
        radiusMm: round(cyst.radiusMm, 4),
        heightUm: round(cyst.heightUm, 2),
        layer: cyst.layer,
      })),
      srf: plan.srf === null ? null : roundDome(plan.srf),
      ped: plan.ped === null ? null : roundDome(plan.ped),
      diffuseThickeningUm: round(plan.diffuseThickeningUm, 2),
      dme: input.options.dme ?? false,
      glaucomaLoss: input.options.glaucomaLoss ?? 0,
    },
    slo: {
      size: input.slo.size,
      pixelSpacingMm: round(input.slo.pixelSpacingMm, 6),
      fieldOfViewDeg: input.slo.fieldOfViewDeg,
      fovea: { x: round(sloGeometry.foveaX, 3), y: round(sloGeometry.foveaY, 3) },
      scanLines,
    },
  };
}

function roundDome(dome: NonNullable<FluidPlan['srf']>): NonNullable<FluidPlan['srf']> {
  return {
    xMm: round(dome.xMm, 4),
    yMm: round(dome.yMm, 4),
    radiusXMm: round(dome.radiusXMm, 4),
    radiusYMm: round(dome.radiusYMm, 4),
    heightUm: round(dome.heightUm, 2),
    exponent: dome.exponent,
  };
}
