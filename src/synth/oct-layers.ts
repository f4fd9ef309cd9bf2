/**
 * Retinal layer thickness models for OCT: the macula (foveal pit, layers thickening towards the
 * parafovea, RNFL growing towards the disc) and the peripapillary ring (RNFL double hump along TSNIT).
 * Thicknesses are in micrometres; positions in the retinal frame (mm, x nasal, y inferior, fovea at 0).
 * See standards-reference §C (CST, ETDRS) and §D.4 (peripapillary RNFL).
 */
import type { Rng } from './rng.ts';

/** The boundaries written per A-scan, from the vitreous down (CID 4273 surfaces where they exist). */
export const boundaryNames = [
  'ILM',
  'RNFL-GCL',
  'GCL-IPL',
  'IPL-INL',
  'INL-OPL',
  'OPL-ONL',
  'ELM',
  'EZ',
  'RPE',
  'BM',
  'CSI',
] as const;

/** One layer boundary: ILM, the interfaces between the inner layers, ELM, the ellipsoid zone (inner edge),
 * the inner RPE surface, Bruch's membrane, and the choroid–sclera interface. */
export type BoundaryName = (typeof boundaryNames)[number];

/** Thickness of each layer at one A-scan (µm), without fluid. */
export interface LayerThickness {
  rnfl: number;
  gcl: number;
  ipl: number;
  inl: number;
  opl: number;
  onl: number;
  /** ELM to the inner edge of the ellipsoid zone (inner segments). */
  innerSegments: number;
  /** Inner edge of the ellipsoid zone to the inner RPE surface (EZ, outer segments, interdigitation zone). */
  outerSegments: number;
  rpe: number;
  choroid: number;
}

/** Per-eye parameters of the macular thickness model. */
export interface MacularModel {
  /** Overall scale of the neurosensory retina (1 = population mean). */
  readonly retinaScale: number;
  readonly rnflScale: number;
  /** Ganglion cell layer scale (lower in glaucoma). */
  readonly gclScale: number;
  readonly choroidUm: number;
  /** Foveal pit width scale. */
  readonly pitScale: number;
}

/** Draws the macular model parameters of one eye. */
export function makeMacularModel(rng: Rng, options: { readonly glaucomaLoss?: number } = {}): MacularModel {
  const loss = options.glaucomaLoss ?? 0;
  return {
    retinaScale: rng.range(0.96, 1.05),
    rnflScale: rng.range(0.9, 1.1) * (1 - 0.45 * loss),
    gclScale: rng.range(0.92, 1.08) * (1 - 0.35 * loss),
    choroidUm: rng.range(200, 320),
    pitScale: rng.range(0.9, 1.12),
  };
}

/** Normal layer thicknesses at a macular position (retinal frame, mm). */
export function macularThickness(model: MacularModel, x: number, y: number): LayerThickness {
  const r = Math.hypot(x, y);
  const w = model.pitScale;
  const pit = Math.exp(-((r / (0.55 * w)) ** 2.2));
  const wide = Math.exp(-((r / (0.8 * w)) ** 2));
  const s = model.retinaScale;
  const nasal = Math.min(1, Math.max(0, x / 3));
  const vertical = Math.min(1, Math.abs(y) / 2.5);
  const rnflBase = 24 * (1 - Math.exp(-((r / 1.3) ** 2)));
  const rnfl =
    rnflBase *
    (x < 0 ? 0.75 : 1 + 0.9 * nasal * Math.min(1, r / 2.5)) *
    (1 + 0.45 * vertical) *
    model.rnflScale;
  return {
    rnfl: Math.max(0, rnfl * s),
    gcl: 2 + 60 * (1 - pit) * Math.exp(-(((r - 1.1) / 1.8) ** 2)) * model.gclScale * s,
    ipl: 3 + 44 * (1 - pit) * Math.exp(-(((r - 1.1) / 2.4) ** 2)) * s,
    inl: 3 + 44 * (1 - 0.92 * pit) * Math.exp(-(((r - 1.0) / 3.5) ** 2)) * s,
    opl: 30 * (1 - 0.4 * pit) * s,
    onl: (68 + 50 * wide) * s,
    innerSegments: 24 + 8 * pit,
    outerSegments: 36 + 14 * pit,
    rpe: 18,
    choroid: model.choroidUm * (1 - 0.12 * nasal),
  };
}

/** Per-eye parameters of the peripapillary RNFL profile. */
export interface PeripapillaryModel {
  /** Overall RNFL scale (1 = normal). */
  readonly rnflScale: number;
  /** Fractional RNFL loss in the superotemporal and inferotemporal bundles (glaucoma). */
  readonly superiorLoss: number;
  readonly inferiorLoss: number;
  readonly choroidUm: number;
  /** Angular offset of the bundles (degrees). */
  readonly bundleShiftDeg: number;
}

/** Draws the peripapillary model of one eye. */
export function makePeripapillaryModel(
  rng: Rng,
  options: { readonly superiorLoss?: number; readonly inferiorLoss?: number } = {},
): PeripapillaryModel {
  return {
    rnflScale: rng.range(0.92, 1.08),
    superiorLoss: options.superiorLoss ?? 0,
    inferiorLoss: options.inferiorLoss ?? 0,
    choroidUm: rng.range(150, 230),
    bundleShiftDeg: rng.normal(0, 5),
  };
}

function vonMises(angleDeg: number, centreDeg: number, kappa: number): number {
  return Math.exp(kappa * (Math.cos(((angleDeg - centreDeg) * Math.PI) / 180) - 1));
}

/**
 * RNFL thickness (µm) at a TSNIT angle: 0° temporal, 90° superior, 180° nasal, 270° inferior. The normal
 * profile is a double hump (superotemporal and inferotemporal bundles), averaging ~95 µm.
 */
export function peripapillaryRnfl(model: PeripapillaryModel, tsnitDeg: number): number {
  const shift = model.bundleShiftDeg;
  const superior = 78 * vonMises(tsnitDeg, 75 + shift, 3.2);
  const inferior = 84 * vonMises(tsnitDeg, 285 - shift, 3.2);
  const nasal = 14 * vonMises(tsnitDeg, 180, 1.5);
  const base = 56;
  const thickness =
    base +
    superior * (1 - model.superiorLoss) +
    inferior * (1 - model.inferiorLoss) +
    nasal -
    base *
      0.5 *
      (model.superiorLoss * vonMises(tsnitDeg, 80, 2) + model.inferiorLoss * vonMises(tsnitDeg, 280, 2));
  return Math.max(20, thickness * model.rnflScale);
}

/** Layer thicknesses on the peripapillary circle at a TSNIT angle. */
export function peripapillaryThickness(model: PeripapillaryModel, tsnitDeg: number): LayerThickness {
  return {
    rnfl: peripapillaryRnfl(model, tsnitDeg),
    gcl: 18,
    ipl: 24,
    inl: 26,
    opl: 22,
    onl: 52,
    innerSegments: 20,
    outerSegments: 30,
    rpe: 17,
    choroid: model.choroidUm,
  };
}
