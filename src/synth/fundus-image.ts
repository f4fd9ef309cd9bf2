/**
 * Colour fundus photographs (45° field): background reflectance with choroidal texture, macular pigment
 * and foveal reflex, the optic disc and cup, the vessel tree, lesions per ICDR level, illumination
 * fall-off, artefacts and sensor noise. Pixels are composed in linear float RGB, then quantised once.
 */
import type { Eye } from '../core/eye.ts';
import { applyArtefacts, blur3Rgb, boxBlurRgb, isGradable } from './fundus-artefacts.ts';
import type { FundusArtefact } from './fundus-artefacts.ts';
import { fundusQuadrants, makeEyeAnatomy, makeFundusGeometry } from './fundus-anatomy.ts';
import type { EyeAnatomy, FundusGeometry, FundusQuadrant } from './fundus-anatomy.ts';
import {
  chooseSevereCriteria,
  lesionLabels,
  planLesions,
  planVenousBeading,
  renderLesions,
} from './fundus-lesions.ts';
import type {
  FundusLesionType,
  IcdrLevel,
  LesionOptions,
  LesionPlan,
  SevereCriterion,
} from './fundus-lesions.ts';
import { growVesselTree, renderVessel, renderVesselTree } from './fundus-vessels.ts';
import type { VesselMaps } from './fundus-vessels.ts';
import { fractalField } from './noise.ts';
import { normalTable, Rng } from './rng.ts';
import type { Seed } from './rng.ts';
import { round, truthSchema } from './truth.ts';
import type { FundusTruth } from './truth.ts';
import { synthVersion } from './dicom-modules.ts';

/** Options of {@link generateFundusPixels}. */
export interface FundusPixelOptions {
  readonly seed: Seed;
  readonly eye: Eye;
  /** ICDR level (default 0). */
  readonly icdr?: IcdrLevel;
  /** Diabetic macular oedema: hard exudates within one disc diameter of the fovea (needs ICDR ≥ 2). */
  readonly dme?: boolean;
  readonly dmeCentreInvolved?: boolean;
  readonly severeCriteria?: readonly SevereCriterion[];
  readonly proliferative?: LesionOptions['proliferative'];
  readonly artefacts?: readonly FundusArtefact[];
  /** Image size in pixels (default 1600 × 1200). */
  readonly width?: number;
  readonly height?: number;
  readonly cupToDiscRatio?: number;
  readonly pigmentation?: number;
  /** Patient-level key for the eye's anatomy (vessel tree, disc); default derived from the seed. */
  readonly anatomySeed?: string;
}

/** A generated fundus image with its ground truth and label maps. */
export interface FundusPixels {
  readonly width: number;
  readonly height: number;
  /** Interleaved 8-bit RGB. */
  readonly rgb: Uint8Array;
  /** One label per pixel, values in {@link lesionLabels}. */
  readonly lesionMask: Uint8Array;
  /** One label per pixel: 0 background, 1 artery, 2 vein (where the vessel is clearly visible). */
  readonly vesselMask: Uint8Array;
  readonly truth: FundusTruth;
  readonly anatomy: EyeAnatomy;
  readonly geometry: FundusGeometry;
}

const lesionTypes: readonly FundusLesionType[] = [
  'microaneurysm',
  'haemorrhage',
  'hard-exudate',
  'cotton-wool-spot',
  'irma',
  'nvd',
  'nve',
  'preretinal-haemorrhage',
];

