/**
 * Peripapillary OCT circle scans: one B-scan along a 3.46-mm circle around the optic disc, sampled in
 * TSNIT order (temporal → superior → nasal → inferior → temporal), with the RNFL thickness known per
 * A-scan, per quadrant, per clock hour and per Spectralis sector. Glaucoma thins the superior and
 * inferior bundles.
 * See standards-reference §D.4.
 */
import type { Eye } from '../core/eye.ts';
import { makeEyeAnatomy } from './fundus-anatomy.ts';
import type { EyeAnatomy } from './fundus-anatomy.ts';
import { growVesselTree, renderVesselTree } from './fundus-vessels.ts';
import { boundaryNames, makePeripapillaryModel, peripapillaryThickness } from './oct-layers.ts';
import type { BoundaryName } from './oct-layers.ts';
import type { FluidHeights } from './oct-pathology.ts';
import {
  boundaryCount,
  computeBoundaries,
  finishFrame,
  makeChoroidTexture,
  makeScratch,
  makeSmoothTexture,
  makeSpeckleTables,
  renderAScan,
} from './oct-render.ts';
import type { AScanContext } from './oct-render.ts';
import { makeSloGeometry, generateSloPixels } from './slo-image.ts';
import type { SloPixels } from './slo-image.ts';
import { Rng } from './rng.ts';
import type { Seed } from './rng.ts';
import { round, truthSchema } from './truth.ts';
import type { CircleScanTruth, RnflSectors } from './truth.ts';
import { synthVersion } from './dicom-modules.ts';

/** Options of {@link generateOctCircleScanPixels}. */
export interface OctCircleScanOptions {
  readonly seed: Seed;
  readonly eye: Eye;
  /** A-scans around the circle (default 768). */
  readonly columns?: number;
  /** Samples per A-scan (default 496). */
  readonly rows?: number;
  /** Circle diameter (mm, default 3.46). */
  readonly diameterMm?: number;
  readonly axialSpacingUm?: number;
  /** Fractional RNFL loss of the superior and inferior bundles (glaucoma), 0–1. */
  readonly superiorLoss?: number;
  readonly inferiorLoss?: number;
  readonly anatomySeed?: string;
  readonly cupToDiscRatio?: number;
}

/** A generated circle scan. */
export interface OctCircleScanPixels {
  readonly rows: number;
  readonly columns: number;
  /** 8-bit pixels, row-major. */
  readonly pixels: Uint8Array;
  /** Boundary rows per A-scan: [column][boundary]. */
  readonly boundaries: Float32Array;
  readonly axialSpacingMm: number;
  /** Arc length between A-scans (mm). */
  readonly lateralSpacingMm: number;
  readonly diameterMm: number;
  /** The SLO image centred on the disc. */
  readonly slo: SloPixels;
  /** Path of the circle on the SLO: row, column pairs (37 points, every 10°, closed). */
  readonly sloPath: readonly number[];
  readonly anatomy: EyeAnatomy;
  readonly truth: CircleScanTruth;
}

/** TSNIT angle (degrees) of an A-scan: 0 temporal, 90 superior, 180 nasal, 270 inferior. */
export function tsnitAngle(column: number, columns: number): number {
  return (360 * (column + 0.5)) / columns;
}

/** Spectralis-style sector of a TSNIT angle. */
export function rnflSector(tsnitDeg: number): keyof RnflSectors['sectors'] {
  const a = ((tsnitDeg % 360) + 360) % 360;
  if (a >= 315 || a < 45) {
    return 'T';
  }
  if (a < 90) {
    return 'TS';
  }
  if (a < 135) {
    return 'NS';
  }
  if (a < 225) {
    return 'N';
  }
  if (a < 270) {
    return 'NI';
  }
  return 'TI';
}

/** Quadrant of a TSNIT angle (90° each, centred on T, S, N, I). */
export function rnflQuadrant(tsnitDeg: number): keyof RnflSectors['quadrants'] {
  const a = ((tsnitDeg % 360) + 360) % 360;
  if (a >= 315 || a < 45) {
    return 'T';
  }
  if (a < 135) {
    return 'S';
  }
  if (a < 225) {
    return 'N';
  }
  return 'I';
}

/**
 * Clock hour (1–12) of a TSNIT angle as seen on an upright fundus image: 12 superior; temporal is 9 for a
 * right eye and 3 for a left eye.
 */
export function rnflClockHour(tsnitDeg: number, eye: Eye): number {
  const clockDeg = eye === 'R' ? 270 + tsnitDeg : 90 - tsnitDeg;
  const hour = Math.round((((clockDeg % 360) + 360) % 360) / 30) % 12;
  return hour === 0 ? 12 : hour;
}

