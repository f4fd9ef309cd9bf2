/**
 * Diabetic retinopathy lesions at known positions, chosen per ICDR level (Wilkinson 2003): microaneurysms,
 * dot/blot haemorrhages by quadrant (enough to satisfy the 4-2-1 rule at level 3), hard exudates (within
 * one disc diameter of the fovea for DME), cotton-wool spots, venous beading, IRMA, new vessels at the disc
 * or elsewhere, pre-retinal and vitreous haemorrhage.
 * See standards-reference §B.1 (ICDR) and §B.2 (DME).
 */
import { fundusQuadrants, insideField, quadrantOf, toPixelX, toPixelY } from './fundus-anatomy.ts';
import type { EyeAnatomy, FundusGeometry, FundusQuadrant } from './fundus-anatomy.ts';
import type { Vessel, VesselTree } from './fundus-vessels.ts';
import type { Rng } from './rng.ts';

/** ICDR severity level: 0 none, 1 mild, 2 moderate, 3 severe NPDR, 4 PDR. */
export type IcdrLevel = 0 | 1 | 2 | 3 | 4;

/** Lesion types drawn at known positions. */
export type FundusLesionType =
  | 'microaneurysm'
  | 'haemorrhage'
  | 'hard-exudate'
  | 'cotton-wool-spot'
  | 'irma'
  | 'nvd'
  | 'nve'
  | 'preretinal-haemorrhage';

/** Label values of the lesion mask (one byte per pixel). */
export const lesionLabels = {
  none: 0,
  microaneurysm: 1,
  haemorrhage: 2,
  'hard-exudate': 3,
  'cotton-wool-spot': 4,
  irma: 5,
  nvd: 6,
  nve: 7,
  'preretinal-haemorrhage': 8,
} as const satisfies Record<FundusLesionType | 'none', number>;

/** One lesion with its position in pixels and in the retinal frame. */
export interface FundusLesion {
  readonly id: number;
  readonly type: FundusLesionType;
  /** Haemorrhage shape: round dot, irregular blot, or flame (elongated along the nerve fibres). */
  readonly subtype?: 'dot' | 'blot' | 'flame';
  /** Flame haemorrhages: orientation of the long axis in the image (radians). */
  readonly angle?: number;
  /** Flame haemorrhages: length / width. */
  readonly elongation?: number;
  /** Relative optical density (0.5–1.2). */
  readonly density?: number;
  /** Centre (pixels). */
  readonly x: number;
  readonly y: number;
  readonly radiusPx: number;
  /** Centre in the retinal frame (mm, x nasal, y inferior, origin fovea). */
  readonly xMm: number;
  readonly yMm: number;
  readonly radiusMm: number;
  readonly quadrant: FundusQuadrant;
  readonly distanceToFoveaMm: number;
  readonly distanceToFoveaDiscDiameters: number;
}

/** Venous beading on one vein. */
export interface VenousBeading {
  readonly quadrant: FundusQuadrant;
  /** Start and end of the beaded stretch (pixels). */
  readonly fromX: number;
  readonly fromY: number;
  readonly toX: number;
  readonly toY: number;
}

/** Diffuse vitreous haemorrhage (a haze over part of the field). */
export interface VitreousHaemorrhage {
  /** Centre and radius of the hazy region (pixels). */
  readonly x: number;
  readonly y: number;
  readonly radiusPx: number;
  /** Peak opacity (0–1). */
  readonly density: number;
}

/** Which 4-2-1 criteria a level-3 image is built to satisfy. */
export type SevereCriterion = 'haemorrhages-4-quadrants' | 'venous-beading-2-quadrants' | 'irma-1-quadrant';

/** What to draw, decided before rendering. */
export interface LesionPlan {
  readonly lesions: FundusLesion[];
  /** IRMA and new vessels, drawn like vessels. */
  readonly extraVessels: Vessel[];
  readonly beading: VenousBeading[];
  readonly vitreous?: VitreousHaemorrhage;
  /** The 4-2-1 criteria the plan was built to meet (level 3; none for other levels). */
  readonly severeCriteria: readonly SevereCriterion[];
  readonly dme: { readonly present: boolean; readonly centreInvolved: boolean };
}