/** Generates a colour fundus photograph (pixels only, no DICOM), deterministic for the seed. */
export function generateFundusPixels(options: FundusPixelOptions): FundusPixels {
  const width = options.width ?? 1600;
  const height = options.height ?? 1200;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 128 || height < 128) {
    throw new RangeError(`fundus size must be integers ≥ 128, got ${width}×${height}`);
  }
  const icdr = options.icdr ?? 0;
  const dme = options.dme ?? false;
  const artefacts = [...new Set(options.artefacts ?? [])];
  const rng = new Rng(options.seed, 'fundus', options.eye);
  const anatomy = makeEyeAnatomy({
    seed: options.anatomySeed ?? `${String(options.seed)}/anatomy`,
    eye: options.eye,
    ...(options.cupToDiscRatio === undefined ? {} : { cupToDiscRatio: options.cupToDiscRatio }),
    ...(options.pigmentation === undefined ? {} : { pigmentation: options.pigmentation }),
  });
  const geometry = makeFundusGeometry({ width, height, eye: options.eye });
  const pixels = width * height;

  const tree = growVesselTree(anatomy);
  const lesionOptions: LesionOptions = {
    icdr,
    dme,
    ...(options.dmeCentreInvolved === undefined ? {} : { dmeCentreInvolved: options.dmeCentreInvolved }),
    ...(options.severeCriteria === undefined ? {} : { severeCriteria: options.severeCriteria }),
    ...(options.proliferative === undefined ? {} : { proliferative: options.proliferative }),
  };
  const severe = chooseSevereCriteria(rng.fork('severe'), lesionOptions);
  const beadingRng = rng.fork('beading');
  let beadingQuadrants: FundusQuadrant[] = [];
  if (severe.includes('venous-beading-2-quadrants')) {
    beadingQuadrants = beadingRng.shuffle([...fundusQuadrants]).slice(0, 2);
  } else if (icdr === 4 && beadingRng.chance(0.3)) {
    beadingQuadrants = [beadingRng.pick(fundusQuadrants)];
  }
  const beading = planVenousBeading(beadingRng, tree, geometry, beadingQuadrants);

  const maps: VesselMaps = { artery: new Float32Array(pixels), vein: new Float32Array(pixels) };
  renderVesselTree(tree, geometry, maps);
  const plan = planLesions(
    rng.fork('lesions'),
    anatomy,
    geometry,
    tree,
    lesionOptions,
    severe,
    beading,
    (x, y) => {
      const i = Math.round(y) * width + Math.round(x);
      return (maps.artery[i] ?? 0) + (maps.vein[i] ?? 0);
    },
  );
  const lesionMask = new Uint8Array(pixels);
  renderNetworks(plan, geometry, maps, lesionMask);

  const illumination = makeIllumination(geometry, rng.fork('illumination'));
  const rgb = composeBackground(anatomy, geometry, maps, illumination, rng.fork('background'));
  renderLesions(
    { width, height, rgb, light: (x, y) => lightAt(illumination, x, y) },
    plan,
    lesionMask,
    rng.fork('lesion-shapes'),
  );
  if (plan.vitreous !== undefined) {
    applyVitreousHaze(rgb, geometry, plan, illumination, rng.fork('vitreous'));
  }
  // The camera's optics: a slight blur (about 1.5 px at 2000 px across).
  const psf = Math.max(1, Math.round(geometry.fieldRadius / 900));
  if (psf === 1) {
    blur3Rgb(rgb, width, height);
  } else {
    boxBlurRgb(rgb, width, height, psf);
  }
  applyArtefacts(rgb, geometry, artefacts, rng.fork('artefacts'));
  const out = quantise(rgb, rng.fork('noise'));

  const vesselMask = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    const a = maps.artery[i]!;
    const v = maps.vein[i]!;
    if (a > 0.3 || v > 0.3) {
      vesselMask[i] = a >= v ? 1 : 2;
    }
  }
  const truth = buildTruth(options, anatomy, geometry, plan, artefacts, icdr);
  return { width, height, rgb: out, lesionMask, vesselMask, truth, anatomy, geometry };
}

