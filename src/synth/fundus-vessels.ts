/**
 * The retinal vessel tree: arteries and veins leave the optic disc, the temporal arcades arch around the
 * macula (guided along parabolas with their vertex at the disc), nasal vessels fan out radially, and every
 * vessel branches with calibres following Murray's law (r³ = r₁³ + r₂³) until capillary size. Vessels stop
 * at the foveal avascular zone and do not cross the temporal horizontal raphe.
 * The tree lives in the retinal frame (mm) and is rendered to any image scale.
 */
import type { EyeAnatomy, FundusGeometry } from './fundus-anatomy.ts';
import { Rng } from './rng.ts';

/** Artery or vein. */
export type VesselKind = 'artery' | 'vein';

/** Calibre modulation (venous beading) over a stretch of a vessel, in point indices. */
export interface VesselBeading {
  readonly from: number;
  readonly to: number;
  /** Bead period (mm). */
  readonly periodMm: number;
  /** Relative calibre increase at the bead centres. */
  readonly amplitude: number;
}

/** One vessel: a polyline with a radius at every point. */
export interface Vessel {
  readonly kind: VesselKind;
  readonly generation: number;
  /** x, y (mm, retinal frame) and radius (mm), interleaved. */
  readonly points: Float64Array;
  /** Venous beading applied to this vessel, if any. */
  beading?: VesselBeading;
}

/** A vessel tree. */
export interface VesselTree {
  readonly vessels: Vessel[];
}

/** Radius (mm) below which vessels are not grown (about 16 µm diameter). */
const minRadiusMm = 0.0075;
/** Radius of the foveal avascular zone (mm). */
const fazRadiusMm = 0.28;
/** Maximum distance from the fovea (mm) a vessel grows to. */
const domainRadiusMm = 10.5;

type Guide =
  | { readonly kind: 'arcade'; readonly c: number; readonly p: number; readonly side: number }
  | { readonly kind: 'radial' }
  | { readonly kind: 'macular' }
  | { readonly kind: 'raphe' }
  | { readonly kind: 'free' };

interface Sprout {
  x: number;
  y: number;
  angle: number;
  radius: number;
  kind: VesselKind;
  generation: number;
  guide: Guide;
  /** -1 superior, +1 inferior: the hemisphere the vessel belongs to (for the raphe). */
  hemisphere: number;
  /** Id of the parent vessel (-1 for trunks). */
  parent?: number;
}

function wrapAngle(angle: number): number {
  let a = angle;
  while (a > Math.PI) {
    a -= 2 * Math.PI;
  }
  while (a < -Math.PI) {
    a += 2 * Math.PI;
  }
  return a;
}

