/**
 * Vessel segmentation with the multi-scale line detector (Nguyen et al. 2013) on the green channel, after the
 * green channel is divided by its local background so that illumination fall-off and exposure do not change
 * the response. The combined response is the mean of the standardised line responses at every length and
 * the standardised inverted green; vessels are the pixels above a fixed standardised threshold.
 * @see https://doi.org/10.1016/j.patcog.2012.08.009
 */
import { maskedGaussianBlur, type Mask, type Plane } from '../../imaging/index.ts';
import { detectLines, standardise, type LineResponses } from './line-detector.ts';
import { parameters } from './parameters.ts';

/** A vessel segmentation at the working scale. */
export interface VesselMap {
  /** Combined standardised line response (higher is more vessel-like). */
  readonly response: Plane;
  /** Response above the threshold, inside the field. */
  readonly mask: Mask;
  /** Green divided by its local background (1 = background, lower is darker). */
  readonly normalisedGreen: Plane;
  /** The raw detector output, reused by the lesion detectors. */
  readonly lines: LineResponses;
  /** Share of the field labelled vessel. */
  readonly vesselFraction: number;
}

/**
 * Green divided by its local background (Gaussian sigma `sigma` px, averaged over `backgroundMask`, by default
 * the field); 1 outside the field.
 */
export function normaliseGreen(green: Plane, mask: Mask, sigma: number, backgroundMask: Mask = mask): Plane {
  const background = maskedGaussianBlur(green, backgroundMask, sigma);
  const out = new Float32Array(green.data.length);
  for (let i = 0; i < out.length; i++) {
    const level = background.data[i]!;
    out[i] = mask.data[i] !== 0 && level > 1e-4 ? green.data[i]! / level : 1;
  }
  return { width: green.width, height: green.height, data: out };
}

/**
 * The plane with the field extended outwards by `steps` rings: each pixel just outside takes the mean of its
 * neighbours already inside, so that lines and windows crossing the rim see retina-like values instead of the
 * uniform surround (the iterative extension of Soares et al. 2006; a mirror across the circle was tried and
 * measured worse on DRIVE).
 * @see https://doi.org/10.1109/TMI.2006.879967
 */
export function extendBeyondMask(plane: Plane, mask: Mask, steps: number): Plane {
  const { width, height } = plane;
  const data = new Float32Array(plane.data);
  const region = new Uint8Array(mask.data);
  let frontier: number[] = [];
  for (let i = 0; i < region.length; i++) {
    if (region[i] === 0) {
      continue;
    }
    const x = i % width;
    const y = (i - x) / width;
    if (
      (x > 0 && region[i - 1] === 0) ||
      (x < width - 1 && region[i + 1] === 0) ||
      (y > 0 && region[i - width] === 0) ||
      (y < height - 1 && region[i + width] === 0)
    ) {
      frontier.push(i);
    }
  }
  for (let step = 0; step < steps && frontier.length > 0; step++) {
    const ring: number[] = [];
    const added = new Set<number>();
    for (const i of frontier) {
      const x = i % width;
      const y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          const n = ny * width + nx;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height || region[n] !== 0 || added.has(n)) {
            continue;
          }
          added.add(n);
          ring.push(n);
        }
      }
    }
    for (const n of ring) {
      const x = n % width;
      const y = (n - x) / width;
      let sum = 0;
      let count = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx >= 0 && ny >= 0 && nx < width && ny < height && region[ny * width + nx] !== 0) {
            sum += data[ny * width + nx]!;
            count++;
          }
        }
      }
      data[n] = count > 0 ? sum / count : data[n]!;
    }
    for (const n of ring) {
      region[n] = 1;
    }
    frontier = ring;
  }
  return { width, height, data };
}

/** Segments the vessels of a working image's green channel (field diameter about `parameters.vessels.fieldDiameter`). */
export function segmentVessels(green: Plane, mask: Mask, fieldDiameter: number): VesselMap {
  const settings = parameters.vessels;
  const normalisedGreen = normaliseGreen(green, mask, settings.backgroundSigma * fieldDiameter);
  const inverted = new Float32Array(green.data.length);
  for (let i = 0; i < inverted.length; i++) {
    inverted[i] = 1 - Math.min(1.5, normalisedGreen.data[i]!);
  }
  const invertedPlane = extendBeyondMask(
    { width: green.width, height: green.height, data: inverted },
    mask,
    settings.window,
  );
  const lines = detectLines(invertedPlane, mask, settings.window);
  const combined = new Float32Array(inverted.length);
  const parts = [...lines.byLength, invertedPlane];
  for (const part of parts) {
    const standard = standardise(part, mask).data;
    for (let i = 0; i < combined.length; i++) {
      combined[i]! += standard[i]! / parts.length;
    }
  }
  const vesselMask: Mask = {
    width: green.width,
    height: green.height,
    data: new Uint8Array(inverted.length),
  };
  let inside = 0;
  let vessel = 0;
  for (let i = 0; i < combined.length; i++) {
    if (mask.data[i] !== 0) {
      inside++;
      if (combined[i]! > settings.threshold) {
        vesselMask.data[i] = 1;
        vessel++;
      }
    }
  }
  return {
    response: { width: green.width, height: green.height, data: combined },
    mask: vesselMask,
    normalisedGreen,
    lines,
    vesselFraction: inside > 0 ? vessel / inside : 0,
  };
}