/** IRMA and new vessels: drawn like vessels into the artery map, labelled in the lesion mask. */
function renderNetworks(
  plan: LesionPlan,
  geometry: FundusGeometry,
  maps: VesselMaps,
  mask: Uint8Array,
): void {
  if (plan.extraVessels.length === 0) {
    return;
  }
  const network = new Float32Array(geometry.width * geometry.height);
  for (const vessel of plan.extraVessels) {
    renderVessel(vessel, geometry, network, { reflex: 0, minRadiusPx: 0.2 });
  }
  const regions = plan.lesions.filter((l) => l.type === 'irma' || l.type === 'nvd' || l.type === 'nve');
  const { width } = geometry;
  for (const region of regions) {
    const reach = region.radiusPx * 1.6 + 4;
    const label = lesionLabels[region.type];
    for (
      let y = Math.max(0, Math.floor(region.y - reach));
      y <= Math.min(geometry.height - 1, region.y + reach);
      y++
    ) {
      for (
        let x = Math.max(0, Math.floor(region.x - reach));
        x <= Math.min(width - 1, region.x + reach);
        x++
      ) {
        const i = y * width + x;
        // New vessels and IRMA are dilated, blood-filled and superficial: more contrast than their calibre gives.
        const value = Math.min(1, 2.6 * network[i]!);
        if (value > 0) {
          if (value > maps.artery[i]!) {
            maps.artery[i] = value;
          }
          if (value > 0.25 && mask[i] === 0) {
            mask[i] = label;
          }
        }
      }
    }
  }
}

/** A lookup table of exp(-x / scale) for x in [0, limit). */
function expTable(
  limit: number,
  scale: number,
  size = 2048,
): { readonly table: Float32Array; readonly step: number } {
  const table = new Float32Array(size + 1);
  const step = size / limit;
  for (let i = 0; i <= size; i++) {
    table[i] = Math.exp(-i / step / scale);
  }
  return { table, step };
}

/**
 * The illuminated background (pigment, choroidal texture, colour patches, macular pigment, fovea,
 * peripapillary zone, optic disc and cup), multiplied by the transmittance of the vessels. The smooth
 * part is computed on a quarter-resolution grid and upsampled; the disc, the foveal reflex, the field
 * edge and the vessels are drawn at full resolution.
 */