/** Options of {@link planLesions}. */
export interface LesionOptions {
  readonly icdr: IcdrLevel;
  readonly dme: boolean;
  /** Centre-involved DME (exudates within 500 µm of the foveal centre); default random when DME. */
  readonly dmeCentreInvolved?: boolean;
  /** Level 3 only: which 4-2-1 criteria to satisfy (default: haemorrhages, plus IRMA and/or beading). */
  readonly severeCriteria?: readonly SevereCriterion[];
  /** Level 4 only: which proliferative signs to draw (default: NVD or NVE, maybe pre-retinal haemorrhage). */
  readonly proliferative?: {
    readonly nvd?: boolean;
    readonly nve?: boolean;
    readonly preretinalHaemorrhage?: boolean;
    readonly vitreousHaemorrhage?: boolean;
  };
}

interface PlanContext {
  readonly rng: Rng;
  readonly anatomy: EyeAnatomy;
  readonly geometry: FundusGeometry;
  readonly discDiameterMm: number;
  readonly placed: FundusLesion[];
  /** Vessel absorbance (artery + vein) to keep red lesions off large vessels. */
  readonly vesselDensity: (x: number, y: number) => number;
}

/**
 * Chooses venous beading before the vessels are rendered (it changes vein calibres). Returns the beaded
 * stretches; the vessels are modified in place.
 */
export function planVenousBeading(
  rng: Rng,
  tree: VesselTree,
  geometry: FundusGeometry,
  quadrants: readonly FundusQuadrant[],
): VenousBeading[] {
  const result: VenousBeading[] = [];
  /** Stretches of veins (point index ranges) lying in a quadrant, inside the field, wider than a radius. */
  const stretches = (quadrant: FundusQuadrant, minRadius: number, minPoints: number) => {
    const found: { vessel: Vessel; from: number; to: number }[] = [];
    for (const vessel of tree.vessels) {
      if (vessel.kind !== 'vein' || vessel.beading !== undefined) {
        continue;
      }
      const p = vessel.points;
      let start = -1;
      for (let i = 0; i <= p.length / 3; i++) {
        const ok =
          i < p.length / 3 &&
          p[3 * i + 2]! > minRadius &&
          quadrantOf(p[3 * i]!, p[3 * i + 1]!) === quadrant &&
          Math.hypot(p[3 * i]!, p[3 * i + 1]!) > 1.5 &&
          insideField(
            geometry,
            toPixelX(geometry, p[3 * i]!),
            toPixelY(geometry, p[3 * i + 1]!),
            0.08 * geometry.fieldRadius,
          );
        if (ok && start < 0) {
          start = i;
        } else if (!ok && start >= 0) {
          if (i - start >= minPoints) {
            found.push({ vessel, from: start, to: i - 1 });
          }
          start = -1;
        }
      }
    }
    return found;
  };
  for (const quadrant of quadrants) {
    // Prefer a large vein; fall back to smaller ones so a requested quadrant is never left out.
    let candidates = stretches(quadrant, 0.018, 30);
    if (candidates.length === 0) {
      candidates = stretches(quadrant, 0.01, 20);
    }
    if (candidates.length === 0) {
      throw new Error(`no vein found for venous beading in the ${quadrant} quadrant`);
    }
    const chosen = rng.pick(candidates);
    const length = Math.min(chosen.to - chosen.from, Math.floor(rng.range(30, 70)));
    const from = chosen.from + Math.floor(rng.float() * (chosen.to - chosen.from - length));
    const to = from + length;
    const vessel = chosen.vessel;
    vessel.beading = { from, to, periodMm: rng.range(0.22, 0.34), amplitude: rng.range(0.7, 1.0) };
    result.push({
      quadrant,
      fromX: round2(toPixelX(geometry, vessel.points[3 * from]!)),
      fromY: round2(toPixelY(geometry, vessel.points[3 * from + 1]!)),
      toX: round2(toPixelX(geometry, vessel.points[3 * to]!)),
      toY: round2(toPixelY(geometry, vessel.points[3 * to + 1]!)),
    });
  }
  return result;
}

