/**
 * Infrared scanning-laser ophthalmoscope (SLO) images that accompany OCT scans: a square 30° field with
 * the same vessel tree and disc as the eye's colour photographs, dark vessels with a bright central reflex,
 * a darker disc, granular choroidal texture, and the OCT scan positions recorded for registration.
 */
import type { Eye } from '../core/eye.ts';
import { mmPerDegree } from './fundus-anatomy.ts';
import type { EyeAnatomy, FundusGeometry } from './fundus-anatomy.ts';
import { growVesselTree, renderVesselTree } from './fundus-vessels.ts';
import type { VesselTree } from './fundus-vessels.ts';
import { fractalField } from './noise.ts';
import { normalTable } from './rng.ts';
import type { Rng } from './rng.ts';

/** Options of {@link generateSloPixels}. */
export interface SloOptions {
  readonly eye: Eye;
  readonly anatomy: EyeAnatomy;
  /** Image size (square, default 768). */
  readonly size?: number;
  /** Field of view (degrees, default 30). */
  readonly fieldOfViewDeg?: number;
  /** The retinal point at the image centre (mm, retinal frame); default the fovea. */
  readonly centreMm?: { readonly x: number; readonly y: number };
  /** The eye's vessel tree, if already grown. */
  readonly tree?: VesselTree;
}

/** A generated SLO image. */
export interface SloPixels {
  readonly size: number;
  readonly pixels: Uint8Array;
  readonly geometry: FundusGeometry;
  /** Physical pixel size (mm). */
  readonly pixelSpacingMm: number;
  readonly fieldOfViewDeg: number;
}

/** Maps the retinal frame to a square SLO image centred on a retinal point. */
export function makeSloGeometry(
  eye: Eye,
  size: number,
  fieldOfViewDeg: number,
  centreMm: { readonly x: number; readonly y: number },
): FundusGeometry {
  const pxPerMm = size / (fieldOfViewDeg * mmPerDegree);
  const nasalSign = eye === 'R' ? 1 : -1;
  return {
    width: size,
    height: size,
    eye,
    fieldOfViewDeg,
    fieldCentreX: size / 2,
    fieldCentreY: size / 2,
    fieldRadius: size,
    pxPerMm,
    nasalSign,
    foveaX: size / 2 - nasalSign * centreMm.x * pxPerMm,
    foveaY: size / 2 - centreMm.y * pxPerMm,
  };
}

/** Generates an infrared SLO image of an eye. */
export function generateSloPixels(options: SloOptions, rng: Rng): SloPixels {
  const size = options.size ?? 768;
  const fieldOfViewDeg = options.fieldOfViewDeg ?? 30;
  const centre = options.centreMm ?? { x: 0, y: 0 };
  const geometry = makeSloGeometry(options.eye, size, fieldOfViewDeg, centre);
  const tree = options.tree ?? growVesselTree(options.anatomy);
  const n = size * size;
  const maps = { artery: new Float32Array(n), vein: new Float32Array(n) };
  renderVesselTree(tree, geometry, maps, { arteryReflex: 0.55, veinReflex: 0.4 });
  const grain = fractalField(size, size, 0.25 * geometry.pxPerMm, 3, rng.fork('grain'), 0.7);
  const coarse = fractalField(size, size, 2 * geometry.pxPerMm, 2, rng.fork('coarse'), 0.5);
  const table = normalTable(rng.fork('noise'));
  const mask = table.length - 1;
  let state = rng.next() | 1;
  const { anatomy } = options;
  const disc = anatomy.discCentreMm;
  const rx = anatomy.discWidthMm / 2;
  const ry = anatomy.discHeightMm / 2;
  const gain = rng.range(0.95, 1.05);
  const pixels = new Uint8Array(n);
  for (let y = 0; y < size; y++) {
    const ym = (y - geometry.foveaY) / geometry.pxPerMm;
    const vy = (y - size / 2) / (size / 2);
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const xm = ((x - geometry.foveaX) * geometry.nasalSign) / geometry.pxPerMm;
      const vx = (x - size / 2) / (size / 2);
      let value = 0.52 * gain * (1 + 0.16 * grain[i]! + 0.08 * coarse[i]!) * (1 - 0.22 * (vx * vx + vy * vy));
      const d2 = xm * xm + ym * ym;
      value *= 1 - 0.1 * Math.exp(-d2 / 0.25);
      const ex = (xm - disc.x) / rx;
      const ey = (ym - disc.y) / ry;
      const e2 = ex * ex + ey * ey;
      if (e2 < 2.5) {
        const inside = Math.min(1, Math.max(0, (1 - Math.sqrt(e2)) * 12 + 0.5));
        const cup = Math.exp(-e2 / (anatomy.cupToDiscRatio * anatomy.cupToDiscRatio + 0.01));
        value *= 1 - inside * (0.4 - 0.2 * cup);
      }
      value *= Math.exp(-1.0 * maps.artery[i]! - 1.25 * maps.vein[i]!);
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const v = 255 * value + 3 * table[state & mask]!;
      pixels[i] = v <= 0 ? 0 : v >= 255 ? 255 : v + 0.5;
    }
  }
  return { size, pixels, geometry, pixelSpacingMm: 1 / geometry.pxPerMm, fieldOfViewDeg };
}
