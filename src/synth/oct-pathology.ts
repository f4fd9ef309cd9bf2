/**
 * Macular fluid for synthetic OCT: intraretinal cysts (IRF) in the inner nuclear and outer nuclear layers,
 * subretinal fluid (SRF) between the photoreceptor tips and the RPE, and a pigment-epithelial detachment
 * (PED) between the RPE and Bruch's membrane. Each contributes a height per A-scan; the renderer inserts
 * it at its layer, so the fluid mask and the layer boundaries agree by construction.
 * See standards-reference §C.4 (fluid types; RETOUCH labels 1 IRF, 2 SRF, 3 PED).
 */
import type { Rng } from './rng.ts';

/** A fluid type. */
export type FluidType = 'irf' | 'srf' | 'ped';

/** All fluid types, in label order. */
export const fluidTypes: readonly FluidType[] = ['irf', 'srf', 'ped'];

/** Voxel labels of the fluid mask (as in RETOUCH). */
export const fluidLabels = { none: 0, irf: 1, srf: 2, ped: 3 } as const;

/** An intraretinal cyst: an ellipsoid in one nuclear layer. */
export interface Cyst {
  /** Centre in the retinal frame (mm). */
  readonly xMm: number;
  readonly yMm: number;
  /** Lateral radius (mm). */
  readonly radiusMm: number;
  /** Peak height (µm). */
  readonly heightUm: number;
  readonly layer: 'inl' | 'onl';
}

/** A dome-shaped elevation (SRF or PED). */
export interface Dome {
  readonly xMm: number;
  readonly yMm: number;
  readonly radiusXMm: number;
  readonly radiusYMm: number;
  readonly heightUm: number;
  /** Edge steepness exponent (smaller = steeper sides). */
  readonly exponent: number;
}

/** All fluid of one eye. */
export interface FluidPlan {
  readonly cysts: readonly Cyst[];
  readonly srf: Dome | null;
  readonly ped: Dome | null;
  /** Diffuse thickening of the nuclear layers at the fovea (µm), as in DME. */
  readonly diffuseThickeningUm: number;
}

/** Fluid heights at one A-scan (µm). */
export interface FluidHeights {
  /** Summed height of the cysts in the inner nuclear layer here. */
  inl: number;
  onl: number;
  /**
   * How much the layer is thickened here: the cysts' volume spread smoothly (tissue redistributes, so the
   * inner retinal surface rises as a smooth swelling, not one bump per cyst).
   */
  inlSwelling: number;
  onlSwelling: number;
  srf: number;
  ped: number;
  diffuse: number;
}

/** Options of {@link planFluid}. */
export interface FluidOptions {
  readonly types: readonly FluidType[];
  /** Diabetic macular oedema: cysts plus diffuse thickening (implies IRF). */
  readonly dme?: boolean;
}

/** Chooses fluid pockets near the fovea. */
export function planFluid(rng: Rng, options: FluidOptions): FluidPlan {
  const types = new Set(options.types);
  if (options.dme === true) {
    types.add('irf');
  }
  const cysts: Cyst[] = [];
  if (types.has('irf')) {
    const count = rng.int(5, 12);
    for (let i = 0; i < count; i++) {
      const angle = rng.range(0, 2 * Math.PI);
      const distance = i < 2 ? rng.range(0, 0.3) : 0.2 + 1.2 * rng.float();
      const layer = rng.chance(0.55) ? 'onl' : 'inl';
      const radiusMm = layer === 'onl' ? rng.range(0.1, 0.32) : rng.range(0.06, 0.2);
      cysts.push({
        xMm: distance * Math.cos(angle),
        yMm: distance * Math.sin(angle),
        radiusMm,
        heightUm: Math.min(radiusMm * 1000 * rng.range(0.5, 0.9), layer === 'onl' ? 220 : 120),
        layer,
      });
    }
  }
  const srf: Dome | null = types.has('srf')
    ? {
        xMm: rng.normal(0, 0.2),
        yMm: rng.normal(0, 0.2),
        radiusXMm: rng.range(0.8, 1.5),
        radiusYMm: rng.range(0.7, 1.3),
        heightUm: rng.range(80, 240),
        exponent: 1.3,
      }
    : null;
  const ped: Dome | null = types.has('ped')
    ? {
        xMm: rng.normal(0.2, 0.3),
        yMm: rng.normal(0, 0.3),
        radiusXMm: rng.range(0.5, 1.0),
        radiusYMm: rng.range(0.45, 0.9),
        heightUm: rng.range(90, 300),
        exponent: 0.6,
      }
    : null;
  return {
    cysts,
    srf,
    ped,
    diffuseThickeningUm: options.dme === true ? rng.range(25, 60) : types.has('irf') ? rng.range(0, 20) : 0,
  };
}

function domeHeight(dome: Dome | null, x: number, y: number): number {
  if (dome === null) {
    return 0;
  }
  const dx = (x - dome.xMm) / dome.radiusXMm;
  const dy = (y - dome.yMm) / dome.radiusYMm;
  const rho2 = dx * dx + dy * dy;
  return rho2 >= 1 ? 0 : dome.heightUm * (1 - rho2) ** dome.exponent;
}

/** Fluid heights at a position (retinal frame, mm). */
export function fluidHeights(plan: FluidPlan, x: number, y: number, out: FluidHeights): FluidHeights {
  let inl = 0;
  let onl = 0;
  let inlSwelling = 0;
  let onlSwelling = 0;
  for (const cyst of plan.cysts) {
    const dx = x - cyst.xMm;
    const dy = y - cyst.yMm;
    const d2 = dx * dx + dy * dy;
    const rho2 = d2 / (cyst.radiusMm * cyst.radiusMm);
    // Volume of a half-ellipsoid profile h·sqrt(1-ρ²): (2π/3)·R²·h, spread as a Gaussian.
    const volume = ((2 * Math.PI) / 3) * cyst.radiusMm * cyst.radiusMm * cyst.heightUm;
    const sigma = 0.6 * cyst.radiusMm + 0.15;
    const swelling = (volume * Math.exp(-d2 / (2 * sigma * sigma))) / (2 * Math.PI * sigma * sigma);
    const h = rho2 < 1 ? cyst.heightUm * Math.sqrt(1 - rho2) : 0;
    if (cyst.layer === 'inl') {
      inl += h;
      inlSwelling += swelling;
    } else {
      onl += h;
      onlSwelling += swelling;
    }
  }
  out.inl = inl;
  out.onl = onl;
  out.inlSwelling = inlSwelling;
  out.onlSwelling = onlSwelling;
  out.srf = domeHeight(plan.srf, x, y);
  out.ped = domeHeight(plan.ped, x, y);
  const r2 = x * x + y * y;
  out.diffuse = plan.diffuseThickeningUm > 0 ? plan.diffuseThickeningUm * Math.exp(-r2 / 1.2) : 0;
  return out;
}