/** Decides the 4-2-1 criteria of a level-3 image (deterministic for the generator). */
export function chooseSevereCriteria(rng: Rng, options: LesionOptions): readonly SevereCriterion[] {
  if (options.icdr !== 3) {
    return [];
  }
  if (options.severeCriteria !== undefined && options.severeCriteria.length > 0) {
    return options.severeCriteria;
  }
  const criteria: SevereCriterion[] = ['haemorrhages-4-quadrants'];
  if (rng.chance(0.5)) {
    criteria.push('irma-1-quadrant');
  }
  if (rng.chance(0.4)) {
    criteria.push('venous-beading-2-quadrants');
  }
  return criteria;
}

/** Places the lesions of one image. The vessel tree must already be rendered (density lookup). */
export function planLesions(
  rng: Rng,
  anatomy: EyeAnatomy,
  geometry: FundusGeometry,
  tree: VesselTree,
  options: LesionOptions,
  severeCriteria: readonly SevereCriterion[],
  beading: VenousBeading[],
  vesselDensity: (x: number, y: number) => number,
): LesionPlan {
  if (options.dme && options.icdr < 2) {
    throw new RangeError('DME (hard exudates) implies at least moderate NPDR (ICDR 2)');
  }
  const context: PlanContext = {
    rng,
    anatomy,
    geometry,
    discDiameterMm: (anatomy.discWidthMm + anatomy.discHeightMm) / 2,
    placed: [],
    vesselDensity,
  };
  const extraVessels: Vessel[] = [];
  let vitreous: VitreousHaemorrhage | undefined;
  const { icdr } = options;
  const centreInvolved = options.dme && (options.dmeCentreInvolved ?? rng.chance(0.5));

  if (icdr >= 1) {
    const count = icdr === 1 ? rng.int(2, 10) : icdr === 2 ? rng.int(8, 22) : rng.int(18, 35);
    for (let i = 0; i < count; i++) {
      placeMicroaneurysm(context);
    }
  }
  if (icdr >= 2) {
    const fourQuadrants = severeCriteria.includes('haemorrhages-4-quadrants');
    for (const quadrant of fundusQuadrants) {
      const count =
        icdr === 2
          ? rng.int(0, 4)
          : icdr === 3
            ? fourQuadrants
              ? rng.int(21, 27)
              : rng.int(6, 14)
            : rng.int(5, 14);
      for (let i = 0; i < count; i++) {
        placeHaemorrhage(context, quadrant, icdr === 2 ? 0.3 : 0.55);
      }
    }
    if (icdr === 2 && !context.placed.some((lesion) => lesion.type === 'haemorrhage')) {
      placeHaemorrhage(context, rng.pick(fundusQuadrants), 0.2);
    }
    const cottonWool = icdr === 2 ? rng.int(0, 2) : rng.int(2, 5);
    for (let i = 0; i < cottonWool; i++) {
      placeCottonWoolSpot(context);
    }
    const exudateClusters = options.dme ? 0 : icdr === 2 ? rng.int(0, 1) : rng.int(0, 2);
    for (let i = 0; i < exudateClusters; i++) {
      placeExudateCluster(context, undefined);
    }
  }
  if (options.dme) {
    placeMacularExudates(context, centreInvolved);
  }
  if (icdr === 3 && severeCriteria.includes('irma-1-quadrant')) {
    const quadrant = rng.pick(fundusQuadrants);
    placeIrma(context, quadrant, extraVessels);
  }
  if (icdr === 4) {
    const wanted = options.proliferative ?? {};
    let nvd = wanted.nvd ?? false;
    let nve = wanted.nve ?? false;
    if (wanted.nvd === undefined && wanted.nve === undefined) {
      nvd = rng.chance(0.6);
      nve = !nvd || rng.chance(0.4);
    }
    if (nvd) {
      placeNewVessels(context, 'nvd', extraVessels);
    }
    if (nve) {
      placeNewVessels(context, 'nve', extraVessels);
    }
    if (wanted.preretinalHaemorrhage ?? rng.chance(0.35)) {
      placePreretinalHaemorrhage(context);
    }
    if (wanted.vitreousHaemorrhage === true) {
      vitreous = {
        x: toPixelX(geometry, rng.range(-2, 3)),
        y: toPixelY(geometry, rng.range(1.5, 4)),
        radiusPx: geometry.fieldRadius * rng.range(0.55, 0.75),
        density: rng.range(0.7, 0.85),
      };
    }
  }
  return {
    lesions: context.placed,
    extraVessels,
    beading,
    ...(vitreous === undefined ? {} : { vitreous }),
    severeCriteria,
    dme: { present: options.dme, centreInvolved },
  };
}

