/**
 * Optic disc and fovea. The disc is where a bright disc-sized blob and a high density of large vessels meet
 * (the vessels converge on it; a bright exudate or reflex has no vessels); the fovea is the darkest
 * vessel-free region 2–3 disc diameters temporal to the disc, roughly level with it. Both are searched on a
 * coarse copy of the working image.
 * @see https://doi.org/10.1109/TMI.2004.830527 (Foracchia, Grisan, Ruggeri 2004: vessel convergence locates the disc)
 */
import { downsamplePlane, maskedGaussianBlur, type Mask, type Plane } from '../../imaging/index.ts';
import { parameters } from './parameters.ts';

/** Disc and fovea in the coordinates of the plane they were searched on. */
export interface Landmarks {
  readonly discX: number;
  readonly discY: number;
  readonly foveaX: number;
  readonly foveaY: number;
  /** Expected disc diameter in the same pixels. */
  readonly discDiameter: number;
  /** Disc score in standard deviations (how clearly it stands out). */
  readonly discScore: number;
}

function toPlane(mask: Mask): Plane {
  return { width: mask.width, height: mask.height, data: Float32Array.from(mask.data) };
}

/**
 * Finds the disc and the fovea from the working green and luminance-like brightness, the field mask and the
 * vessel mask (all of one size), with the field's centre and radius in those pixels.
 */
export function findLandmarks(
  brightness: Plane,
  green: Plane,
  fieldMask: Mask,
  vesselMask: Mask,
  centreX: number,
  centreY: number,
  radius: number,
): Landmarks {
  const settings = parameters.landmarks;
  const factor = Math.min(1, settings.coarseDiameter / (2 * radius));
  const width = Math.max(1, Math.round(brightness.width * factor));
  const height = Math.max(1, Math.round(brightness.height * factor));
  const f = width / brightness.width;
  const bright = downsamplePlane(brightness, width, height);
  const dark = downsamplePlane(green, width, height);
  const fieldPlane = downsamplePlane(toPlane(fieldMask), width, height);
  const field: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let i = 0; i < field.data.length; i++) {
    field.data[i] = fieldPlane.data[i]! > 0.5 ? 1 : 0;
  }
  const vessels = downsamplePlane(toPlane(vesselMask), width, height);
  const r = radius * f;
  const cx = centreX * f;
  const cy = centreY * f;
  const dd = settings.discDiameterFraction * 2 * r;
  const blob = maskedGaussianBlur(bright, field, 0.25 * dd);
  const surround = maskedGaussianBlur(bright, field, 1.2 * dd);
  const density = maskedGaussianBlur(vessels, field, 0.35 * dd);
  const scoreOf = (values: Float32Array): Float32Array => {
    let sum = 0;
    let squares = 0;
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      if (field.data[i] !== 0) {
        sum += values[i]!;
        squares += values[i]! * values[i]!;
        count++;
      }
    }
    const mean = sum / Math.max(1, count);
    const sd = Math.sqrt(Math.max(1e-12, squares / Math.max(1, count) - mean * mean));
    return values.map((value) => (value - mean) / sd);
  };
  const contrast = new Float32Array(width * height);
  for (let i = 0; i < contrast.length; i++) {
    contrast[i] = blob.data[i]! / Math.max(1e-4, surround.data[i]!) - 1;
  }
  const contrastScore = scoreOf(contrast);
  const densityScore = scoreOf(density.data);
  let best = -Infinity;
  let discX = cx;
  let discY = cy;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (field.data[i] === 0 || Math.hypot(x + 0.5 - cx, y + 0.5 - cy) > settings.discSearchRadius * r) {
        continue;
      }
      const score = contrastScore[i]! + settings.vesselWeight * densityScore[i]!;
      if (score > best) {
        best = score;
        discX = x + 0.5;
        discY = y + 0.5;
      }
    }
  }
  const darkBlur = maskedGaussianBlur(dark, field, 0.3 * dd);
  const towardsCentre = Math.sign(cx - discX) || 1;
  let darkest = Infinity;
  let foveaX = discX + towardsCentre * 2.5 * dd;
  let foveaY = discY;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const dx = (x + 0.5 - discX) * towardsCentre;
      const dy = y + 0.5 - discY;
      const distance = Math.hypot(dx, dy);
      if (field.data[i] === 0 || dx <= 0 || distance < 2 * dd || distance > 3 * dd) {
        continue;
      }
      if (Math.abs(Math.atan2(dy, dx)) > (settings.foveaMaxAngleDeg * Math.PI) / 180) {
        continue;
      }
      if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) > 0.85 * r) {
        continue;
      }
      const value = darkBlur.data[i]! + settings.foveaVesselPenalty * density.data[i]!;
      if (value < darkest) {
        darkest = value;
        foveaX = x + 0.5;
        foveaY = y + 0.5;
      }
    }
  }
  return {
    discX: discX / f,
    discY: discY / f,
    foveaX: foveaX / f,
    foveaY: foveaY / f,
    discDiameter: dd / f,
    discScore: best,
  };
}