/** Generates a peripapillary circle scan (pixels only), deterministic for the seed. */
export function generateOctCircleScanPixels(options: OctCircleScanOptions): OctCircleScanPixels {
  const columns = options.columns ?? 768;
  const rows = options.rows ?? 496;
  const diameterMm = options.diameterMm ?? 3.46;
  const umPerRow = options.axialSpacingUm ?? 3.87;
  if (
    !Number.isInteger(columns) ||
    columns < 64 ||
    columns > 4096 ||
    !Number.isInteger(rows) ||
    rows < 128 ||
    rows > 2048
  ) {
    throw new RangeError(
      `circle scan needs 64–4096 integer columns and 128–2048 rows, got ${columns} × ${rows}`,
    );
  }
  if (!(diameterMm > 1 && diameterMm < 6)) {
    throw new RangeError(`circle diameter must be between 1 and 6 mm, got ${diameterMm}`);
  }
  const rng = new Rng(options.seed, 'oct-circle', options.eye);
  // The eye's own nerve-fibre profile comes from its anatomy seed, so that the visits of one eye differ
  // only by the glaucomatous loss (a series has a trend, not a new healthy profile at each visit).
  const anatomySeed = options.anatomySeed ?? `${String(options.seed)}/anatomy`;
  const anatomy = makeEyeAnatomy({
    seed: anatomySeed,
    eye: options.eye,
    ...(options.cupToDiscRatio === undefined ? {} : { cupToDiscRatio: options.cupToDiscRatio }),
  });
  const model = makePeripapillaryModel(new Rng(anatomySeed, 'peripapillary', options.eye), {
    superiorLoss: options.superiorLoss ?? 0,
    inferiorLoss: options.inferiorLoss ?? 0,
  });
  const disc = anatomy.discCentreMm;
  const centre = { x: disc.x + rng.normal(0, 0.03), y: disc.y + rng.normal(0, 0.03) };
  const radius = diameterMm / 2;
  const tree = growVesselTree(anatomy);
  const slo = generateSloPixels({ eye: options.eye, anatomy, tree, centreMm: disc }, rng.fork('slo'));
  // Vessel absorbance around the circle, from the tree drawn at a fine en-face scale.
  const local = makeSloGeometry(options.eye, 512, (2 * (radius + 0.3)) / 0.288, centre);
  const maps = { artery: new Float32Array(512 * 512), vein: new Float32Array(512 * 512) };
  renderVesselTree(tree, local, maps, { arteryReflex: 0, veinReflex: 0 });

  const boundaries = new Float32Array(columns * boundaryCount);
  const scratch = makeScratch(rows, umPerRow);
  const noFluid: FluidHeights = {
    inl: 0,
    onl: 0,
    inlSwelling: 0,
    onlSwelling: 0,
    srf: 0,
    ped: 0,
    diffuse: 0,
  };
  const shape = rng.fork('shape');
  const tiltPhase = shape.range(0, 2 * Math.PI);
  const tilt = shape.range(0.01, 0.05);
  const undulation = makeSmoothTexture(shape.fork('undulation'));
  const points: { x: number; y: number }[] = [];
  for (let c = 0; c < columns; c++) {
    const phi = (tsnitAngle(c, columns) * Math.PI) / 180;
    const x = centre.x - radius * Math.cos(phi);
    const y = centre.y - radius * Math.sin(phi);
    points.push({ x, y });
    const bmMm = tilt * Math.cos(phi - tiltPhase) + 0.004 * undulation(c / 40, 0.5);
    computeBoundaries(
      peripapillaryThickness(model, tsnitAngle(c, columns)),
      noFluid,
      (bmMm * 1000) / umPerRow,
      umPerRow,
      boundaries,
      c * boundaryCount,
      scratch.fluid,
    );
  }
  let minIlm = Infinity;
  for (let c = 0; c < columns; c++) {
    minIlm = Math.min(minIlm, boundaries[c * boundaryCount]!);
  }
  const shift = 0.2 * rows - minIlm + shape.range(0, 0.05 * rows);
  for (let i = 0; i < boundaries.length; i++) {
    boundaries[i] = Math.round((boundaries[i]! + shift) * 100) / 100;
  }

  const clean = new Float32Array(rows * columns);
  const context: AScanContext = {
    vessel: 0,
    rnflGain: 1,
    choroid: makeChoroidTexture(rng.fork('choroid')),
    lateralMm: 0,
    frameKey: 0,
  };
  const arc = (Math.PI * diameterMm) / columns;
  for (let c = 0; c < columns; c++) {
    const at = c * boundaryCount;
    const bm = boundaries[at + 9]!;
    // No fluid: empty intervals at the natural positions.
    scratch.fluid.fill(boundaries[at + 3]!, 0, 2);
    scratch.fluid.fill(boundaries[at + 5]!, 2, 4);
    scratch.fluid[4] = boundaries[at + 8]!;
    scratch.fluid[5] = boundaries[at + 8]!;
    scratch.fluid[6] = bm;
    scratch.fluid[7] = bm;
    const point = points[c]!;
    const px = Math.round(local.foveaX + local.nasalSign * point.x * local.pxPerMm);
    const py = Math.round(local.foveaY + point.y * local.pxPerMm);
    const inside = px >= 0 && py >= 0 && px < 512 && py < 512;
    const vessel = inside
      ? Math.min(1, 1.3 * Math.max(maps.artery[py * 512 + px]!, maps.vein[py * 512 + px]!))
      : 0;
    context.vessel = vessel;
    context.rnflGain = 1;
    context.lateralMm = c * arc;
    context.frameKey = 0;
    renderAScan(boundaries, at, scratch, context);
    clean.set(scratch.column, c * rows);
  }
  const pixels = new Uint8Array(rows * columns);
  finishFrame(clean, rows, columns, makeSpeckleTables(rng.fork('speckle')), rng.fork('noise'), pixels, 0, {
    gain: rng.range(0.8, 1.0),
    floor: 2.5e-5,
  });

  const sloPath: number[] = [];
  for (let k = 0; k <= 36; k++) {
    const phi = (k * 10 * Math.PI) / 180;
    const x = centre.x - radius * Math.cos(phi);
    const y = centre.y - radius * Math.sin(phi);
    sloPath.push(
      round(slo.geometry.foveaY + y * slo.geometry.pxPerMm, 3),
      round(slo.geometry.foveaX + slo.geometry.nasalSign * x * slo.geometry.pxPerMm, 3),
    );
  }
  const truth = buildCircleTruth(
    options,
    columns,
    rows,
    umPerRow,
    diameterMm,
    boundaries,
    slo,
    sloPath,
    centre,
  );
  return {
    rows,
    columns,
    pixels,
    boundaries,
    axialSpacingMm: umPerRow / 1000,
    lateralSpacingMm: arc,
    diameterMm,
    slo,
    sloPath,
    anatomy,
    truth,
  };
}