function addLesion(
  context: PlanContext,
  type: FundusLesionType,
  xMm: number,
  yMm: number,
  radiusMm: number,
  shape: { subtype?: 'dot' | 'blot' | 'flame'; angle?: number; elongation?: number; density?: number } = {},
): FundusLesion {
  const { geometry } = context;
  const distance = Math.hypot(xMm, yMm);
  const lesion: FundusLesion = {
    id: context.placed.length + 1,
    type,
    ...(shape.subtype === undefined ? {} : { subtype: shape.subtype }),
    ...(shape.angle === undefined ? {} : { angle: round4(shape.angle) }),
    ...(shape.elongation === undefined ? {} : { elongation: round4(shape.elongation) }),
    ...(shape.density === undefined ? {} : { density: round4(shape.density) }),
    x: round2(toPixelX(geometry, xMm)),
    y: round2(toPixelY(geometry, yMm)),
    radiusPx: round2(radiusMm * geometry.pxPerMm),
    xMm: round4(xMm),
    yMm: round4(yMm),
    radiusMm: round4(radiusMm),
    quadrant: quadrantOf(xMm, yMm),
    distanceToFoveaMm: round4(distance),
    distanceToFoveaDiscDiameters: round4(distance / context.discDiameterMm),
  };
  context.placed.push(lesion);
  return lesion;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round4(value: number): number {
  return Math.round(value * 10000) / 10000;
}

/** Whether a lesion of a radius fits at a point: in the field, off the disc, apart from other lesions. */
function fits(
  context: PlanContext,
  xMm: number,
  yMm: number,
  radiusMm: number,
  avoidVessels: boolean,
): boolean {
  const { geometry, anatomy } = context;
  const px = toPixelX(geometry, xMm);
  const py = toPixelY(geometry, yMm);
  const radiusPx = radiusMm * geometry.pxPerMm;
  if (!insideField(geometry, px, py, radiusPx + 0.04 * geometry.fieldRadius)) {
    return false;
  }
  const disc = anatomy.discCentreMm;
  const ex = (xMm - disc.x) / (anatomy.discWidthMm / 2 + 0.25 + radiusMm);
  const ey = (yMm - disc.y) / (anatomy.discHeightMm / 2 + 0.25 + radiusMm);
  if (ex * ex + ey * ey < 1) {
    return false;
  }
  for (const other of context.placed) {
    const gap = Math.hypot(other.xMm - xMm, other.yMm - yMm) - other.radiusMm - radiusMm;
    if (gap < 0.04 + 3 / geometry.pxPerMm) {
      return false;
    }
  }
  return !avoidVessels || context.vesselDensity(px, py) < 0.12;
}

/** A random point in the field (retinal frame, mm), optionally restricted to a quadrant. */
function randomPoint(context: PlanContext, quadrant?: FundusQuadrant): { x: number; y: number } {
  const { geometry, rng } = context;
  for (let attempt = 0; attempt < 1000; attempt++) {
    const angle = rng.range(0, 2 * Math.PI);
    const radius = geometry.fieldRadius * 0.95 * Math.sqrt(rng.float());
    const px = geometry.fieldCentreX + radius * Math.cos(angle);
    const py = geometry.fieldCentreY + radius * Math.sin(angle);
    const x = ((px - geometry.foveaX) * geometry.nasalSign) / geometry.pxPerMm;
    const y = (py - geometry.foveaY) / geometry.pxPerMm;
    if (quadrant === undefined || quadrantOf(x, y) === quadrant) {
      return { x, y };
    }
  }
  throw new Error('no point found in quadrant');
}

/** A point near the posterior pole: mostly within a few mm of the fovea. */
function posteriorPolePoint(context: PlanContext, maxMm: number): { x: number; y: number } {
  const { rng } = context;
  const angle = rng.range(0, 2 * Math.PI);
  const radius = 0.4 + (maxMm - 0.4) * Math.sqrt(rng.float());
  return { x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
}

function placeMicroaneurysm(context: PlanContext): void {
  const { rng } = context;
  for (let attempt = 0; attempt < 200; attempt++) {
    const point = rng.chance(0.7) ? posteriorPolePoint(context, 4) : randomPoint(context);
    const radius = rng.range(0.014, 0.04);
    if (fits(context, point.x, point.y, radius, true)) {
      addLesion(context, 'microaneurysm', point.x, point.y, radius);
      return;
    }
  }
}

function placeHaemorrhage(context: PlanContext, quadrant: FundusQuadrant, blotChance: number): void {
  const { rng, anatomy, geometry } = context;
  for (let attempt = 0; attempt < 400; attempt++) {
    const point = randomPoint(context, quadrant);
    const kind = rng.chance(blotChance) ? 'blot' : rng.chance(0.15) ? 'flame' : 'dot';
    const radius =
      kind === 'blot'
        ? rng.range(0.08, 0.1) + 0.1 * rng.float() ** 2
        : kind === 'flame'
          ? rng.range(0.09, 0.16)
          : rng.range(0.04, 0.085);
    if (fits(context, point.x, point.y, radius, true)) {
      const density = rng.range(0.55, 1.15);
      if (kind === 'flame') {
        // Flame haemorrhages lie in the nerve fibre layer: elongated along the fibres (roughly radial to the disc).
        const disc = anatomy.discCentreMm;
        const retinal = Math.atan2(point.y - disc.y, point.x - disc.x) + rng.normal(0, 0.2);
        const angle = Math.atan2(Math.sin(retinal), geometry.nasalSign * Math.cos(retinal));
        addLesion(context, 'haemorrhage', point.x, point.y, radius, {
          subtype: 'flame',
          angle,
          elongation: rng.range(2.2, 3.5),
          density,
        });
      } else {
        addLesion(context, 'haemorrhage', point.x, point.y, radius, { subtype: kind, density });
      }
      return;
    }
  }
  throw new Error(`could not place a haemorrhage in the ${quadrant} quadrant`);
}

function placeCottonWoolSpot(context: PlanContext): void {
  const { rng, anatomy } = context;
  const disc = anatomy.discCentreMm;
  for (let attempt = 0; attempt < 300; attempt++) {
    // Along the arcades, within about three disc diameters of the disc.
    const angle = rng.range(0, 2 * Math.PI);
    const distance = rng.range(1.6, 5.5);
    const x = disc.x + distance * Math.cos(angle) - 1.5;
    const y = disc.y + distance * Math.sin(angle);
    const radius = rng.range(0.18, 0.35);
    if (Math.abs(y) > 1 && fits(context, x, y, radius, false)) {
      addLesion(context, 'cotton-wool-spot', x, y, radius);
      return;
    }
  }
}

function placeExudateCluster(context: PlanContext, centre: { x: number; y: number } | undefined): void {
  const { rng } = context;
  const middle = centre ?? posteriorPolePoint(context, 4.5);
  const count = rng.int(4, 12);
  const spread = rng.range(0.25, 0.6);
  for (let i = 0; i < count; i++) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const angle = rng.range(0, 2 * Math.PI);
      const distance = spread * Math.sqrt(rng.float());
      const x = middle.x + distance * Math.cos(angle);
      const y = middle.y + distance * Math.sin(angle);
      const radius = rng.range(0.025, 0.075);
      if (Math.hypot(x, y) > 0.12 && fits(context, x, y, radius, false)) {
        addLesion(context, 'hard-exudate', x, y, radius, { density: rng.range(0.85, 1.15) });
        break;
      }
    }
  }
}

