/**
 * The optic disc (the brightest disc-sized blob of the field) and the macula (the darkest macula-sized region
 * about 2.5 disc diameters from the disc, roughly horizontal from it), each with how much it stands out from
 * its surround. Both are large structures, so they are searched on a half-resolution copy.
 */
import { downsamplePlane, maskedGaussianBlur, type Mask, type Plane } from '../../imaging/index.ts';
import { parameters } from './parameters.ts';
import type { WorkingImage } from './working-image.ts';

/** A located landmark in working pixels, with its contrast to its surround (0 when none was found). */
export interface Landmark {
  readonly found: boolean;
  readonly x: number;
  readonly y: number;
  readonly contrast: number;
}

/** The working image at half resolution: what the landmark searches need. */
export interface LandmarkImage {
  readonly luminance: Plane;
  readonly green: Plane;
  readonly retina: Mask;
  /** Half-resolution pixels per working pixel. */
  readonly factor: number;
  readonly centreX: number;
  readonly centreY: number;
  readonly radius: number;
  /** Expected disc diameter in half-resolution pixels. */
  readonly discDiameter: number;
}

/** Halves the working image for the landmark searches. */
export function landmarkImage(image: WorkingImage): LandmarkImage {
  const width = Math.max(1, Math.round(image.luminance.width / 2));
  const height = Math.max(1, Math.round(image.luminance.height / 2));
  const factor = width / image.luminance.width;
  const retinaPlane = downsamplePlane(
    { width: image.retina.width, height: image.retina.height, data: Float32Array.from(image.retina.data) },
    width,
    height,
  );
  const retina: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let i = 0; i < retina.data.length; i++) {
    retina.data[i] = retinaPlane.data[i]! >= 0.5 ? 1 : 0;
  }
  const radius = image.radius * factor;
  return {
    luminance: downsamplePlane(image.luminance, width, height),
    green: downsamplePlane(image.green, width, height),
    retina,
    factor,
    centreX: image.centreX * factor,
    centreY: image.centreY * factor,
    radius,
    discDiameter: parameters.opticDisc.diameterFraction * 2 * radius,
  };
}

function landmarkAt(index: number, contrast: number, width: number, factor: number): Landmark {
  if (index < 0) {
    return { found: false, x: 0, y: 0, contrast: 0 };
  }
  return {
    found: true,
    x: ((index % width) + 0.5) / factor,
    y: (Math.floor(index / width) + 0.5) / factor,
    contrast,
  };
}

/** Finds the optic disc: the maximum of (blob − surround) / surround of luminance, away from the rim. */
export function findOpticDisc(image: LandmarkImage): Landmark {
  const { luminance, retina, centreX, centreY, radius, factor } = image;
  const discRadius = image.discDiameter / 2;
  const blob = maskedGaussianBlur(luminance, retina, parameters.opticDisc.blobSigma * discRadius).data;
  const surround = maskedGaussianBlur(
    luminance,
    retina,
    parameters.opticDisc.surroundSigma * discRadius,
  ).data;
  const reach = radius - discRadius;
  let bestIndex = -1;
  let bestContrast = Number.NEGATIVE_INFINITY;
  const { width, height } = luminance;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (retina.data[i] === 0 || Math.hypot(x + 0.5 - centreX, y + 0.5 - centreY) > reach) {
        continue;
      }
      const level = Math.max(1e-3, surround[i]!);
      const contrast = (blob[i]! - level) / level;
      if (contrast > bestContrast) {
        bestContrast = contrast;
        bestIndex = i;
      }
    }
  }
  return landmarkAt(bestIndex, bestContrast, width, factor);
}

/** Finds the macula: the darkest green region in the annulus around the disc, within the angle from horizontal. */
export function findMacula(image: LandmarkImage, disc: Landmark): Landmark {
  const { green, retina, centreX, centreY, radius, factor, discDiameter } = image;
  const settings = parameters.macula;
  const { width, height } = green;
  if (!disc.found) {
    return landmarkAt(-1, 0, width, factor);
  }
  const discX = disc.x * factor;
  const discY = disc.y * factor;
  const centre = maskedGaussianBlur(green, retina, settings.centreSigma * discDiameter).data;
  const surround = maskedGaussianBlur(green, retina, settings.surroundSigma * discDiameter).data;
  const slope = Math.tan((settings.maxAngle * Math.PI) / 180);
  const reach = radius - settings.rimMargin * discDiameter;
  const top = Math.max(0, Math.floor(discY - settings.maxDistance * discDiameter));
  const bottom = Math.min(height, Math.ceil(discY + settings.maxDistance * discDiameter));
  let bestIndex = -1;
  let bestContrast = Number.NEGATIVE_INFINITY;
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const dx = x + 0.5 - discX;
      const dy = y + 0.5 - discY;
      const distance = Math.hypot(dx, dy) / discDiameter;
      if (
        retina.data[i] === 0 ||
        distance < settings.minDistance ||
        distance > settings.maxDistance ||
        Math.abs(dy) > slope * Math.abs(dx) ||
        Math.hypot(x + 0.5 - centreX, y + 0.5 - centreY) > reach
      ) {
        continue;
      }
      const level = Math.max(1e-3, surround[i]!);
      const contrast = (level - centre[i]!) / level;
      if (contrast > bestContrast) {
        bestContrast = contrast;
        bestIndex = i;
      }
    }
  }
  return landmarkAt(bestIndex, bestContrast, width, factor);
}