function composeBackground(
  anatomy: EyeAnatomy,
  geometry: FundusGeometry,
  maps: VesselMaps,
  illumination: Illumination,
  rng: Rng,
): Float32Array {
  const { width, height, pxPerMm } = geometry;
  const p = anatomy.pigmentation;
  const tint = [1 + rng.normal(0, 0.05), 1 + rng.normal(0, 0.08), 1 + rng.normal(0, 0.1)] as const;
  // Calibrated to real photographs: G/R ≈ 0.55–0.65, B/R ≈ 0.25–0.5 away from the disc and vessels.
  const baseR = (0.84 - 0.28 * p) * tint[0];
  const baseG = (0.51 - 0.2 * p) * tint[1];
  const baseB = (0.34 - 0.15 * p) * tint[2];
  const factor = 4;
  const tw = Math.ceil(width / factor) + 2;
  const th = Math.ceil(height / factor) + 2;
  const texture = fractalField(tw, th, (0.9 * pxPerMm) / factor, 5, rng.fork('choroid'), 0.62);
  const patches = fractalField(tw, th, (4 * pxPerMm) / factor, 2, rng.fork('patches'), 0.5);
  // Broad colour variation: pinker and greyer-greener regions, as fundus photographs show.
  const hue = fractalField(tw, th, (3 * pxPerMm) / factor, 2, rng.fork('hue'), 0.5);
  const textureAmp = 0.05 + 0.05 * (1 - p);
  const macula = expTable(16, 2.2);
  const fovea = expTable(16, 0.15);
  const { lightR, lightG, lightB, step: lightStep, limit: lightLimit, tiltX, tiltY, unmasked } = illumination;
  const inverseRadius = 1 / geometry.fieldRadius;

  // Quarter-resolution smooth background, already illuminated (without the field-edge mask).
  const smooth = new Float32Array(tw * th * 3);
  for (let j = 0; j < th; j++) {
    const y = j * factor;
    const ym = (y - geometry.foveaY) / pxPerMm;
    const dyn = (y - geometry.fieldCentreY) * inverseRadius;
    for (let i = 0; i < tw; i++) {
      const x = i * factor;
      const xm = ((x - geometry.foveaX) * geometry.nasalSign) / pxPerMm;
      const dxn = (x - geometry.fieldCentreX) * inverseRadius;
      const g = j * tw + i;
      const t = texture[g]! + 0.8 * patches[g]!;
      const h = hue[g]!;
      let r = baseR * (1 + 1.3 * textureAmp * t) * (1 + 0.05 * h);
      let gr = baseG * (1 + textureAmp * t) * (1 - 0.08 * h);
      let b = baseB * (1 + 0.8 * textureAmp * t) * (1 - 0.06 * h);
      const d2 = xm * xm + ym * ym;
      if (d2 < 16) {
        const k = Math.floor(d2 * macula.step);
        const m = macula.table[k]!;
        const f = fovea.table[k]!;
        r *= 1 - 0.2 * m - 0.14 * f;
        gr *= 1 - 0.34 * m - 0.22 * f;
        b *= 1 - 0.28 * m - 0.18 * f;
      }
      const rho2 = Math.min(dxn * dxn + dyn * dyn, unmasked.limit);
      const k = Math.floor(rho2 * unmasked.step);
      const tilt = 1 + tiltX * dxn + tiltY * dyn;
      smooth[3 * g] = r * unmasked.lightR[k]! * tilt;
      smooth[3 * g + 1] = gr * unmasked.lightG[k]! * tilt;
      smooth[3 * g + 2] = b * unmasked.lightB[k]! * tilt;
    }
  }

  // Full resolution: upsample, then the field-edge mask.
  const rgb = new Float32Array(width * height * 3);
  const tx0 = new Int32Array(width);
  const twx = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    tx0[x] = Math.floor(x / factor);
    twx[x] = x / factor - Math.floor(x / factor);
  }
  const edgeStart = (1 - 4 * inverseRadius) ** 2;
  for (let y = 0; y < height; y++) {
    const ty = Math.floor(y / factor);
    const wy = y / factor - ty;
    const row0 = 3 * ty * tw;
    const row1 = row0 + 3 * tw;
    const dyn = (y - geometry.fieldCentreY) * inverseRadius;
    const dyn2 = dyn * dyn;
    if (dyn2 >= lightLimit) {
      continue;
    }
    // Only the span of the row inside the field.
    const half = Math.sqrt(lightLimit - dyn2) * geometry.fieldRadius;
    const x0 = Math.max(0, Math.floor(geometry.fieldCentreX - half));
    const x1 = Math.min(width - 1, Math.ceil(geometry.fieldCentreX + half));
    for (let x = x0; x <= x1; x++) {
      const i0 = row0 + 3 * tx0[x]!;
      const i1 = row1 + 3 * tx0[x]!;
      const wx = twx[x]!;
      const w00 = (1 - wx) * (1 - wy);
      const w01 = wx * (1 - wy);
      const w10 = (1 - wx) * wy;
      const w11 = wx * wy;
      let r = w00 * smooth[i0]! + w01 * smooth[i0 + 3]! + w10 * smooth[i1]! + w11 * smooth[i1 + 3]!;
      let g = w00 * smooth[i0 + 1]! + w01 * smooth[i0 + 4]! + w10 * smooth[i1 + 1]! + w11 * smooth[i1 + 4]!;
      let b = w00 * smooth[i0 + 2]! + w01 * smooth[i0 + 5]! + w10 * smooth[i1 + 2]! + w11 * smooth[i1 + 5]!;
      const dxn = (x - geometry.fieldCentreX) * inverseRadius;
      const rho2 = dxn * dxn + dyn2;
      if (rho2 >= edgeStart) {
        if (rho2 >= lightLimit) {
          continue;
        }
        // The soft field edge: masked light over unmasked light.
        const k = Math.floor(rho2 * lightStep);
        const ku = Math.floor(Math.min(rho2, unmasked.limit) * unmasked.step);
        r *= lightR[k]! / unmasked.lightR[ku]!;
        g *= lightG[k]! / unmasked.lightG[ku]!;
        b *= lightB[k]! / unmasked.lightB[ku]!;
      }
      const i3 = 3 * (y * width + x);
      rgb[i3] = r;
      rgb[i3 + 1] = g;
      rgb[i3 + 2] = b;
    }
  }

  drawDisc(rgb, anatomy, geometry, illumination, texture, tw);
  if (anatomy.fovealReflex) {
    drawFovealReflex(rgb, geometry, illumination);
  }
  applyVesselTransmittance(rgb, maps);
  return rgb;
}