/**
 * DME: exudates within one disc diameter of the foveal centre; centre-involved puts several within
 * 500 µm, otherwise none closer than 600 µm.
 */
function placeMacularExudates(context: PlanContext, centreInvolved: boolean): void {
  const { rng, discDiameterMm } = context;
  const within = discDiameterMm * 0.95;
  const minimum = centreInvolved ? 0.15 : 0.62;
  const maximum = centreInvolved ? 0.48 : within;
  let placed = 0;
  const target = rng.int(10, 22);
  // A partial circinate ring around a leaking point, plus scattered exudates.
  const ringAngle = rng.range(0, 2 * Math.PI);
  const ringCentre = {
    x: ((minimum + maximum) / 2) * Math.cos(ringAngle),
    y: ((minimum + maximum) / 2) * Math.sin(ringAngle),
  };
  for (let attempt = 0; attempt < 3000 && placed < target; attempt++) {
    let x: number;
    let y: number;
    if (attempt % 2 === 0) {
      const angle = rng.range(0, 2 * Math.PI);
      const ring = rng.range(0.25, 0.4);
      x = ringCentre.x + ring * Math.cos(angle);
      y = ringCentre.y + ring * Math.sin(angle);
    } else {
      const angle = rng.range(0, 2 * Math.PI);
      const distance = rng.range(minimum, maximum);
      x = distance * Math.cos(angle);
      y = distance * Math.sin(angle);
    }
    const distance = Math.hypot(x, y);
    const radius = rng.range(0.02, 0.06);
    if (distance - radius < minimum || distance + radius > within) {
      continue;
    }
    if (centreInvolved && placed < 3 && distance > 0.48) {
      continue;
    }
    if (fits(context, x, y, radius, false)) {
      addLesion(context, 'hard-exudate', x, y, radius, { density: rng.range(0.85, 1.15) });
      placed++;
    }
  }
}

