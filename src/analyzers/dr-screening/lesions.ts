/**
 * Lesion detection on the working image's green channel divided by its local background: dark compact
 * components that are not vessel-like are red lesions (microaneurysms when smaller than 125 µm, haemorrhages
 * otherwise, pre-retinal haemorrhage when wider than ~0.35 disc diameters and nearly black in green: blood in
 * front of the retina hides it, a cluster of intraretinal haemorrhages does not); bright components away from the
 * disc are hard exudates (small, sharp) or cotton-wool spots (large, soft). New vessels are not detected (see
 * README: no rule tried separated them from normal structure). Sizes are in disc diameters (DD ≈
 * 1.8 mm), the unit the grading rules use. "Vessel-like" uses the line detector's directional means: on a
 * vessel the crossing direction leaves the vessel, in a round lesion every direction stays dark.
 * @see https://doi.org/10.1016/S0161-6420(03)00475-5 (ICDR lesion definitions)
 * @see https://doi.org/10.1109/TMI.2005.857029 (Niemeijer et al. 2005, red lesion candidates outside the vasculature)
 */
import { dilateMask, type Mask, type Plane } from '../../imaging/index.ts';
import { labelComponents, type Component } from './components.ts';
import { quadrants, type Quadrant } from './grade.ts';
import { parameters } from './parameters.ts';
import type { VesselMap } from './vessels.ts';

/** Lesion types the detectors report. */
export type LesionType =
  | 'microaneurysm'
  | 'haemorrhage'
  | 'hard-exudate'
  | 'cotton-wool-spot'
  | 'new-vessels-disc'
  | 'new-vessels-elsewhere'
  | 'preretinal-haemorrhage';

/** One detected lesion in working pixels. */
export interface DetectedLesion {
  readonly type: LesionType;
  readonly x: number;
  readonly y: number;
  /** Equivalent radius (working pixels). */
  readonly radius: number;
  readonly areaPx: number;
  /** In [0, 1]: how far above its detection threshold the lesion's contrast lies. */
  readonly confidence: number;
  readonly quadrant: Quadrant;
  /** Distance of the lesion's nearest edge to the foveal centre, in disc diameters. */
  readonly distanceToFoveaDd: number;
}

/** Geometry the detectors need, in working pixels. */
export interface LesionContext {
  readonly discX: number;
  readonly discY: number;
  readonly foveaX: number;
  readonly foveaY: number;
  readonly discDiameter: number;
}

/** Quadrant of a point around the fovea: superior is up in the image, nasal is towards the disc. */
export function quadrantOf(context: LesionContext, x: number, y: number): Quadrant {
  const nasalSide = Math.sign(context.discX - context.foveaX) || 1;
  const nasal = (x - context.foveaX) * nasalSide >= 0;
  const superior = y < context.foveaY;
  return superior ? (nasal ? 'superonasal' : 'superotemporal') : nasal ? 'inferonasal' : 'inferotemporal';
}

function ramp(value: number, threshold: number, span: number): number {
  return Math.max(0, Math.min(1, 0.5 + (value - threshold) / (2 * span)));
}

/** Vessel-like pixels at the lesion scale: vessel pixels away from blob cores (where the smallest directional
 * excess is close to the largest: every direction stays dark). */
export function vesselLikeMask(vessels: VesselMap, width: number, height: number, ratio: number): Mask {
  const ratioLimit = parameters.lesions.vesselLikeRatio;
  const { mask, lines } = vessels;
  const core: Mask = { width: mask.width, height: mask.height, data: new Uint8Array(mask.data.length) };
  for (let i = 0; i < core.data.length; i++) {
    const max = lines.maxLong.data[i]!;
    const min = lines.minLong.data[i]!;
    const windowMean = lines.windowMean.data[i]!;
    core.data[i] = mask.data[i] !== 0 && min - windowMean >= ratioLimit * (max - windowMean) ? 1 : 0;
  }
  const blobs = dilateMask(core, parameters.lesions.blobGrowth);
  const small: Mask = { width: mask.width, height: mask.height, data: new Uint8Array(mask.data.length) };
  for (let i = 0; i < small.data.length; i++) {
    small.data[i] = mask.data[i] !== 0 && blobs.data[i] === 0 ? 1 : 0;
  }
  const grown = dilateMask(small, 1);
  const out: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let y = 0; y < height; y++) {
    const vy = Math.min(mask.height - 1, Math.floor(y * ratio));
    for (let x = 0; x < width; x++) {
      const vx = Math.min(mask.width - 1, Math.floor(x * ratio));
      out.data[y * width + x] = grown.data[vy * mask.width + vx]!;
    }
  }
  return out;
}