/** The optic disc: orange-pink neuroretinal rim, pale yellow-white cup, a paler peripapillary ring. */
function drawDisc(
  rgb: Float32Array,
  anatomy: EyeAnatomy,
  geometry: FundusGeometry,
  illumination: Illumination,
  texture: Float32Array,
  textureWidth: number,
): void {
  const { width, height, pxPerMm } = geometry;
  const disc = anatomy.discCentreMm;
  const discRx = anatomy.discWidthMm / 2;
  const discRy = anatomy.discHeightMm / 2;
  const cupRy = discRy * anatomy.cupToDiscRatio;
  const cupRx = discRx * anatomy.cupToDiscRatio * 0.95;
  const cupX = disc.x - 0.1 * discRx;
  const rimSoft = 0.06;
  const cx = geometry.foveaX + geometry.nasalSign * disc.x * pxPerMm;
  const cy = geometry.foveaY + disc.y * pxPerMm;
  const reach = 2 * Math.max(discRx, discRy) * pxPerMm + 2;
  for (let y = Math.max(0, Math.floor(cy - reach)); y <= Math.min(height - 1, Math.ceil(cy + reach)); y++) {
    const ym = (y - geometry.foveaY) / pxPerMm;
    const ey = (ym - disc.y) / discRy;
    const cupY = (ym - disc.y) / cupRy;
    for (let x = Math.max(0, Math.floor(cx - reach)); x <= Math.min(width - 1, Math.ceil(cx + reach)); x++) {
      const xm = ((x - geometry.foveaX) * geometry.nasalSign) / pxPerMm;
      const ex = (xm - disc.x) / discRx;
      const e2 = ex * ex + ey * ey;
      if (e2 >= 4) {
        continue;
      }
      const i3 = 3 * (y * width + x);
      if (rgb[i3] === 0 && rgb[i3 + 1] === 0) {
        continue;
      }
      const e = Math.sqrt(e2);
      const ring = Math.exp(-(((e - 1.1) / 0.1) ** 2));
      let r = rgb[i3]! * (1 + 0.04 * ring);
      let g = rgb[i3 + 1]! * (1 + 0.07 * ring);
      let b = rgb[i3 + 2]! * (1 + 0.06 * ring);
      const inside = Math.min(1, Math.max(0, (1 - e) / (rimSoft / discRx) + 0.5));
      if (inside > 0) {
        const ux = (xm - cupX) / cupRx;
        const c = Math.sqrt(ux * ux + cupY * cupY);
        const cup = Math.min(1, Math.max(0, (1.15 - c) / 0.55));
        // The rim is pinker towards its nasal edge and paler centrally; the cup is yellow-white.
        const nasal = Math.min(1, Math.max(0, ex));
        const centre = 1 - Math.min(1, e);
        const t = texture[Math.floor(y / 4) * textureWidth + Math.floor(x / 4)] ?? 0;
        const shade = 1 + 0.1 * t;
        const [lr, lg, lb] = lightAt(illumination, x, y);
        const discR = (1.16 + 0.06 * centre + 0.1 * cup) * shade * lr;
        const discG = (0.78 - 0.08 * nasal + 0.08 * centre + 0.26 * cup) * shade * lg;
        const discB = (0.5 - 0.05 * nasal + 0.06 * centre + 0.3 * cup) * shade * lb;
        r += (discR - r) * inside;
        g += (discG - g) * inside;
        b += (discB - b) * inside;
      }
      rgb[i3] = r;
      rgb[i3 + 1] = g;
      rgb[i3 + 2] = b;
    }
  }
}