/** A small tortuous vessel network (IRMA or new vessels) around a centre (mm). */
function networkVessels(
  rng: Rng,
  centreX: number,
  centreY: number,
  extentMm: number,
  fronds: number,
  radiusMm: number,
  loopiness: number,
): Vessel[] {
  const vessels: Vessel[] = [];
  for (let f = 0; f < fronds; f++) {
    const points: number[] = [];
    let angle = rng.range(0, 2 * Math.PI);
    let x = centreX + rng.normal(0, extentMm * 0.15);
    let y = centreY + rng.normal(0, extentMm * 0.15);
    let turn = rng.chance(0.5) ? loopiness : -loopiness;
    const steps = rng.int(25, 60);
    const step = extentMm / 22;
    for (let s = 0; s < steps; s++) {
      points.push(x, y, radiusMm * rng.range(0.8, 1.2));
      if (rng.chance(0.08)) {
        turn = -turn;
      }
      angle += turn * step * rng.range(0.5, 1.5) + rng.normal(0, 0.5);
      // Stay within the network's extent.
      const dx = x - centreX;
      const dy = y - centreY;
      if (Math.hypot(dx, dy) > extentMm) {
        angle = Math.atan2(-dy, -dx) + rng.normal(0, 0.4);
      }
      x += step * Math.cos(angle);
      y += step * Math.sin(angle);
    }
    vessels.push({ kind: 'artery', generation: 9, points: Float64Array.from(points) });
  }
  return vessels;
}

function placeIrma(context: PlanContext, quadrant: FundusQuadrant, extra: Vessel[]): void {
  const { rng } = context;
  for (let attempt = 0; attempt < 300; attempt++) {
    const point = randomPoint(context, quadrant);
    const distance = Math.hypot(point.x, point.y);
    const extent = rng.range(0.35, 0.6);
    if (distance < 2 || distance > 6 || !fits(context, point.x, point.y, extent, false)) {
      continue;
    }
    addLesion(context, 'irma', point.x, point.y, extent);
    extra.push(...networkVessels(rng, point.x, point.y, extent, rng.int(4, 7), rng.range(0.009, 0.013), 6));
    return;
  }
}