/** Grows the vessel tree of one eye (deterministic for the eye's vessel seed). */
export function growVesselTree(anatomy: EyeAnatomy): VesselTree {
  const rng = new Rng(anatomy.vesselSeed, 'tree');
  const disc = anatomy.discCentreMm;
  const queue: Sprout[] = [];
  for (const side of [-1, 1]) {
    const veinC = rng.range(2.3, 2.9);
    const veinP = rng.range(0.17, 0.24);
    queue.push({
      x: disc.x + rng.range(-0.05, 0.05),
      y: disc.y + side * 0.05,
      angle: Math.atan2(side, -rng.range(0.15, 0.45)),
      radius: rng.range(0.062, 0.072),
      kind: 'vein',
      generation: 0,
      guide: { kind: 'arcade', c: veinC, p: veinP, side },
      hemisphere: side,
    });
    queue.push({
      x: disc.x + rng.range(0.03, 0.12),
      y: disc.y + side * 0.05,
      angle: Math.atan2(side, -rng.range(0.1, 0.5)),
      radius: rng.range(0.047, 0.055),
      kind: 'artery',
      generation: 0,
      guide: {
        kind: 'arcade',
        c: veinC + (rng.chance(0.5) ? 1 : -1) * rng.range(0.25, 0.6),
        p: veinP + rng.range(-0.03, 0.03),
        side,
      },
      hemisphere: side,
    });
    for (const kind of ['vein', 'artery'] as const) {
      queue.push({
        x: disc.x + rng.range(0, 0.1),
        y: disc.y + side * 0.08,
        angle: Math.atan2(side * rng.range(0.7, 1.2), rng.range(0.35, 0.7)),
        radius: kind === 'vein' ? rng.range(0.05, 0.058) : rng.range(0.04, 0.046),
        kind,
        generation: 0,
        guide: { kind: 'radial' },
        hemisphere: side,
      });
      queue.push({
        x: disc.x + rng.range(0.02, 0.12),
        y: disc.y + side * rng.range(0.03, 0.12),
        angle: Math.atan2(side * rng.range(0.05, 0.3), 1),
        radius: kind === 'vein' ? rng.range(0.028, 0.036) : rng.range(0.022, 0.03),
        kind,
        generation: 1,
        guide: { kind: 'radial' },
        hemisphere: side,
      });
      // Papillomacular vessels: small, from the temporal disc margin towards the fovea.
      queue.push({
        x: disc.x - rng.range(0.05, 0.2),
        y: disc.y + side * rng.range(0.03, 0.15),
        angle: Math.PI - side * rng.range(0.05, 0.35),
        radius: kind === 'vein' ? rng.range(0.018, 0.024) : rng.range(0.014, 0.02),
        kind,
        generation: 1,
        guide: { kind: 'macular' },
        hemisphere: side,
      });
    }
  }

  const vessels: Vessel[] = [];
  const occupancy: Occupancy = {
    artery: new Int32Array(gridCells * gridCells).fill(-1),
    vein: new Int32Array(gridCells * gridCells).fill(-1),
  };
  let totalPoints = 0;
  let id = 0;
  while (queue.length > 0 && totalPoints < 70_000) {
    const sprout = queue.shift()!;
    const vessel = growVessel(sprout, id++, anatomy, rng, queue, occupancy);
    totalPoints += vessel.points.length / 3;
    if (vessel.points.length >= 6) {
      vessels.push(vessel);
    }
  }
  return { vessels };
}

/** Occupancy grid (0.2 mm cells over ±11 mm): which vessel of each kind first passed through a cell. */
interface Occupancy {
  readonly artery: Int32Array;
  readonly vein: Int32Array;
}

const gridCellMm = 0.2;
const gridHalfMm = 11;
const gridCells = Math.ceil((2 * gridHalfMm) / gridCellMm);

function cellIndex(x: number, y: number): number {
  const cx = Math.floor((x + gridHalfMm) / gridCellMm);
  const cy = Math.floor((y + gridHalfMm) / gridCellMm);
  if (cx < 0 || cy < 0 || cx >= gridCells || cy >= gridCells) {
    return -1;
  }
  return cy * gridCells + cx;
}

/** Whether a point is occupied by another vessel of the same kind. */
function occupiedByOther(grid: Int32Array, x: number, y: number, self: number, parent: number): boolean {
  const index = cellIndex(x, y);
  if (index < 0) {
    return true;
  }
  const owner = grid[index]!;
  return owner >= 0 && owner !== self && owner !== parent;
}

