/**
 * Multi-scale Hessian ridge strength: at every scale sigma the plane is Gaussian-smoothed (the scales built as a
 * cascade, each blur adding to the previous one) and its Hessian taken by central differences; the ridge
 * strength is the scale-normalised magnitude of the most negative eigenvalue, sigma² × max(0, −λ), and the
 * result is its maximum over the scales. A bright line of width about 2·sigma (a vessel in the inverted green)
 * has a strongly negative second derivative across it and a flat one along it, so the eigenvalue measures the
 * line's contrast whatever its direction — the eigen-analysis of Frangi et al. 1998 without the blob and
 * background suppression terms, with Lindeberg's γ = 2 normalisation so that scales compare.
 * @see https://doi.org/10.1007/BFb0056195 (Frangi, Niessen, Vincken, Viergever. Multiscale vessel enhancement
 *   filtering. MICCAI 1998, LNCS 1496:130–137)
 * @see https://doi.org/10.1023/A:1008045108935 (Lindeberg. Edge detection and ridge detection with automatic
 *   scale selection. IJCV 30(2):117–156, 1998)
 */
import { gaussianBlur, type Plane } from '../../imaging/index.ts';

/** Largest scale-normalised ridge strength over `scales` (Gaussian sigmas in pixels, ascending), bright ridges. */
export function hessianRidge(plane: Plane, scales: readonly number[]): Plane {
  const { width, height } = plane;
  const best = new Float32Array(width * height);
  let smoothed = plane;
  let previous = 0;
  for (const sigma of scales) {
    smoothed = gaussianBlur(smoothed, Math.sqrt(sigma * sigma - previous * previous));
    previous = sigma;
    const data = smoothed.data;
    const norm = sigma * sigma;
    for (let y = 1; y < height - 1; y++) {
      for (let x = 1; x < width - 1; x++) {
        const i = y * width + x;
        const centre = data[i]!;
        const xx = data[i - 1]! - 2 * centre + data[i + 1]!;
        const yy = data[i - width]! - 2 * centre + data[i + width]!;
        const xy =
          (data[i + width + 1]! - data[i + width - 1]! - data[i - width + 1]! + data[i - width - 1]!) / 4;
        const half = (xx - yy) / 2;
        const lowest = (xx + yy) / 2 - Math.sqrt(half * half + xy * xy);
        const strength = -lowest * norm;
        if (strength > best[i]!) {
          best[i] = strength;
        }
      }
    }
  }
  return { width, height, data: best };
}