function placeNewVessels(context: PlanContext, type: 'nvd' | 'nve', extra: Vessel[]): void {
  const { rng, anatomy, discDiameterMm } = context;
  const disc = anatomy.discCentreMm;
  if (type === 'nvd') {
    const x = disc.x + rng.normal(0, 0.15);
    const y = disc.y + rng.normal(0, 0.15);
    const extent = discDiameterMm * rng.range(0.45, 0.65);
    addLesion(context, 'nvd', x, y, extent);
    extra.push(...networkVessels(rng, x, y, extent, rng.int(14, 22), rng.range(0.009, 0.013), 9));
    return;
  }
  for (let attempt = 0; attempt < 500; attempt++) {
    const side = rng.chance(0.5) ? -1 : 1;
    const x = rng.range(-3.5, 2.5);
    const y = side * rng.range(2.2, 3.8);
    const extent = rng.range(0.45, 0.8);
    const fromDisc = Math.hypot(x - disc.x, y - disc.y);
    if (fromDisc < discDiameterMm * 1.6 || !fits(context, x, y, extent, false)) {
      continue;
    }
    addLesion(context, 'nve', x, y, extent);
    extra.push(...networkVessels(rng, x, y, extent, rng.int(12, 18), rng.range(0.009, 0.013), 9));
    return;
  }
}

function placePreretinalHaemorrhage(context: PlanContext): void {
  const { rng } = context;
  for (let attempt = 0; attempt < 300; attempt++) {
    const x = rng.range(-3, 2);
    const y = (rng.chance(0.5) ? -1 : 1) * rng.range(1.5, 3.5);
    const radius = rng.range(0.6, 1.1);
    if (fits(context, x, y, radius, false)) {
      addLesion(context, 'preretinal-haemorrhage', x, y, radius);
      return;
    }
  }
}

/** A smooth irregular outline: radius multiplier for an angle. */
function outline(seed: number, angle: number): number {
  return (
    1 +
    0.12 * Math.cos(2 * angle + seed) +
    0.08 * Math.cos(3 * angle + 1.7 * seed) +
    0.05 * Math.cos(5 * angle + 2.3 * seed)
  );
}

/** The image being composed: linear RGB reflectance in [0, ~1.2], one float per sample. */
export interface ReflectanceImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Float32Array;
  /** Illumination at a point per channel: bright lesions reflect it. */
  readonly light: (x: number, y: number) => readonly [number, number, number];
}

/**
 * Draws the planned point lesions into the reflectance image (before illumination) and labels their
 * pixels in the mask.
 */
export function renderLesions(image: ReflectanceImage, plan: LesionPlan, mask: Uint8Array, rng: Rng): void {
  // Red lesions first, then bright lesions on top, then pre-retinal blood over everything.
  const order: FundusLesionType[] = [
    'microaneurysm',
    'haemorrhage',
    'hard-exudate',
    'cotton-wool-spot',
    'preretinal-haemorrhage',
  ];
  for (const type of order) {
    for (const lesion of plan.lesions) {
      if (lesion.type === type) {
        renderLesion(image, lesion, mask, rng.range(0, 2 * Math.PI));
      }
    }
  }
}