function growVessel(
  sprout: Sprout,
  self: number,
  anatomy: EyeAnatomy,
  rng: Rng,
  queue: Sprout[],
  occupancy: Occupancy,
): Vessel {
  const disc = anatomy.discCentreMm;
  const grid = occupancy[sprout.kind];
  const parent = sprout.parent ?? -1;
  const points: number[] = [];
  let { x, y, angle, radius } = sprout;
  let guide = sprout.guide;
  let curvature = 0;
  let travelled = 0;
  let length = 0;
  let nextBranch = rng.range(0.3, 1.0) * (0.5 + 12 * radius);
  let branchSide = rng.chance(0.5) ? 1 : -1;
  const trunk = sprout.generation === 0;
  const tortuosity = trunk ? 0.5 : 1.8 + 80 * Math.max(0, 0.03 - radius);
  points.push(x, y, radius);
  for (let steps = 0; steps < 4000; steps++) {
    const step = Math.min(0.05, Math.max(0.015, radius * 1.1));
    // Desired direction from the guide.
    let desired: number;
    let pull: number;
    if (guide.kind === 'arcade') {
      // Target curve: |v| = c·u^p (u temporal distance from the disc, v vertical offset): vertical at the
      // disc, arching over the macula, nearly horizontal in the temporal periphery.
      const u = Math.max(disc.x - x, 0.02);
      const v = Math.abs(y - disc.y);
      const target = guide.c * u ** guide.p;
      const slope = guide.c * guide.p * u ** (guide.p - 1);
      const error = v - target;
      desired = Math.atan2(guide.side * Math.max(0.02, slope - 1.5 * error), -1);
      pull = 0.35;
      if (x < -5.5) {
        guide = { kind: 'free' };
      }
    } else if (guide.kind === 'radial') {
      desired = Math.atan2(y - disc.y, x - disc.x);
      pull = 0.05;
    } else if (guide.kind === 'macular') {
      desired = Math.atan2(-y, -x);
      pull = 0.06;
    } else if (guide.kind === 'raphe') {
      // Temporal to the fovea, vessels from both arcades run towards the horizontal raphe.
      const gap = Math.abs(y);
      desired = Math.atan2(-Math.sign(y) * Math.min(1, gap / 2.5), -1);
      pull = 0.05;
    } else {
      const ox = x - disc.x;
      const oy = y - disc.y;
      const od = Math.hypot(ox, oy) || 1;
      let fx = ox / od;
      let fy = oy / od;
      if (x < disc.x) {
        const fd = Math.hypot(x, y) || 1;
        fx += x / fd;
        fy += y / fd;
      }
      desired = Math.atan2(fy, fx);
      pull = 0.02;
    }
    // Turn away from space already served by another vessel of the same kind.
    if (!trunk && length > 0.3) {
      const probe = 0.35;
      const left = occupiedByOther(
        grid,
        x + probe * Math.cos(angle - 0.6),
        y + probe * Math.sin(angle - 0.6),
        self,
        parent,
      );
      const right = occupiedByOther(
        grid,
        x + probe * Math.cos(angle + 0.6),
        y + probe * Math.sin(angle + 0.6),
        self,
        parent,
      );
      if (left !== right) {
        desired = angle + (left ? 0.7 : -0.7);
        pull = Math.max(pull, 0.25);
      }
    }
    // Stay on the own side of the temporal raphe.
    if (x < -0.2 && y * sprout.hemisphere < 0.25) {
      desired = Math.atan2(sprout.hemisphere * 0.8, -0.6);
      pull = 0.5;
    }
    const foveaDistance = Math.hypot(x, y);
    if (foveaDistance < fazRadiusMm + 0.35 && guide.kind !== 'macular') {
      desired = Math.atan2(y, x);
      pull = 0.4;
    }
    if (guide.kind === 'macular' && foveaDistance < 1.2) {
      // Perifoveal capillaries run straight in and end at the avascular zone.
      curvature = 0;
      pull = 0.3;
    }
    curvature = curvature * 0.8 + rng.normal(0, 0.9 * tortuosity) * Math.sqrt(step);
    angle = wrapAngle(angle + pull * wrapAngle(desired - angle) + curvature * step);
    x += step * Math.cos(angle);
    y += step * Math.sin(angle);
    travelled += step;
    length += step;
    radius *= 1 - step / (trunk ? 60 : 4 + 220 * radius);
    points.push(x, y, radius);

    if (
      radius < minRadiusMm ||
      Math.hypot(x, y) > domainRadiusMm ||
      Math.hypot(x, y) < fazRadiusMm + (guide.kind === 'macular' ? rng.range(0.05, 0.45) : 0) ||
      (x < -0.2 && y * sprout.hemisphere < 0)
    ) {
      break;
    }
    const cell = cellIndex(x, y);
    if (cell >= 0) {
      const owner = grid[cell]!;
      if (owner < 0) {
        grid[cell] = self;
      } else if (owner !== self && owner !== parent && !trunk && length > 0.3 && radius < 0.025) {
        // A small vessel reaching tissue already supplied by another: it ends here.
        break;
      }
    }
    if (travelled >= nextBranch) {
      travelled = 0;
      nextBranch = rng.range(0.5, 1.4) * (trunk ? 0.7 : 0.5 + 12 * radius);
      const symmetric = rng.chance(0.18);
      const ratio = trunk
        ? rng.chance(0.25)
          ? rng.range(0.6, 0.8)
          : rng.range(0.28, 0.5)
        : symmetric
          ? rng.range(0.75, 0.85)
          : rng.range(0.4, 0.7);
      const daughter = radius * ratio;
      if (daughter >= minRadiusMm * 1.3) {
        branchSide = guide.kind === 'arcade' ? -branchSide : rng.chance(0.5) ? 1 : -1;
        const daughterAngle = wrapAngle(angle + branchSide * rng.range(0.55, 1.3));
        const ahead = 0.4;
        if (
          !occupiedByOther(
            grid,
            x + ahead * Math.cos(daughterAngle),
            y + ahead * Math.sin(daughterAngle),
            self,
            -1,
          )
        ) {
          radius = Math.cbrt(Math.max(radius ** 3 - daughter ** 3, (minRadiusMm * 0.9) ** 3));
          const towardsFovea = Math.atan2(-y, -x);
          const macular =
            Math.hypot(x, y) < 4.8 &&
            Math.abs(wrapAngle(daughterAngle - towardsFovea)) < 1.0 &&
            x < disc.x - 0.8;
          const raphe = !macular && x < 0.3 && Math.sin(daughterAngle) * Math.sign(y) < 0;
          queue.push({
            x,
            y,
            angle: daughterAngle,
            radius: daughter,
            kind: sprout.kind,
            generation: sprout.generation + 1,
            guide: macular ? { kind: 'macular' } : raphe ? { kind: 'raphe' } : { kind: 'free' },
            hemisphere: y < 0 ? -1 : 1,
            parent: self,
          });
        }
      }
    }
  }
  return { kind: sprout.kind, generation: sprout.generation, points: Float64Array.from(points) };
}

