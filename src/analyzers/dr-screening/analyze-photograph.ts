/**
 * One colour fundus photograph from pixels to evidence: field of view, vessels, optic disc and fovea, lesions,
 * and the per-eye evidence the grading rules take, with every position in source pixels.
 */
import { dilateMask, type DecodedFrame, type Mask, type Plane } from '../../imaging/index.ts';
import type { EyeEvidence, Quadrant } from './grade.ts';
import { findLandmarks } from './landmarks.ts';
import {
  detectLesions,
  haemorrhagesByQuadrant,
  vesselLikeMask,
  type DetectedLesion,
  type LesionContext,
  type LesionType,
} from './lesions.ts';
import { measureDiscNewVessels, newVesselsAtDisc, type DiscNewVessels } from './new-vessels.ts';
import { parameters } from './parameters.ts';
import { normaliseGreen, segmentVessels, type VesselMap } from './vessels.ts';
import {
  findFieldOfView,
  makeWorkingImage,
  shrinkWorkingImage,
  toSource,
  type FieldOfView,
  type WorkingImage,
} from './working-image.ts';

/** A lesion in source pixels. */
export interface SourceLesion {
  readonly type: LesionType;
  /** Centre (column, row) in source pixels. */
  readonly x: number;
  readonly y: number;
  /** Equivalent radius in source pixels. */
  readonly radius: number;
  readonly confidence: number;
  readonly quadrant: Quadrant;
  readonly distanceToFoveaDd: number;
}

/** Everything measured on one photograph. */
export interface PhotographAnalysis {
  readonly field: FieldOfView;
  /** Disc and fovea centres in source pixels, disc diameter in source pixels. */
  readonly disc: {
    readonly x: number;
    readonly y: number;
    readonly diameter: number;
    readonly score: number;
  };
  readonly fovea: { readonly x: number; readonly y: number };
  /** Share of the field labelled vessel. */
  readonly vesselFraction: number;
  readonly lesions: readonly SourceLesion[];
  readonly evidence: EyeEvidence;
  /** The analysis' own gradability signals (a quality verdict from `fundus-quality` should be passed in too). */
  readonly ownQuality: { readonly verdict: 'gradable' | 'ungradable'; readonly reasons: readonly string[] };
  readonly durationMs: number;
}

/** Intermediate results kept for validation (vessel maps at the vessel scale). */
export interface PhotographWorkings {
  readonly vesselImage: WorkingImage;
  readonly vessels: VesselMap;
  readonly lesionImage: WorkingImage;
  /** The lesion detectors' inputs at the lesion scale. */
  readonly normalisedGreen: Plane;
  readonly lesionField: Mask;
  readonly vesselLike: Mask;
  readonly context: LesionContext;
  /** The new-vessel (NVD) measure. */
  readonly discNewVessels: DiscNewVessels;
}

function evidenceOf(lesions: readonly DetectedLesion[]): EyeEvidence {
  const count = (type: LesionType): number => lesions.filter((lesion) => lesion.type === type).length;
  const exudates = lesions.filter((lesion) => lesion.type === 'hard-exudate');
  const strongest = lesions.reduce((best, lesion) => Math.max(best, lesion.confidence), 0);
  const relevant = lesions.length === 0 ? 0.9 : Math.max(0.5, strongest);
  return {
    microaneurysms: count('microaneurysm'),
    haemorrhages: count('haemorrhage'),
    hardExudates: exudates.length,
    cottonWoolSpots: count('cotton-wool-spot'),
    haemorrhagesByQuadrant: haemorrhagesByQuadrant(lesions),
    venousBeadingQuadrants: 0,
    irmaQuadrants: 0,
    newVesselsAtDisc: count('new-vessels-disc') > 0,
    newVesselsElsewhere: count('new-vessels-elsewhere') > 0,
    preretinalHaemorrhage: count('preretinal-haemorrhage') > 0,
    vitreousHaemorrhage: false,
    exudatesWithinOneDiscDiameter: exudates.filter((lesion) => lesion.distanceToFoveaDd <= 1).length,
    exudatesInvolvingCentre: exudates.filter(
      (lesion) => lesion.distanceToFoveaDd <= parameters.grading.centreDd,
    ).length,
    confidence: relevant,
  };
}