function buildCircleTruth(
  options: OctCircleScanOptions,
  columns: number,
  rows: number,
  umPerRow: number,
  diameterMm: number,
  boundaries: Float32Array,
  slo: SloPixels,
  sloPath: readonly number[],
  centre: { readonly x: number; readonly y: number },
): CircleScanTruth {
  const rnfl: number[] = [];
  const quadrantSums = { T: [0, 0], S: [0, 0], N: [0, 0], I: [0, 0] };
  const sectorSums = { T: [0, 0], TS: [0, 0], NS: [0, 0], N: [0, 0], NI: [0, 0], TI: [0, 0] };
  const clockSums = Array.from({ length: 12 }, () => [0, 0]);
  let total = 0;
  for (let c = 0; c < columns; c++) {
    const at = c * boundaryCount;
    const thickness = (boundaries[at + 1]! - boundaries[at]!) * umPerRow;
    rnfl.push(round(thickness, 3));
    total += thickness;
    const angle = tsnitAngle(c, columns);
    const q = quadrantSums[rnflQuadrant(angle)];
    q[0]! += thickness;
    q[1]! += 1;
    const s = sectorSums[rnflSector(angle)];
    s[0]! += thickness;
    s[1]! += 1;
    const h = clockSums[rnflClockHour(angle, options.eye) - 1]!;
    h[0]! += thickness;
    h[1]! += 1;
  }
  const mean = (pair: number[]): number => round(pair[0]! / Math.max(1, pair[1]!), 3);
  const perBoundary = Object.fromEntries(
    boundaryNames.map((name, b) => {
      const values: number[] = [];
      for (let c = 0; c < columns; c++) {
        values.push(boundaries[c * boundaryCount + b]!);
      }
      return [name, values];
    }),
  ) as Record<BoundaryName, number[]>;
  return {
    schema: truthSchema,
    kind: 'oct-circle-scan',
    generator: `fovea-synth@${synthVersion}`,
    seed: String(options.seed),
    eye: options.eye,
    geometry: {
      columns,
      rows,
      axialSpacingUm: umPerRow,
      diameterMm,
      lateralSpacingMm: round((Math.PI * diameterMm) / columns, 6),
      centreMm: { x: round(centre.x, 4), y: round(centre.y, 4) },
      columnOrder: 'TSNIT: temporal, superior, nasal, inferior, temporal',
      boundaryRowConvention: 'row 0 is the top edge of the first row; a voxel row r spans [r, r + 1)',
    },
    boundaryNames: [...boundaryNames],
    boundaries: perBoundary,
    rnfl: {
      definition: 'ILM to the outer RNFL boundary (RNFL-GCL)',
      perAScanUm: rnfl,
      averageUm: round(total / columns, 3),
      quadrants: {
        T: mean(quadrantSums.T),
        S: mean(quadrantSums.S),
        N: mean(quadrantSums.N),
        I: mean(quadrantSums.I),
      },
      sectors: {
        T: mean(sectorSums.T),
        TS: mean(sectorSums.TS),
        NS: mean(sectorSums.NS),
        N: mean(sectorSums.N),
        NI: mean(sectorSums.NI),
        TI: mean(sectorSums.TI),
      },
      clockHours: clockSums.map((pair) => mean(pair)),
    },
    glaucoma: { superiorLoss: options.superiorLoss ?? 0, inferiorLoss: options.inferiorLoss ?? 0 },
    slo: {
      size: slo.size,
      pixelSpacingMm: round(slo.pixelSpacingMm, 6),
      fieldOfViewDeg: slo.fieldOfViewDeg,
      pathRowColumn: sloPath,
    },
  };
}