/** Absorbance maps of a rendered vessel tree: one per vessel kind, one value per pixel. */
export interface VesselMaps {
  readonly artery: Float32Array;
  readonly vein: Float32Array;
}

/** How the tree is drawn into an image. */
export interface VesselRenderOptions {
  /** Strength of the central light reflex on arteries (0–1). */
  readonly arteryReflex?: number;
  /** Strength of the central light reflex on veins (0–1). */
  readonly veinReflex?: number;
  /** Only vessels with at least this radius in pixels are drawn (default 0.25). */
  readonly minRadiusPx?: number;
}

/**
 * Renders vessels as absorbance (path length through blood, saturating with diameter) into per-kind maps,
 * taking the maximum where segments overlap.
 */
export function renderVesselTree(
  tree: VesselTree,
  geometry: FundusGeometry,
  maps: VesselMaps,
  options: VesselRenderOptions = {},
): void {
  for (const vessel of tree.vessels) {
    renderVessel(vessel, geometry, vessel.kind === 'artery' ? maps.artery : maps.vein, {
      reflex: vessel.kind === 'artery' ? (options.arteryReflex ?? 0.35) : (options.veinReflex ?? 0.12),
      minRadiusPx: options.minRadiusPx ?? 0.25,
    });
  }
}

/** Absorbance of a vessel of a diameter (mm): saturates for large vessels. */
export function vesselDensity(diameterMm: number): number {
  return 1 - Math.exp(-((diameterMm / 0.07) ** 1.5));
}

