/**
 * Fundus anatomy and image geometry. Anatomy is described in a retinal frame in millimetres: origin at
 * the foveal centre, x positive towards the nasal side (towards the optic disc), y positive inferior.
 * The image geometry maps that frame to pixels for a given eye: in an upright fundus view of a right eye
 * the disc (nasal) is on the image right, for a left eye on the image left.
 */
import type { Eye } from '../core/eye.ts';
import { Rng } from './rng.ts';

/** Retinal distance per degree of visual angle for an emmetropic eye (mm/°). */
export const mmPerDegree = 0.288;

/** Per-eye anatomy that stays the same across visits. */
export interface EyeAnatomy {
  readonly eye: Eye;
  /** Disc centre in the retinal frame (mm). */
  readonly discCentreMm: { readonly x: number; readonly y: number };
  /** Horizontal and vertical disc diameters (mm). */
  readonly discWidthMm: number;
  readonly discHeightMm: number;
  /** Vertical cup-to-disc ratio. */
  readonly cupToDiscRatio: number;
  /** 0 = lightly pigmented (blond) fundus, 1 = darkly pigmented. */
  readonly pigmentation: number;
  /** Whether a young foveal light reflex is visible. */
  readonly fovealReflex: boolean;
  /** The key the vessel tree of this eye is derived from. */
  readonly vesselSeed: string;
}

/** Options of {@link makeEyeAnatomy}. */
export interface EyeAnatomyOptions {
  /** Patient-level key (stable across visits). */
  readonly seed: string | number;
  readonly eye: Eye;
  readonly cupToDiscRatio?: number;
  readonly pigmentation?: number;
}

/** Derives the anatomy of one eye from a patient-level seed. */
export function makeEyeAnatomy(options: EyeAnatomyOptions): EyeAnatomy {
  const rng = new Rng(options.seed, 'eye-anatomy', options.eye);
  const discHeightMm = rng.range(1.7, 2.0);
  const cupToDiscRatio = options.cupToDiscRatio ?? rng.range(0.25, 0.5);
  if (cupToDiscRatio < 0 || cupToDiscRatio > 0.95) {
    throw new RangeError(`cup-to-disc ratio out of range: ${cupToDiscRatio}`);
  }
  return {
    eye: options.eye,
    discCentreMm: { x: rng.range(4.2, 4.7), y: rng.range(-0.55, -0.2) },
    discWidthMm: discHeightMm * rng.range(0.86, 0.95),
    discHeightMm,
    cupToDiscRatio,
    pigmentation: options.pigmentation ?? rng.float(),
    fovealReflex: rng.chance(0.6),
    vesselSeed: `${String(options.seed)}/vessels/${options.eye}`,
  };
}

/** Maps the retinal frame to an image. */
export interface FundusGeometry {
  readonly width: number;
  readonly height: number;
  readonly eye: Eye;
  /** Horizontal field of view of the circular field (degrees). */
  readonly fieldOfViewDeg: number;
  /** The circular field of view (pixels). */
  readonly fieldCentreX: number;
  readonly fieldCentreY: number;
  readonly fieldRadius: number;
  readonly pxPerMm: number;
  /** +1 when nasal is image-right (right eye), -1 otherwise. */
  readonly nasalSign: 1 | -1;
  /** Fovea position (pixels). */
  readonly foveaX: number;
  readonly foveaY: number;
}

/** Options of {@link makeFundusGeometry}. */
export interface FundusGeometryOptions {
  readonly width: number;
  readonly height: number;
  readonly eye: Eye;
  readonly fieldOfViewDeg?: number;
  /** Field diameter as a fraction of the shorter image side (default 0.96). */
  readonly fieldFraction?: number;
  /** Where the field is centred, in the retinal frame (mm). Default: 0.8 mm nasal of the fovea. */
  readonly fieldCentreMm?: { readonly x: number; readonly y: number };
}

/** Lays out a fundus image: field of view, scale and where the fovea falls. */
export function makeFundusGeometry(options: FundusGeometryOptions): FundusGeometry {
  const fieldOfViewDeg = options.fieldOfViewDeg ?? 45;
  const fieldRadius = (Math.min(options.width, options.height) * (options.fieldFraction ?? 0.96)) / 2;
  const pxPerMm = (2 * fieldRadius) / (fieldOfViewDeg * mmPerDegree);
  const nasalSign = options.eye === 'R' ? 1 : -1;
  const centreMm = options.fieldCentreMm ?? { x: 0.8, y: -0.1 };
  const fieldCentreX = options.width / 2;
  const fieldCentreY = options.height / 2;
  return {
    width: options.width,
    height: options.height,
    eye: options.eye,
    fieldOfViewDeg,
    fieldCentreX,
    fieldCentreY,
    fieldRadius,
    pxPerMm,
    nasalSign,
    foveaX: fieldCentreX - nasalSign * centreMm.x * pxPerMm,
    foveaY: fieldCentreY - centreMm.y * pxPerMm,
  };
}

/** Retinal frame (mm) to image x (pixels). */
export function toPixelX(geometry: FundusGeometry, xMm: number): number {
  return geometry.foveaX + geometry.nasalSign * xMm * geometry.pxPerMm;
}

/** Retinal frame (mm) to image y (pixels). */
export function toPixelY(geometry: FundusGeometry, yMm: number): number {
  return geometry.foveaY + yMm * geometry.pxPerMm;
}

/** Image x (pixels) to the retinal frame (mm). */
export function toRetinaX(geometry: FundusGeometry, x: number): number {
  return ((x - geometry.foveaX) * geometry.nasalSign) / geometry.pxPerMm;
}

/** Image y (pixels) to the retinal frame (mm). */
export function toRetinaY(geometry: FundusGeometry, y: number): number {
  return (y - geometry.foveaY) / geometry.pxPerMm;
}

/** Whether an image point lies inside the field of view, with a margin in pixels. */
export function insideField(geometry: FundusGeometry, x: number, y: number, margin = 0): boolean {
  const dx = x - geometry.fieldCentreX;
  const dy = y - geometry.fieldCentreY;
  const r = geometry.fieldRadius - margin;
  return r > 0 && dx * dx + dy * dy <= r * r;
}

/** The four quadrants used by the 4-2-1 rule, divided by horizontal and vertical lines through the fovea. */
export type FundusQuadrant = 'superotemporal' | 'superonasal' | 'inferotemporal' | 'inferonasal';

/** All quadrants in a fixed order. */
export const fundusQuadrants: readonly FundusQuadrant[] = [
  'superotemporal',
  'superonasal',
  'inferotemporal',
  'inferonasal',
];

/** The quadrant of a point in the retinal frame (mm). */
export function quadrantOf(xMm: number, yMm: number): FundusQuadrant {
  if (yMm < 0) {
    return xMm >= 0 ? 'superonasal' : 'superotemporal';
  }
  return xMm >= 0 ? 'inferonasal' : 'inferotemporal';
}
