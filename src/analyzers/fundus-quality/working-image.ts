/**
 * The working image: the frame downsampled to a coarse plane to find the field of view, then the field's
 * bounding box resampled so that the field spans a fixed number of pixels, which makes every later measure
 * independent of the camera's resolution.
 */
import {
  downsampleFrame,
  fitSize,
  luminance,
  type DecodedFrame,
  type Mask,
  type Plane,
  type Region,
} from '../../imaging/index.ts';
import { detectFieldOfView, type FieldOfView } from './field-of-view.ts';
import { parameters } from './parameters.ts';

/** The planes and regions every measure works on. */
export interface WorkingImage {
  readonly red: Plane;
  readonly green: Plane;
  readonly blue: Plane;
  readonly luminance: Plane;
  /** The field of view as found on the coarse plane (its own pixel units). */
  readonly fieldOfView: FieldOfView;
  /** Working pixels per source pixel. */
  readonly scale: number;
  /** Source pixel at the working image's origin (the field's bounding box may be a crop of the frame). */
  readonly originX: number;
  readonly originY: number;
  /** Field centre and radius in working pixels. */
  readonly centreX: number;
  readonly centreY: number;
  readonly radius: number;
  /** Retina pixels: the field-of-view mask inside the fitted circle. */
  readonly retina: Mask;
  /** Retina pixels inside the shrunk circle, away from the rim. */
  readonly core: Mask;
}

/** Per pixel the largest of the samples (the brightness the field of view is thresholded on). */
function maxOf(planes: readonly Plane[]): Plane {
  const first = planes[0]!;
  const out = new Float32Array(first.data);
  for (const plane of planes.slice(1)) {
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.max(out[i]!, plane.data[i]!);
    }
  }
  return { width: first.width, height: first.height, data: out };
}

function colourPlanes(
  frame: DecodedFrame,
  width: number,
  height: number,
  region?: Region,
): [Plane, Plane, Plane] {
  const planes = downsampleFrame(frame, width, height, region);
  return planes.length === 3 ? [planes[0]!, planes[1]!, planes[2]!] : [planes[0]!, planes[0]!, planes[0]!];
}

/** Builds the working image of a frame (greyscale frames are treated as three equal channels). */
export function prepareWorkingImage(frame: DecodedFrame): WorkingImage {
  const coarseSize = fitSize(frame.columns, frame.rows, parameters.coarseSize);
  const fieldOfView = detectFieldOfView(maxOf(colourPlanes(frame, coarseSize.width, coarseSize.height)));
  const coarseScale = coarseSize.width / frame.columns;
  // Without a field boundary the whole frame is the field; it is scaled like a field of the frame's width.
  const sourceCentreX = fieldOfView.found ? fieldOfView.centreX / coarseScale : frame.columns / 2;
  const sourceCentreY = fieldOfView.found ? fieldOfView.centreY / coarseScale : frame.rows / 2;
  const sourceRadius = fieldOfView.found
    ? fieldOfView.radius / coarseScale
    : Math.max(frame.columns, frame.rows) / 2;
  const scale = Math.min(1, parameters.workingFieldDiameter / (2 * sourceRadius));
  const reach = sourceRadius * 1.02 + 2 / scale;
  const originX = Math.max(0, Math.floor(sourceCentreX - reach));
  const originY = Math.max(0, Math.floor(sourceCentreY - reach));
  const region: Region = {
    x: originX,
    y: originY,
    width: Math.max(1, Math.min(frame.columns, Math.ceil(sourceCentreX + reach)) - originX),
    height: Math.max(1, Math.min(frame.rows, Math.ceil(sourceCentreY + reach)) - originY),
  };
  const width = Math.max(1, Math.round(region.width * scale));
  const height = Math.max(1, Math.round(region.height * scale));
  const [red, green, blue] = colourPlanes(frame, width, height, region);
  const centreX = (sourceCentreX - originX) * scale;
  const centreY = (sourceCentreY - originY) * scale;
  const radius = sourceRadius * scale;
  const retina: Mask = { width, height, data: new Uint8Array(width * height) };
  const core: Mask = { width, height, data: new Uint8Array(width * height) };
  const coreRadius = radius * parameters.coreRadiusFraction;
  const coarseMask = fieldOfView.mask;
  // Working pixel → coarse pixel: through source coordinates.
  const toCoarse = coarseScale / scale;
  for (let y = 0; y < height; y++) {
    const coarseY = Math.min(coarseMask.height - 1, Math.floor((originY + (y + 0.5) / scale) * coarseScale));
    for (let x = 0; x < width; x++) {
      const coarseX = Math.min(
        coarseMask.width - 1,
        Math.floor(originX * coarseScale + (x + 0.5) * toCoarse),
      );
      // The coarse mask (holes filled) decides retina versus background; the circle trims its edge.
      if (coarseMask.data[coarseY * coarseMask.width + coarseX] === 0) {
        continue;
      }
      const distance = fieldOfView.found ? Math.hypot(x + 0.5 - centreX, y + 0.5 - centreY) : 0;
      if (distance <= radius) {
        const i = y * width + x;
        retina.data[i] = 1;
        core.data[i] = distance <= coreRadius ? 1 : 0;
      }
    }
  }
  return {
    red,
    green,
    blue,
    luminance: luminance(red, green, blue),
    fieldOfView,
    scale,
    originX,
    originY,
    centreX,
    centreY,
    radius,
    retina,
    core,
  };
}