/** Analyses one photograph; `workings` receives the intermediate maps when given (for validation). */
export function analyzePhotograph(
  frame: DecodedFrame,
  workings?: { value?: PhotographWorkings },
): PhotographAnalysis {
  const started = performance.now();
  const field = findFieldOfView(frame);
  const lesionImage = makeWorkingImage(frame, field, parameters.lesions.fieldDiameter);
  const vesselImage = shrinkWorkingImage(lesionImage, field, parameters.vessels.fieldDiameter);
  const vessels = segmentVessels(vesselImage.green, vesselImage.mask, 2 * vesselImage.radius);
  const ratio = vesselImage.scale / lesionImage.scale;
  const { width, height } = lesionImage.green;
  const vesselLike = vesselLikeMask(vessels, width, height, ratio);
  const brightness = {
    width,
    height,
    data: lesionImage.red.data.map((red, i) => 0.5 * red + 0.5 * lesionImage.green.data[i]!),
  };
  const vesselsAtLesionScale = { width, height, data: new Uint8Array(width * height) };
  for (let y = 0; y < height; y++) {
    const vy = Math.min(vessels.mask.height - 1, Math.floor(y * ratio));
    for (let x = 0; x < width; x++) {
      const vx = Math.min(vessels.mask.width - 1, Math.floor(x * ratio));
      vesselsAtLesionScale.data[y * width + x] = vessels.mask.data[vy * vessels.mask.width + vx]!;
    }
  }
  const landmarks = findLandmarks(
    brightness,
    lesionImage.green,
    lesionImage.mask,
    vesselsAtLesionScale,
    lesionImage.centreX,
    lesionImage.centreY,
    lesionImage.radius,
  );
  const nearVessels = dilateMask(
    vesselsAtLesionScale,
    Math.max(1, Math.round(parameters.lesions.vesselMargin * lesionImage.radius)),
  );
  const backgroundMask = { width, height, data: new Uint8Array(width * height) };
  for (let i = 0; i < backgroundMask.data.length; i++) {
    backgroundMask.data[i] = lesionImage.mask.data[i] !== 0 && nearVessels.data[i] === 0 ? 1 : 0;
  }
  const normalisedGreen = normaliseGreen(
    lesionImage.green,
    lesionImage.mask,
    parameters.lesions.backgroundSigma * 2 * lesionImage.radius,
    backgroundMask,
  );
  const lesionField = { width, height, data: new Uint8Array(width * height) };
  const inner = parameters.lesions.rimExclusion * lesionImage.radius;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const inside = Math.hypot(x + 0.5 - lesionImage.centreX, y + 0.5 - lesionImage.centreY) <= inner;
      lesionField.data[i] = inside && lesionImage.mask.data[i] !== 0 ? 1 : 0;
    }
  }
  const context = {
    discX: landmarks.discX,
    discY: landmarks.discY,
    foveaX: landmarks.foveaX,
    foveaY: landmarks.foveaY,
    discDiameter: landmarks.discDiameter,
  };
  const detected = detectLesions(normalisedGreen, lesionField, vesselLike, nearVessels, context);
  const discNewVessels = measureDiscNewVessels(normalisedGreen, lesionField, vesselsAtLesionScale, context);
  if (discNewVessels.detected) {
    detected.push(newVesselsAtDisc(context, discNewVessels.confidence));
  }
  const lesions = detected.map((lesion) => {
    const at = toSource(lesionImage, lesion.x, lesion.y);
    return {
      type: lesion.type,
      x: at.x,
      y: at.y,
      radius: lesion.radius / lesionImage.scale,
      confidence: lesion.confidence,
      quadrant: lesion.quadrant,
      distanceToFoveaDd: lesion.distanceToFoveaDd,
    };
  });
  const disc = toSource(lesionImage, landmarks.discX, landmarks.discY);
  const fovea = toSource(lesionImage, landmarks.foveaX, landmarks.foveaY);
  const reasons: string[] = [];
  const fieldToFrame = (2 * field.radius) / Math.min(frame.rows, frame.columns);
  if (
    field.visibleFraction < parameters.grading.minVisibleFraction ||
    fieldToFrame < parameters.grading.minFieldToFrame
  ) {
    reasons.push('field-of-view');
  }
  if (vessels.vesselFraction < parameters.grading.minVesselFraction) {
    reasons.push('low-contrast');
  }
  if (workings !== undefined) {
    workings.value = {
      vesselImage,
      vessels,
      lesionImage,
      normalisedGreen,
      lesionField,
      vesselLike,
      context,
      discNewVessels,
    };
  }
  return {
    field,
    disc: {
      x: disc.x,
      y: disc.y,
      diameter: landmarks.discDiameter / lesionImage.scale,
      score: landmarks.discScore,
    },
    fovea,
    vesselFraction: vessels.vesselFraction,
    lesions,
    evidence: evidenceOf(detected),
    ownQuality: { verdict: reasons.length === 0 ? 'gradable' : 'ungradable', reasons },
    durationMs: performance.now() - started,
  };
}