/** The young foveal light reflex: a small bright dot at the foveal centre. */
function drawFovealReflex(rgb: Float32Array, geometry: FundusGeometry, illumination: Illumination): void {
  const { width, pxPerMm } = geometry;
  const reach = Math.ceil(0.2 * pxPerMm);
  const [lr, lg, lb] = lightAt(illumination, geometry.foveaX, geometry.foveaY);
  for (let y = Math.floor(geometry.foveaY - reach); y <= geometry.foveaY + reach; y++) {
    for (let x = Math.floor(geometry.foveaX - reach); x <= geometry.foveaX + reach; x++) {
      if (x < 0 || y < 0 || x >= width || y >= geometry.height) {
        continue;
      }
      const dx = (x - geometry.foveaX) / pxPerMm;
      const dy = (y - geometry.foveaY) / pxPerMm;
      const spot = 0.35 * Math.exp(-(dx * dx + dy * dy) / 0.0012);
      const i3 = 3 * (y * width + x);
      rgb[i3] = rgb[i3]! + (0.9 * lr - rgb[i3]!) * spot;
      rgb[i3 + 1] = rgb[i3 + 1]! + (0.8 * lg - rgb[i3 + 1]!) * spot;
      rgb[i3 + 2] = rgb[i3 + 2]! + (0.75 * lb - rgb[i3 + 2]!) * spot;
    }
  }
}

/** Multiplies by the transmittance of blood (arteries bright red, veins darker), from lookup tables. */
function applyVesselTransmittance(rgb: Float32Array, maps: VesselMaps): void {
  const size = 2048;
  const limit = 2;
  const step = size / limit;
  const table = (k: number): Float32Array => {
    const t = new Float32Array(size + 1);
    for (let i = 0; i <= size; i++) {
      t[i] = Math.exp((-k * i) / step);
    }
    return t;
  };
  const aR = table(0.2);
  const aG = table(0.85);
  const aB = table(0.65);
  const vR = table(0.5);
  const vG = table(1.2);
  const vB = table(0.95);
  const { artery, vein } = maps;
  for (let i = 0; i < artery.length; i++) {
    const a = artery[i]!;
    const v = vein[i]!;
    if (a === 0 && v === 0) {
      continue;
    }
    const ia = Math.floor(Math.min(a, limit) * step);
    const iv = Math.floor(Math.min(v, limit) * step);
    const i3 = 3 * i;
    rgb[i3] = rgb[i3]! * aR[ia]! * vR[iv]!;
    rgb[i3 + 1] = rgb[i3 + 1]! * aG[ia]! * vG[iv]!;
    rgb[i3 + 2] = rgb[i3 + 2]! * aB[ia]! * vB[iv]!;
  }
}

/** Vitreous haemorrhage: a reddish haze that veils the retina over part of the field. */
function applyVitreousHaze(
  rgb: Float32Array,
  geometry: FundusGeometry,
  plan: LesionPlan,
  illumination: Illumination,
  rng: Rng,
): void {
  const haze = plan.vitreous!;
  const { width, height } = geometry;
  const texture = fractalField(width, height, haze.radiusPx * 0.5, 4, rng, 0.55);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - haze.x, y - haze.y) / haze.radiusPx;
      if (d > 1.6) {
        continue;
      }
      const i = y * width + x;
      const edge = Math.min(1, Math.max(0, (1.4 - d) / 0.8));
      const a = Math.min(0.95, haze.density * edge * Math.min(1.2, Math.max(0, 0.8 + 0.8 * texture[i]!)));
      const i3 = i * 3;
      const [lr, lg, lb] = lightAt(illumination, x, y);
      rgb[i3] = rgb[i3]! + (0.34 * lr - rgb[i3]!) * a;
      rgb[i3 + 1] = rgb[i3 + 1]! + (0.06 * lg - rgb[i3 + 1]!) * a;
      rgb[i3 + 2] = rgb[i3 + 2]! + (0.045 * lb - rgb[i3 + 2]!) * a;
    }
  }
}

/** Illumination of the field: radial fall-off (redder periphery), a gentle tilt, the soft field edge. */
interface Illumination {
  readonly geometry: FundusGeometry;
  /** Light per channel indexed by rho² × step (rho: radius normalised to the field radius). */
  readonly lightR: Float32Array;
  readonly lightG: Float32Array;
  readonly lightB: Float32Array;
  readonly step: number;
  /** rho² beyond which the image is black. */
  readonly limit: number;
  readonly tiltX: number;
  readonly tiltY: number;
  /** The same light without the field-edge mask (for the smooth background). */
  readonly unmasked: {
    readonly lightR: Float32Array;
    readonly lightG: Float32Array;
    readonly lightB: Float32Array;
    readonly step: number;
    readonly limit: number;
  };
}

