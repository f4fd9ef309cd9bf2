/**
 * Gradability of one colour fundus photograph: the field of view, exposure, contrast, focus, and whether the
 * optic disc and the macula can be seen. Each aspect gives a component in [0, 1] that is 0.5 exactly at its
 * threshold; the score is the weakest component, so an image is gradable exactly when its score is at least
 * 0.5. See README.md for the method and how the thresholds were chosen.
 */
import type { DecodedFrame, UngradableReason } from '../sdk/index.ts';
import { measureDetail, type DetailMeasures } from './detail.ts';
import { measureExposure, type ExposureMeasures } from './exposure.ts';
import { findMacula, findOpticDisc, landmarkImage, type Landmark } from './landmarks.ts';
import { parameters } from './parameters.ts';
import { prepareWorkingImage, type WorkingImage } from './working-image.ts';

/** Everything measured on one image (source pixel coordinates for positions). */
export interface QualityMeasures extends ExposureMeasures, DetailMeasures {
  readonly fieldFound: boolean;
  readonly visibleFraction: number;
  readonly frameFraction: number;
  readonly centreOffset: number;
  readonly backgroundLevel: number;
  readonly discContrast: number;
  readonly maculaContrast: number;
}

/** A point on the source image (column, row in pixels). */
export interface SourcePoint {
  readonly x: number;
  readonly y: number;
}

/** The gradability of one image. */
export interface QualityAssessment {
  readonly verdict: 'gradable' | 'ungradable';
  /** The weakest component, in [0, 1]; at least 0.5 exactly when gradable. */
  readonly score: number;
  /** Why the image is ungradable, in a fixed order; empty when gradable. */
  readonly reasons: readonly UngradableReason[];
  /** Component scores (`fieldOfView`, `exposure`, `contrast`, `focus`, `opticDisc`, `macula`) and key measures. */
  readonly components: Readonly<Record<string, number>>;
  readonly measures: QualityMeasures;
  /** The field of view's circle on the source image, when found. */
  readonly fieldOfView?: SourcePoint & { readonly radius: number };
  readonly opticDisc?: SourcePoint;
  readonly macula?: SourcePoint;
}

/** Linear score that is 0.5 at `threshold` and 1 at `good` (either side of it), clamped to [0, 1]. */
export function rampScore(value: number, threshold: number, good: number): number {
  if (!Number.isFinite(value)) {
    return 0;
  }
  const score = 0.5 + (0.5 * (value - threshold)) / (good - threshold);
  return Math.min(1, Math.max(0, score));
}

function toSource(image: WorkingImage, landmark: Landmark): SourcePoint | undefined {
  return landmark.found
    ? { x: image.originX + landmark.x / image.scale, y: image.originY + landmark.y / image.scale }
    : undefined;
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

/** Assesses the gradability of one colour fundus photograph (greyscale frames are assessed as grey RGB). */
export function assessFundusQuality(frame: DecodedFrame): QualityAssessment {
  const image = prepareWorkingImage(frame);
  const field = image.fieldOfView;
  const exposure = measureExposure(image);
  const detail = measureDetail(image);
  const half = landmarkImage(image);
  const disc = findOpticDisc(half);
  const macula = findMacula(half, disc);
  const measures: QualityMeasures = {
    fieldFound: field.found,
    visibleFraction: field.visibleFraction,
    frameFraction: field.frameFraction,
    centreOffset: field.centreOffset,
    backgroundLevel: field.backgroundLevel,
    ...exposure,
    ...detail,
    discContrast: disc.contrast,
    maculaContrast: macula.contrast,
  };
  const p = parameters;
  const fov = p.fieldOfView;
  const cut = field.visibleFraction < fov.cutVisibleFraction;
  const componentScores = {
    fieldOfView: field.found
      ? Math.min(
          rampScore(field.visibleFraction, fov.minVisibleFraction, fov.goodVisibleFraction),
          rampScore(field.frameFraction, fov.minFrameFraction, fov.goodFrameFraction),
          cut ? rampScore(field.centreOffset, fov.maxCentreOffset, fov.goodCentreOffset) : 1,
        )
      : 0,
    exposure: Math.min(
      rampScore(exposure.medianLuminance, p.exposure.minMedianLuminance, p.exposure.goodMedianLuminance),
      rampScore(exposure.medianLuminance, p.exposure.maxMedianLuminance, p.exposure.goodMaxMedianLuminance),
      rampScore(exposure.brightFraction, p.exposure.maxBrightFraction, p.exposure.goodBrightFraction),
      rampScore(field.backgroundLevel, p.exposure.maxBackgroundLevel, p.exposure.goodBackgroundLevel),
    ),
    contrast: rampScore(detail.contrastSpread, p.contrast.minSpread, p.contrast.goodSpread),
    focus: rampScore(detail.sharpness, p.focus.minSharpness, p.focus.goodSharpness),
    opticDisc: rampScore(disc.contrast, p.opticDisc.minContrast, p.opticDisc.goodContrast),
    macula: rampScore(macula.contrast, p.macula.minContrast, p.macula.goodContrast),
  };
  const reasons: UngradableReason[] = [];
  if (
    !field.found ||
    field.visibleFraction < fov.minVisibleFraction ||
    field.frameFraction < fov.minFrameFraction ||
    (cut && field.centreOffset > fov.maxCentreOffset)
  ) {
    reasons.push('field-of-view');
  }
  if (exposure.medianLuminance < p.exposure.minMedianLuminance) {
    reasons.push('underexposed');
  }
  if (
    exposure.medianLuminance > p.exposure.maxMedianLuminance ||
    exposure.brightFraction > p.exposure.maxBrightFraction ||
    field.backgroundLevel > p.exposure.maxBackgroundLevel
  ) {
    reasons.push('overexposed');
  }
  if (detail.contrastSpread < p.contrast.minSpread) {
    reasons.push('low-contrast');
  }
  if (detail.sharpness < p.focus.minSharpness) {
    reasons.push('blur');
  }
  if (disc.contrast < p.opticDisc.minContrast) {
    reasons.push('optic-disc-not-visible');
  }
  if (macula.contrast < p.macula.minContrast) {
    reasons.push('macula-not-visible');
  }
  const weakest = Math.min(...Object.values(componentScores));
  // The ramps put every threshold at 0.5; keep the score on the verdict's side where a value sits on it.
  const score = reasons.length > 0 ? Math.min(weakest, 0.499) : Math.max(weakest, 0.5);
  const components: Record<string, number> = {};
  for (const [name, value] of Object.entries({
    ...componentScores,
    visibleFraction: field.visibleFraction,
    centreOffset: field.centreOffset,
    medianLuminance: exposure.medianLuminance,
    brightFraction: exposure.brightFraction,
    backgroundLevel: field.backgroundLevel,
    contrastSpread: detail.contrastSpread,
    sharpness: detail.sharpness,
    discContrast: disc.contrast,
    maculaContrast: macula.contrast,
  })) {
    components[name] = round(Number.isFinite(value) ? value : 0);
  }
  const opticDisc = toSource(image, disc);
  const maculaPoint = toSource(image, macula);
  return {
    verdict: reasons.length === 0 ? 'gradable' : 'ungradable',
    score: round(score),
    reasons,
    components,
    measures,
    ...(field.found
      ? {
          fieldOfView: {
            x: image.originX + image.centreX / image.scale,
            y: image.originY + image.centreY / image.scale,
            radius: image.radius / image.scale,
          },
        }
      : {}),
    ...(opticDisc === undefined ? {} : { opticDisc }),
    ...(maculaPoint === undefined ? {} : { macula: maculaPoint }),
  };
}