function lesionOf(
  type: LesionType,
  component: Component,
  confidence: number,
  context: LesionContext,
): DetectedLesion {
  const radius = Math.sqrt(component.area / Math.PI);
  const distance = Math.max(
    0,
    Math.hypot(component.x - context.foveaX, component.y - context.foveaY) - radius,
  );
  return {
    type,
    x: component.x,
    y: component.y,
    radius,
    areaPx: component.area,
    confidence,
    quadrant: quadrantOf(context, component.x, component.y),
    distanceToFoveaDd: distance / context.discDiameter,
  };
}

/**
 * Detects lesions in the normalised green (`1` = background) and the working RGB, inside `field`, given the
 * vessel-like mask and the vessels' surround (no bright lesion there: vessel reflexes) at the same scale, and
 * the disc and fovea.
 */
export function detectLesions(
  normalisedGreen: Plane,
  field: Mask,
  vesselLike: Mask,
  nearVessels: Mask,
  context: LesionContext,
): DetectedLesion[] {
  const settings = parameters.lesions;
  const { width, height } = normalisedGreen;
  const dd = context.discDiameter;
  const lesions: DetectedLesion[] = [];
  const dark = new Float32Array(width * height);
  const bright = new Float32Array(width * height);
  const redMask: Mask = { width, height, data: new Uint8Array(width * height) };
  const brightMask: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (field.data[i] === 0) {
        continue;
      }
      const value = normalisedGreen.data[i]!;
      dark[i] = 1 - value;
      bright[i] = value - 1;
      const fromDisc = Math.hypot(x + 0.5 - context.discX, y + 0.5 - context.discY) / dd;
      const fromFovea = Math.hypot(x + 0.5 - context.foveaX, y + 0.5 - context.foveaY) / dd;
      if (
        dark[i] > settings.redLevel &&
        vesselLike.data[i] === 0 &&
        fromDisc > settings.redDiscExclusion &&
        fromFovea > settings.redFoveaExclusion
      ) {
        redMask.data[i] = 1;
      }
      if (
        bright[i] > settings.brightLevel &&
        fromDisc > settings.brightDiscExclusion &&
        fromFovea > settings.brightFoveaExclusion &&
        nearVessels.data[i] === 0
      ) {
        brightMask.data[i] = 1;
      }
    }
  }
  const maPx = settings.microaneurysmMaxDd * dd;
  const nearVesselLike = dilateMask(vesselLike, settings.microaneurysmVesselGap);
  for (const component of labelComponents(redMask, { width, height, data: dark })) {
    const diameter = 2 * Math.sqrt(component.area / Math.PI);
    const fromFovea = Math.hypot(component.x - context.foveaX, component.y - context.foveaY) / dd;
    if (
      component.area < settings.minArea ||
      component.max < settings.redPeak ||
      fromFovea < settings.redFoveaCentroidExclusion
    ) {
      continue;
    }
    if (
      component.major / component.minor > settings.maxElongation &&
      diameter < settings.elongatedMinDd * dd
    ) {
      continue;
    }
    if (
      diameter < maPx &&
      (touches(component, nearVesselLike) || component.max < settings.microaneurysmPeak)
    ) {
      continue;
    }
    const confidence = ramp(component.max, settings.redPeak, settings.redPeak);
    const type: LesionType =
      diameter >= settings.preretinalMinDd * dd && component.mean >= settings.preretinalMinDarkness
        ? 'preretinal-haemorrhage'
        : diameter < maPx
          ? 'microaneurysm'
          : 'haemorrhage';
    lesions.push(lesionOf(type, component, confidence, context));
  }
  for (const component of labelComponents(brightMask, { width, height, data: bright })) {
    const diameter = 2 * Math.sqrt(component.area / Math.PI);
    const cottonWool = diameter >= settings.cottonWoolMinDd * dd;
    const peak = cottonWool ? settings.brightPeak : settings.exudatePeak;
    if (component.area < settings.brightMinArea || component.max < peak) {
      continue;
    }
    const type: LesionType = cottonWool ? 'cotton-wool-spot' : 'hard-exudate';
    lesions.push(lesionOf(type, component, ramp(component.max, peak, peak), context));
  }
  return lesions;
}

function touches(component: Component, mask: Mask): boolean {
  for (const index of component.pixels) {
    if (mask.data[index] !== 0) {
      return true;
    }
  }
  return false;
}

/**
 * Red lesion counts per quadrant, haemorrhages and microaneurysms together (the ETDRS wording of the 4-2-1
 * rule, "haemorrhages and microaneurysms in 4 quadrants": at a working resolution a dot haemorrhage and a
 * microaneurysm are not reliably told apart); pre-retinal haemorrhages are not counted.
 */
export function haemorrhagesByQuadrant(lesions: readonly DetectedLesion[]): Record<Quadrant, number> {
  const counts = Object.fromEntries(quadrants.map((quadrant) => [quadrant, 0])) as Record<Quadrant, number>;
  for (const lesion of lesions) {
    if (lesion.type === 'haemorrhage' || lesion.type === 'microaneurysm') {
      counts[lesion.quadrant]++;
    }
  }
  return counts;
}