function makeIllumination(geometry: FundusGeometry, rng: Rng): Illumination {
  const { fieldRadius } = geometry;
  const tiltAngle = rng.range(0, 2 * Math.PI);
  const tilt = rng.range(0.04, 0.12);
  const falloff = rng.range(0.3, 0.45);
  const exponent = rng.range(2, 3);
  const gain = rng.range(0.92, 1.08);
  const size = 4096;
  const limit = (1 + 4 / fieldRadius) ** 2;
  const step = size / limit;
  const lightR = new Float32Array(size + 2);
  const lightG = new Float32Array(size + 2);
  const lightB = new Float32Array(size + 2);
  // Unmasked light, defined out to the corners of the image (rho up to 2).
  const unmaskedLimit = 4;
  const unmaskedStep = size / unmaskedLimit;
  const uR = new Float32Array(size + 2);
  const uG = new Float32Array(size + 2);
  const uB = new Float32Array(size + 2);
  for (let i = 0; i <= size + 1; i++) {
    const rho = Math.sqrt(i / step);
    const mask = Math.min(1, Math.max(0, (1 - rho) * fieldRadius * 0.6 + 0.5));
    const light = gain * (1 - falloff * rho ** exponent) * mask;
    lightR[i] = light;
    lightG[i] = light * (1 - 0.1 * rho * rho);
    lightB[i] = light * (1 - 0.15 * rho * rho);
    const rhoU = Math.min(1 + 4 / fieldRadius, Math.sqrt(i / unmaskedStep));
    const lightU = gain * (1 - falloff * rhoU ** exponent);
    uR[i] = lightU;
    uG[i] = lightU * (1 - 0.1 * rhoU * rhoU);
    uB[i] = lightU * (1 - 0.15 * rhoU * rhoU);
  }
  return {
    unmasked: { lightR: uR, lightG: uG, lightB: uB, step: unmaskedStep, limit: unmaskedLimit },
    geometry,
    lightR,
    lightG,
    lightB,
    step,
    limit,
    tiltX: Math.cos(tiltAngle) * tilt,
    tiltY: Math.sin(tiltAngle) * tilt,
  };
}

/** The light reaching an image point, per channel. */
function lightAt(illumination: Illumination, x: number, y: number): readonly [number, number, number] {
  const { geometry } = illumination;
  const dx = (x - geometry.fieldCentreX) / geometry.fieldRadius;
  const dy = (y - geometry.fieldCentreY) / geometry.fieldRadius;
  const rho2 = dx * dx + dy * dy;
  if (rho2 >= illumination.limit) {
    return [0, 0, 0];
  }
  const k = Math.floor(rho2 * illumination.step);
  const tilt = 1 + illumination.tiltX * dx + illumination.tiltY * dy;
  return [illumination.lightR[k]! * tilt, illumination.lightG[k]! * tilt, illumination.lightB[k]! * tilt];
}

/** Adds sensor noise and quantises to 8 bits (the background outside the field stays near black). */
function quantise(rgb: Float32Array, rng: Rng): Uint8Array {
  const table = normalTable(rng);
  const mask = table.length - 1;
  const out = new Uint8Array(rgb.length);
  let state = rng.next() | 1;
  const n = rgb.length;
  for (let i = 0; i < n; i += 3) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    let v = 255 * rgb[i]! + 2.6 * table[state & mask]!;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
    v = 255 * rgb[i + 1]! + 3.0 * table[(state >>> 8) & mask]!;
    out[i + 1] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
    v = 255 * rgb[i + 2]! + 3.4 * table[(state >>> 16) & mask]!;
    out[i + 2] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
  }
  return out;
}