/** Renders one vessel polyline into a map (max blending). */
export function renderVessel(
  vessel: Vessel,
  geometry: FundusGeometry,
  map: Float32Array,
  options: { readonly reflex: number; readonly minRadiusPx: number },
): void {
  const p = vessel.points;
  const scale = geometry.pxPerMm;
  const beading = vessel.beading;
  let along = 0;
  for (let i = 0; i + 5 < p.length; i += 3) {
    const index = i / 3;
    const x0 = geometry.foveaX + geometry.nasalSign * p[i]! * scale;
    const y0 = geometry.foveaY + p[i + 1]! * scale;
    const x1 = geometry.foveaX + geometry.nasalSign * p[i + 3]! * scale;
    const y1 = geometry.foveaY + p[i + 4]! * scale;
    let r0 = p[i + 2]!;
    let r1 = p[i + 5]!;
    const segment = Math.hypot(p[i + 3]! - p[i]!, p[i + 4]! - p[i + 1]!);
    if (beading !== undefined && index >= beading.from && index < beading.to) {
      const phase0 = (2 * Math.PI * along) / beading.periodMm;
      const phase1 = (2 * Math.PI * (along + segment)) / beading.periodMm;
      r0 *= 1 + beading.amplitude * Math.max(0, Math.sin(phase0)) ** 2 - 0.25 * beading.amplitude;
      r1 *= 1 + beading.amplitude * Math.max(0, Math.sin(phase1)) ** 2 - 0.25 * beading.amplitude;
    }
    along += segment;
    drawCapsule(
      map,
      geometry.width,
      geometry.height,
      x0,
      y0,
      r0 * scale,
      x1,
      y1,
      r1 * scale,
      options,
      r0,
      r1,
    );
  }
}

/** Draws a tapered capsule (one polyline segment) with a cylindrical absorbance profile. */
export function drawCapsule(
  map: Float32Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  r0Px: number,
  x1: number,
  y1: number,
  r1Px: number,
  options: { readonly reflex: number; readonly minRadiusPx: number },
  r0Mm: number,
  r1Mm: number,
): void {
  if (Math.max(r0Px, r1Px) < options.minRadiusPx) {
    return;
  }
  const reach = Math.max(r0Px, r1Px, 0.8) + 1.5;
  const minX = Math.max(0, Math.floor(Math.min(x0, x1) - reach));
  const maxX = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + reach));
  const minY = Math.max(0, Math.floor(Math.min(y0, y1) - reach));
  const maxY = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + reach));
  if (minX > maxX || minY > maxY) {
    return;
  }
  const dx = x1 - x0;
  const dy = y1 - y0;
  const lengthSq = dx * dx + dy * dy;
  const inverseLengthSq = lengthSq > 0 ? 1 / lengthSq : 0;
  const d0 = vesselDensity(2 * r0Mm);
  const dd = vesselDensity(2 * r1Mm) - d0;
  const dr = r1Px - r0Px;
  // Quick rejection radius: the widest profile of the segment.
  const maxOuter = Math.max(r0Px, r1Px, 0.8) + 0.9;
  const maxOuterSq = maxOuter * maxOuter;
  const reflex = options.reflex;
  for (let py = minY; py <= maxY; py++) {
    const row = py * width;
    const ry = py - y0;
    for (let px = minX; px <= maxX; px++) {
      const rx = px - x0;
      let t = (rx * dx + ry * dy) * inverseLengthSq;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const ex = rx - t * dx;
      const ey = ry - t * dy;
      const distanceSq = ex * ex + ey * ey;
      if (distanceSq >= maxOuterSq) {
        continue;
      }
      const radius = r0Px + dr * t;
      // Thin vessels are spread over at least ~0.8 px, keeping their integrated absorbance.
      const thin = radius < 0.8;
      const outer = (thin ? 0.8 : radius) + 0.9;
      const uSq = distanceSq / (outer * outer);
      if (uSq >= 1) {
        continue;
      }
      let value = Math.sqrt(1 - uSq) * (thin ? radius / 0.8 : 1);
      if (reflex > 0 && radius > 2) {
        const c2 = distanceSq / (0.09 * radius * radius);
        value *= 1 - reflex * Math.exp(-c2);
      }
      value *= d0 + dd * t;
      const index = row + px;
      if (value > map[index]!) {
        map[index] = value;
      }
    }
  }
}
