/**
 * Hysteresis thresholding: the pixels above a low threshold that are 8-connected, through pixels above the low
 * threshold, to a pixel above a high threshold. A faint thin vessel continuing a clear one is kept, an isolated
 * faint speck of background texture is not (Canny's double threshold).
 * @see https://doi.org/10.1109/TPAMI.1986.4767851 (Canny. A computational approach to edge detection. IEEE
 *   TPAMI 8(6):679–698, 1986)
 */
import type { Mask, Plane } from '../../imaging/index.ts';
import { labelComponents } from './components.ts';

/** The hysteresis mask of `values` over `region` with thresholds `low` ≤ `high`. */
export function hysteresisThreshold(values: Plane, region: Mask, low: number, high: number): Mask {
  const { width, height, data } = values;
  const candidates: Mask = { width, height, data: new Uint8Array(data.length) };
  for (let i = 0; i < data.length; i++) {
    candidates.data[i] = region.data[i] !== 0 && data[i]! > low ? 1 : 0;
  }
  const out: Mask = { width, height, data: new Uint8Array(data.length) };
  for (const component of labelComponents(candidates, values)) {
    if (component.max > high) {
      for (const index of component.pixels) {
        out.data[index] = 1;
      }
    }
  }
  return out;
}
