/**
 * New vessels at the disc (NVD): a tangle of fine tortuous vessels on the disc surface, in front of the bright
 * disc tissue, not part of the main vessel tree. Two measures in a window around the disc, on the green divided
 * by its local background, lightly smoothed, with the vessel map left out: the mean fine ridge contrast on the
 * disc against a ring around it (the image's own noise and normal fine vessels), and the share of the disc on
 * curled ridge stretches (loops; a normal fine vessel crossing the disc is a long straight stretch). New vessels
 * elsewhere are not detected (README: at the lesion scale their mesh has few separate ridges).
 * @see https://doi.org/10.1016/S0161-6420(03)00475-5 (ICDR: neovascularisation → proliferative DR)
 * @see https://www.aao.org/image/neovascularization-2 ("a tangle of hair or a fishnet")
 * @see https://webeye.ophth.uiowa.edu/dept/COMS/grading/Neovascularization-disc.htm (variable calibre vessels
 *   anterior to the optic nerve; NVD on or within 1500 µm of the disc)
 */
import { dilateMask, maskedGaussianBlur, type Mask, type Plane } from '../../imaging/index.ts';
import { labelComponents } from './components.ts';
import { quadrantOf, type DetectedLesion, type LesionContext } from './lesions.ts';
import { parameters } from './parameters.ts';

/** The NVD measure of one photograph. */
export interface DiscNewVessels {
  /** Mean fine ridge contrast over the disc's tissue pixels (0 where no ridge). */
  readonly discRidgeContrast: number;
  /** The same mean in a ring around the disc (the image's own noise and normal fine vessels). */
  readonly referenceRidgeContrast: number;
  /** Share of the disc's tissue pixels on curled ridge stretches (loops of a tangle). */
  readonly discTangleShare: number;
  /** Whether both measures pass the NVD thresholds. */
  readonly detected: boolean;
  /** In [0, 1]: how far above its threshold the contrast ratio lies. */
  readonly confidence: number;
}

/** Directions across which a ridge pixel is compared with its two neighbours (offsets of about 2 px). */
const across: readonly (readonly [number, number])[] = [
  [2, 0],
  [2, 1],
  [2, 2],
  [1, 2],
  [0, 2],
  [-1, 2],
  [-2, 2],
  [-2, 1],
];

/**
 * Fine dark ridge contrast at pixel `i` (not within 2 px of the border): the largest, over the directions, of
 * how much darker it is than both neighbours across that direction (a share of their mean); 0 when it is not
 * darker or when it is dark in every direction (a dot, not a ridge).
 */
function ridgeContrast(plane: Float32Array, width: number, i: number): number {
  const centre = plane[i]!;
  let largest = -Infinity;
  let smallest = Infinity;
  for (const [dx, dy] of across) {
    const a = plane[i + dy * width + dx]!;
    const b = plane[i - dy * width - dx]!;
    const contrast = (Math.min(a, b) - centre) / Math.max(0.2, (a + b) / 2);
    largest = Math.max(largest, contrast);
    smallest = Math.min(smallest, contrast);
  }
  return largest > 0 && smallest < 0.5 * largest ? largest : 0;
}

/** The part of a plane or mask inside a rectangle. */
function crop<T extends Float32Array | Uint8Array>(
  data: T,
  width: number,
  box: { x0: number; y0: number; width: number; height: number },
  make: (length: number) => T,
): T {
  const out = make(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (box.y0 + y) * width + box.x0;
    out.set(data.subarray(from, from + box.width), y * box.width);
  }
  return out;
}

/**
 * Measures fine ridges on the disc against a ring around it. `normalisedGreen` is the green divided by its local
 * background, `field` the analysed field and `vessels` the main vessel map, all at the lesion working scale; only
 * a window around the disc is processed.
 */
