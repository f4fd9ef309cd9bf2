/**
 * Detail of the green channel (where vessels and lesions have the most contrast), divided by its local
 * background so that illumination and exposure cancel: its spread is the contrast measure, and the energy of
 * a fine band against a coarser band is the focus measure (defocus removes fine detail first, whatever the
 * image's contrast or size).
 */
import {
  erodeMask,
  gaussianBlur,
  maskedGaussianBlur,
  maskedPercentiles,
  type Mask,
  type Plane,
} from '../../imaging/index.ts';
import { parameters } from './parameters.ts';
import type { WorkingImage } from './working-image.ts';

/** Contrast and focus measures. */
export interface DetailMeasures {
  /** 95th − 5th percentile of the background-normalised green channel. */
  readonly contrastSpread: number;
  /** RMS of the fine band (between the fine and mid blurs) over RMS of the coarse band (mid to coarse). */
  readonly sharpness: number;
}

/** Green divided by its masked local mean (1 outside the retina, where there is no background). */
function normaliseGreen(image: WorkingImage): Plane {
  const { green, retina, radius } = image;
  const background = maskedGaussianBlur(green, retina, parameters.detail.backgroundSigma * 2 * radius).data;
  const out = new Float32Array(green.data.length);
  for (let i = 0; i < out.length; i++) {
    const level = background[i]!;
    out[i] = retina.data[i] !== 0 && level > 1e-3 ? green.data[i]! / level : 1;
  }
  return { width: green.width, height: green.height, data: out };
}

/** RMS of the difference of two planes over a mask. */
function bandRms(finer: Plane, coarser: Plane, mask: Mask): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < mask.data.length; i++) {
    if (mask.data[i] !== 0) {
      const difference = finer.data[i]! - coarser.data[i]!;
      sum += difference * difference;
      count++;
    }
  }
  return count === 0 ? 0 : Math.sqrt(sum / count);
}

/** Measures contrast and focus on a working image. */
export function measureDetail(image: WorkingImage): DetailMeasures {
  const { focus } = parameters;
  const normalised = normaliseGreen(image);
  const [p05, p95] = maskedPercentiles(normalised, image.core, [0.05, 0.95], 0, 2) as [number, number];
  const inner = erodeMask(image.core, parameters.detail.edgeMargin);
  const fine = gaussianBlur(normalised, focus.fineSigma);
  const mid = gaussianBlur(normalised, focus.midSigma);
  const coarse = gaussianBlur(normalised, focus.coarseSigma);
  const coarseRms = bandRms(mid, coarse, inner);
  return {
    contrastSpread: Number.isFinite(p95 - p05) ? p95 - p05 : 0,
    sharpness: coarseRms > 0 ? bandRms(fine, mid, inner) / coarseRms : 0,
  };
}