function buildTruth(
  options: FundusPixelOptions,
  anatomy: EyeAnatomy,
  geometry: FundusGeometry,
  plan: LesionPlan,
  artefacts: readonly FundusArtefact[],
  icdr: IcdrLevel,
): FundusTruth {
  const counts = Object.fromEntries(lesionTypes.map((type) => [type, 0])) as Record<FundusLesionType, number>;
  const haemorrhagesByQuadrant = Object.fromEntries(fundusQuadrants.map((q) => [q, 0])) as Record<
    FundusQuadrant,
    number
  >;
  for (const lesion of plan.lesions) {
    counts[lesion.type] += 1;
    if (lesion.type === 'haemorrhage') {
      haemorrhagesByQuadrant[lesion.quadrant] += 1;
    }
  }
  const discDiameterMm = (anatomy.discWidthMm + anatomy.discHeightMm) / 2;
  const exudates = plan.lesions.filter((l) => l.type === 'hard-exudate');
  const nearest =
    exudates.length === 0 ? null : Math.min(...exudates.map((l) => l.distanceToFoveaMm - l.radiusMm));
  const within = exudates.filter((l) => l.distanceToFoveaMm + l.radiusMm <= discDiameterMm).length;
  const irmaQuadrants = [...new Set(plan.lesions.filter((l) => l.type === 'irma').map((l) => l.quadrant))];
  const beadingQuadrants = [...new Set(plan.beading.map((b) => b.quadrant))];
  const over20 = fundusQuadrants.filter((q) => haemorrhagesByQuadrant[q] > 20).length;
  const criteriaMet: SevereCriterion[] = [];
  if (over20 === 4) {
    criteriaMet.push('haemorrhages-4-quadrants');
  }
  if (beadingQuadrants.length >= 2) {
    criteriaMet.push('venous-beading-2-quadrants');
  }
  if (irmaQuadrants.length >= 1) {
    criteriaMet.push('irma-1-quadrant');
  }
  const disc = anatomy.discCentreMm;
  return {
    schema: truthSchema,
    kind: 'fundus',
    generator: `fovea-synth@${synthVersion}`,
    seed: String(options.seed),
    eye: options.eye,
    anatomy: {
      width: geometry.width,
      height: geometry.height,
      fieldOfViewDeg: geometry.fieldOfViewDeg,
      fieldOfView: {
        x: round(geometry.fieldCentreX, 2),
        y: round(geometry.fieldCentreY, 2),
        radius: round(geometry.fieldRadius, 2),
      },
      pxPerMm: round(geometry.pxPerMm, 4),
      fovea: { x: round(geometry.foveaX, 2), y: round(geometry.foveaY, 2) },
      disc: {
        x: round(geometry.foveaX + geometry.nasalSign * disc.x * geometry.pxPerMm, 2),
        y: round(geometry.foveaY + disc.y * geometry.pxPerMm, 2),
        widthPx: round(anatomy.discWidthMm * geometry.pxPerMm, 2),
        heightPx: round(anatomy.discHeightMm * geometry.pxPerMm, 2),
        widthMm: round(anatomy.discWidthMm, 4),
        heightMm: round(anatomy.discHeightMm, 4),
      },
      discDiameterPx: round(discDiameterMm * geometry.pxPerMm, 2),
      discDiameterMm: round(discDiameterMm, 4),
      cupToDiscRatio: round(anatomy.cupToDiscRatio, 3),
      discSide: geometry.nasalSign === 1 ? 'right' : 'left',
      pigmentation: round(anatomy.pigmentation, 3),
      quadrantOrigin: 'fovea',
    },
    icdr,
    referable: icdr >= 2 || plan.dme.present,
    dme: {
      present: plan.dme.present,
      centreInvolved: plan.dme.centreInvolved,
      exudatesWithinOneDiscDiameter: plan.dme.present ? within : 0,
      nearestExudateMm: nearest === null ? null : round(nearest, 4),
    },
    gradable: isGradable(artefacts),
    artefacts,
    lesions: plan.lesions,
    counts,
    haemorrhagesByQuadrant,
    fourTwoOne: {
      haemorrhageQuadrantsOver20: over20,
      venousBeadingQuadrants: beadingQuadrants,
      irmaQuadrants,
      criteriaMet,
    },
    venousBeading: plan.beading,
    proliferative: {
      nvd: counts.nvd > 0,
      nve: counts.nve > 0,
      preretinalHaemorrhage: counts['preretinal-haemorrhage'] > 0,
      vitreousHaemorrhage: plan.vitreous ?? null,
    },
    lesionMaskLabels: lesionLabels,
  };
}