export function measureDiscNewVessels(
  normalisedGreen: Plane,
  field: Mask,
  vessels: Mask,
  context: LesionContext,
): DiscNewVessels {
  const settings = parameters.newVessels;
  const dd = context.discDiameter;
  const reach = Math.ceil(settings.referenceOuterDd * dd) + 3;
  const x0 = Math.max(0, Math.floor(context.discX) - reach);
  const y0 = Math.max(0, Math.floor(context.discY) - reach);
  const box = {
    x0,
    y0,
    width: Math.max(1, Math.min(normalisedGreen.width, Math.floor(context.discX) + reach) - x0),
    height: Math.max(1, Math.min(normalisedGreen.height, Math.floor(context.discY) + reach) - y0),
  };
  const { width, height } = box;
  const near = dilateMask(
    { width, height, data: crop(vessels.data, vessels.width, box, (n) => new Uint8Array(n)) },
    settings.vesselGap,
  );
  const inField = crop(field.data, field.width, box, (n) => new Uint8Array(n));
  const tissue: Mask = { width, height, data: new Uint8Array(width * height) };
  for (let i = 0; i < tissue.data.length; i++) {
    tissue.data[i] = inField[i] !== 0 && near.data[i] === 0 ? 1 : 0;
  }
  const green = {
    width,
    height,
    data: crop(normalisedGreen.data, normalisedGreen.width, box, (n) => new Float32Array(n)),
  };
  const smooth = maskedGaussianBlur(green, tissue, settings.smoothing).data;
  const discX = context.discX - x0;
  const discY = context.discY - y0;
  const ridges: Mask = { width, height, data: new Uint8Array(width * height) };
  let discSum = 0;
  let discCount = 0;
  let ringSum = 0;
  let ringCount = 0;
  for (let y = 2; y < height - 2; y++) {
    for (let x = 2; x < width - 2; x++) {
      const i = y * width + x;
      if (tissue.data[i] === 0) {
        continue;
      }
      const distance = Math.hypot(x + 0.5 - discX, y + 0.5 - discY) / dd;
      const disc = distance <= settings.discRadiusDd;
      // The ring is sampled every other row and column: its mean needs no more, and it is 13 times the disc.
      const ring =
        (x & 1) === 0 &&
        (y & 1) === 0 &&
        distance >= settings.referenceInnerDd &&
        distance <= settings.referenceOuterDd;
      if (!disc && !ring) {
        continue;
      }
      const contrast = ridgeContrast(smooth, width, i);
      if (disc) {
        discSum += contrast;
        discCount++;
        ridges.data[i] = contrast > settings.ridgeContrast ? 1 : 0;
      } else {
        ringSum += contrast;
        ringCount++;
      }
    }
  }
  let tangled = 0;
  for (const component of labelComponents(ridges, { width, height, data: smooth })) {
    if (
      component.area >= settings.minRidgeLength &&
      component.major / component.minor <= settings.maxRidgeElongation
    ) {
      tangled += component.area;
    }
  }
  const discRidgeContrast = discCount > 0 ? discSum / discCount : 0;
  const referenceRidgeContrast = ringCount > 0 ? ringSum / ringCount : 0;
  const discTangleShare = discCount > 0 ? tangled / discCount : 0;
  const ratio = discRidgeContrast / Math.max(1e-6, referenceRidgeContrast);
  const detected = ratio >= settings.minContrastRatio && discTangleShare >= settings.minTangleShare;
  const confidence = Math.max(0, Math.min(1, 0.5 + (ratio - settings.minContrastRatio) / 2));
  return { discRidgeContrast, referenceRidgeContrast, discTangleShare, detected, confidence };
}

/** The NVD finding: the disc window, centred on the disc, with the measure's confidence. */
export function newVesselsAtDisc(context: LesionContext, confidence: number): DetectedLesion {
  const radius = parameters.newVessels.discRadiusDd * context.discDiameter;
  const fromFovea = Math.hypot(context.discX - context.foveaX, context.discY - context.foveaY);
  return {
    type: 'new-vessels-disc',
    x: context.discX,
    y: context.discY,
    radius,
    areaPx: Math.round(Math.PI * radius * radius),
    confidence,
    quadrant: quadrantOf(context, context.discX, context.discY),
    distanceToFoveaDd: Math.max(0, fromFovea - radius) / context.discDiameter,
  };
}
