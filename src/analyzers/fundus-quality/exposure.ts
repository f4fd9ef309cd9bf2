/**
 * Exposure of the field: how bright the retina is (median luminance) and how much of it is washed out.
 */
import { maskedPercentiles } from '../../imaging/index.ts';
import { parameters } from './parameters.ts';
import type { WorkingImage } from './working-image.ts';

/** Exposure measures over the analysis region. */
export interface ExposureMeasures {
  /** 5th, 50th and 95th percentiles of luminance (0–1). */
  readonly luminanceP05: number;
  readonly medianLuminance: number;
  readonly luminanceP95: number;
  /** Share of the region brighter than the washed-out level. */
  readonly brightFraction: number;
}

/** Measures the exposure of a working image's analysis region. */
export function measureExposure(image: WorkingImage): ExposureMeasures {
  const { luminance, core } = image;
  const [luminanceP05, medianLuminance, luminanceP95] = maskedPercentiles(
    luminance,
    core,
    [0.05, 0.5, 0.95],
  ) as [number, number, number];
  let bright = 0;
  let count = 0;
  for (let i = 0; i < core.data.length; i++) {
    if (core.data[i] !== 0) {
      count++;
      if (luminance.data[i]! > parameters.exposure.brightLevel) {
        bright++;
      }
    }
  }
  if (count === 0) {
    return { luminanceP05: 0, medianLuminance: 0, luminanceP95: 0, brightFraction: 0 };
  }
  return {
    luminanceP05,
    medianLuminance,
    luminanceP95,
    brightFraction: bright / count,
  };
}