function renderLesion(image: ReflectanceImage, lesion: FundusLesion, mask: Uint8Array, phase: number): void {
  const { width, height, rgb } = image;
  const [lr, lg, lb] = image.light(lesion.x, lesion.y);
  const label = lesionLabels[lesion.type];
  const r = Math.max(lesion.radiusPx, 0.9);
  const reach = r * 1.35 * Math.sqrt(lesion.elongation ?? 1) + 2;
  const minX = Math.max(0, Math.floor(lesion.x - reach));
  const maxX = Math.min(width - 1, Math.ceil(lesion.x + reach));
  const minY = Math.max(0, Math.floor(lesion.y - reach));
  const maxY = Math.min(height - 1, Math.ceil(lesion.y + reach));
  const irregular = lesion.type !== 'microaneurysm';
  const flame = lesion.subtype === 'flame';
  const cosA = Math.cos(lesion.angle ?? 0);
  const sinA = Math.sin(lesion.angle ?? 0);
  const elongation = lesion.elongation ?? 1;
  const density = lesion.density ?? 1;
  // Edge softness in pixels: sharp for exudates and microaneurysms, soft for cotton-wool spots.
  const soft =
    lesion.type === 'cotton-wool-spot'
      ? 0.45 * r
      : lesion.type === 'preretinal-haemorrhage'
        ? 1.5 + 0.04 * r
        : lesion.type === 'haemorrhage'
          ? 1 + 0.18 * r
          : 0.9;
  for (let y = minY; y <= maxY; y++) {
    for (let x = minX; x <= maxX; x++) {
      let dx = x - lesion.x;
      let dy = y - lesion.y;
      if (flame) {
        // In the flame's own frame: the long axis shrunk to a circle of the lesion radius.
        const along = dx * cosA + dy * sinA;
        const across = -dx * sinA + dy * cosA;
        dx = along / Math.sqrt(elongation);
        dy = across * Math.sqrt(elongation);
      }
      let edge = r;
      if (irregular) {
        edge *= outline(phase, Math.atan2(dy, dx));
      }
      const distance = Math.sqrt(dx * dx + dy * dy);
      let coverage = Math.min(1, Math.max(0, (edge - distance) / soft + 0.5));
      if (lesion.type === 'preretinal-haemorrhage' && dy < -0.35 * r) {
        // Boat shape: blood settles, leaving a flat upper level.
        coverage *= Math.min(1, Math.max(0, (dy + 0.35 * r) / 1.5 + 1));
      }
      if (coverage <= 0) {
        continue;
      }
      const index = y * width + x;
      const i3 = index * 3;
      const depth = distance < edge ? Math.sqrt(1 - (distance / edge) ** 2) : 0;
      switch (lesion.type) {
        case 'microaneurysm':
        case 'haemorrhage': {
          const strength =
            density * coverage * (lesion.type === 'microaneurysm' ? 0.75 + 0.35 * depth : 0.7 + 0.4 * depth);
          rgb[i3] = rgb[i3]! * Math.exp(-0.45 * strength);
          rgb[i3 + 1] = rgb[i3 + 1]! * Math.exp(-1.15 * strength);
          rgb[i3 + 2] = rgb[i3 + 2]! * Math.exp(-0.9 * strength);
          break;
        }
        case 'hard-exudate': {
          const a = Math.min(1, coverage * (0.45 + 0.4 * depth) * density);
          rgb[i3] = rgb[i3]! + (1.0 * lr - rgb[i3]!) * a;
          rgb[i3 + 1] = rgb[i3 + 1]! + (0.88 * lg - rgb[i3 + 1]!) * a;
          rgb[i3 + 2] = rgb[i3 + 2]! + (0.5 * lb - rgb[i3 + 2]!) * a;
          break;
        }
        case 'cotton-wool-spot': {
          const a = coverage * 0.6;
          rgb[i3] = rgb[i3]! + (0.93 * lr - rgb[i3]!) * a;
          rgb[i3 + 1] = rgb[i3 + 1]! + (0.8 * lg - rgb[i3 + 1]!) * a;
          rgb[i3 + 2] = rgb[i3 + 2]! + (0.62 * lb - rgb[i3 + 2]!) * a;
          break;
        }
        case 'preretinal-haemorrhage': {
          const a = coverage * 0.92;
          const settle = Math.min(1, Math.max(0, dy / r + 0.5));
          rgb[i3] = rgb[i3]! + ((0.42 - 0.12 * settle) * lr - rgb[i3]!) * a;
          rgb[i3 + 1] = rgb[i3 + 1]! + (0.05 * lg - rgb[i3 + 1]!) * a;
          rgb[i3 + 2] = rgb[i3 + 2]! + (0.04 * lb - rgb[i3 + 2]!) * a;
          break;
        }
        case 'irma':
        case 'nvd':
        case 'nve':
          break;
      }
      if (coverage >= 0.5 && lesion.type !== 'irma' && lesion.type !== 'nvd' && lesion.type !== 'nve') {
        mask[index] = label;
      }
    }
  }
}
