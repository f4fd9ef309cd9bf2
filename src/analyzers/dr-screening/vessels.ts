/**
 * Vessel segmentation on the green channel, divided by its local background so that illumination fall-off and
 * exposure do not change the response: the multi-scale line detector (Nguyen et al. 2013; the mean of the
 * standardised line responses at every length, without Nguyen's inverted-green term, which is pure darkness and
 * would label a haemorrhage pool as vessel) averaged with a multi-scale Hessian ridge strength (Frangi et al.
 * 1998) of the green with bright structures (the optic disc) clipped, in units of the background's spread, then
 * a hysteresis threshold (Canny 1986). The lesion detectors keep the map they were tuned with (`mask`).
 * @see https://doi.org/10.1016/j.patcog.2012.08.009
 * @see https://doi.org/10.1007/BFb0056195
 * @see https://doi.org/10.1109/TPAMI.1986.4767851
 */
import { dilateMask, erodeMask, maskedGaussianBlur, type Mask, type Plane } from '../../imaging/index.ts';
import { hessianRidge } from './hessian-ridge.ts';
import { hysteresisThreshold } from './hysteresis.ts';
import { detectLines, standardise, type LineResponses } from './line-detector.ts';
import { parameters } from './parameters.ts';

/** A vessel segmentation at the working scale. */
export interface VesselMap {
  /**
   * Line and ridge response (higher is more vessel-like) in units of the background's spread (0 = the field's
   * median), over `extent`, 0 elsewhere.
   */
  readonly response: Plane;
  /** Where the response is defined: the field grown by the rim extension (the whole aperture). */
  readonly extent: Mask;
  /** The vessel segmentation: hysteresis threshold of `response`, inside `extent` (validated on DRIVE). */
  readonly segmentation: Mask;
  /**
   * The vessel map the lesion detectors, the optic-disc locator and the gradability check were tuned with
   * (0.3.0's rule: mean of the standardised line responses and inverted green above `detectorThreshold`, inside
   * the field); more inclusive than `segmentation`, so that vessel fragments are not taken for red lesions.
   */
  readonly mask: Mask;
  /** Green divided by its local background over the eroded field (1 = background, lower is darker; 1 outside). */
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

/** The value of rank `rank` (0 = smallest) of `values`, which it partially reorders (Hoare's selection). */
function selectRank(values: Float32Array, rank: number): number {
  let left = 0;
  let right = values.length - 1;
  while (left < right) {
    const pivot = values[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i]! < pivot) {
        i++;
      }
      while (values[j]! > pivot) {
        j--;
      }
      if (i <= j) {
        const swap = values[i]!;
        values[i] = values[j]!;
        values[j] = swap;
        i++;
        j--;
      }
    }
    if (rank <= j) {
      right = j;
    } else if (rank >= i) {
      left = i;
    } else {
      break;
    }
  }
  return values[rank]!;
}

/**
 * The plane minus its median over `mask`, divided by the spread of its lower half (median minus lower quartile),
 * over `region` (0 elsewhere). The lower half is background, so a threshold in these units is a distance from the
 * background's noise, whatever share of the field the vessels take (a mean and standard deviation over the whole
 * field grow with the vessels and hide the thin ones of a richly vascular image). The spread is at least
 * `minSpread` standard deviations: an unnaturally smooth background (synthetic images) would otherwise turn
 * every faint texture into vessel.
 */
function standardiseByBackground(plane: Plane, mask: Mask, region: Mask): Plane {
  let count = 0;
  for (let i = 0; i < mask.data.length; i++) {
    count += mask.data[i] !== 0 ? 1 : 0;
  }
  const values = new Float32Array(count);
  let k = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== 0) {
      const value = plane.data[i]!;
      values[k++] = value;
      sum += value;
      sumSquares += value * value;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  const deviation = count > 0 ? Math.sqrt(Math.max(0, sumSquares / count - mean * mean)) : 0;
  const median = count > 0 ? selectRank(values, Math.floor(0.5 * (count - 1))) : 0;
  const quartile = count > 0 ? selectRank(values, Math.floor(0.25 * (count - 1))) : 0;
  const spread = Math.max(1e-6, median - quartile, parameters.vessels.minSpread * deviation);
  const out = new Float32Array(plane.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = region.data[i] === 0 ? 0 : (plane.data[i]! - median) / spread;
  }
  return { width: plane.width, height: plane.height, data: out };
}

/**
 * Segments the vessels of a working image's green channel (field diameter about `parameters.vessels.fieldDiameter`):
 * line response and Hessian ridge strength on the inverted, background-normalised green, averaged, then a
 * hysteresis threshold. The response covers the field grown by the rim extension, so that every pixel of the
 * camera's aperture gets a score.
 */
export function segmentVessels(green: Plane, mask: Mask, fieldDiameter: number): VesselMap {
  const settings = parameters.vessels;
  const radius = fieldDiameter / 2;
  const core = erodeMask(mask, Math.max(1, Math.round(settings.rimErosion * radius)));
  const extent = dilateMask(mask, Math.max(1, Math.round(settings.rimExtension * radius)));
  const normalisedGreen = normaliseGreen(green, core, settings.backgroundSigma * fieldDiameter);
  const reach = settings.window + Math.ceil((settings.rimErosion + settings.rimExtension) * radius);
  const invertedAt = (clip: number): Plane => {
    const data = new Float32Array(green.data.length);
    for (let i = 0; i < data.length; i++) {
      data[i] = 1 - Math.min(clip, normalisedGreen.data[i]!);
    }
    return extendBeyondMask({ width: green.width, height: green.height, data }, core, reach);
  };
  const inverted = invertedAt(settings.lineClip);
  const lines = detectLines(inverted, extent, settings.window);
  const lineSum = new Float32Array(green.data.length);
  const parts = lines.byLength;
  for (const part of parts) {
    const standard = standardise(part, core, extent).data;
    for (let i = 0; i < lineSum.length; i++) {
      lineSum[i]! += standard[i]! / parts.length;
    }
  }
  const lineResponse = standardise({ width: green.width, height: green.height, data: lineSum }, core, extent);
  const ridge = standardise(hessianRidge(invertedAt(settings.ridgeClip), settings.ridgeScales), core, extent);
  const combined = new Float32Array(green.data.length);
  const weight = settings.ridgeWeight;
  for (let i = 0; i < combined.length; i++) {
    combined[i] = (lineResponse.data[i]! + weight * ridge.data[i]!) / (1 + weight);
  }
  const response = standardiseByBackground(
    { width: green.width, height: green.height, data: combined },
    core,
    extent,
  );
  const segmentation = hysteresisThreshold(response, extent, settings.lowThreshold, settings.highThreshold);
  const detectorSum = new Float32Array(green.data.length);
  const detectorParts = [...lines.byLength, inverted];
  for (const part of detectorParts) {
    const standard = standardise(part, mask).data;
    for (let i = 0; i < detectorSum.length; i++) {
      detectorSum[i]! += standard[i]! / detectorParts.length;
    }
  }
  const vesselMask: Mask = {
    width: green.width,
    height: green.height,
    data: new Uint8Array(green.data.length),
  };
  let inside = 0;
  let vessel = 0;
  for (let i = 0; i < detectorSum.length; i++) {
    if (mask.data[i] !== 0) {
      inside++;
      if (detectorSum[i]! > settings.detectorThreshold) {
        vesselMask.data[i] = 1;
        vessel++;
      }
    }
  }
  return {
    response,
    extent,
    segmentation,
    mask: vesselMask,
    normalisedGreen,
    lines,
    vesselFraction: inside > 0 ? vessel / inside : 0,
  };
}
