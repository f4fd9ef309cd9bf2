/**
 * Static perimetry (Humphrey-like 24-2 and 10-2): age-corrected normal sensitivities (hill of vision), the
 * physiological blind spot, glaucomatous arcuate defects and diffuse loss, and test–retest variability
 * that grows as sensitivity falls (Henson et al. 2000). Coordinates are in degrees as seen by the patient:
 * x positive to the patient's right, y positive up; the blind spot of a right eye is at (+15, −3).
 * See standards-reference §E.
 */
import type { Eye } from '../core/eye.ts';
import type { Rng } from './rng.ts';

/** A test pattern. */
export type VfPattern = '24-2' | '10-2';

/** One test location. */
export interface VfLocation {
  /** 1-based index in the pattern's order (24-2: the visualFields package's l1…l54 for a right eye). */
  readonly index: number;
  readonly x: number;
  readonly y: number;
  /** The physiological blind spot (24-2 l26 and l35 for a right eye). */
  readonly blindSpot: boolean;
}

/** 24-2 rows from top to bottom for a right eye: [y, x values]. */
const rows242: readonly (readonly [number, readonly number[]])[] = [
  [21, [-9, -3, 3, 9]],
  [15, [-15, -9, -3, 3, 9, 15]],
  [9, [-21, -15, -9, -3, 3, 9, 15, 21]],
  [3, [-27, -21, -15, -9, -3, 3, 9, 15, 21]],
  [-3, [-27, -21, -15, -9, -3, 3, 9, 15, 21]],
  [-9, [-21, -15, -9, -3, 3, 9, 15, 21]],
  [-15, [-15, -9, -3, 3, 9, 15]],
  [-21, [-9, -3, 3, 9]],
];

/** The test locations of a pattern for an eye (left eyes mirror x). */
export function vfLocations(pattern: VfPattern, eye: Eye): VfLocation[] {
  const mirror = eye === 'R' ? 1 : -1;
  const locations: VfLocation[] = [];
  if (pattern === '24-2') {
    for (const [y, xs] of rows242) {
      for (const x of xs) {
        locations.push({
          index: locations.length + 1,
          x: mirror * x,
          y,
          blindSpot: x === 15 && Math.abs(y) === 3,
        });
      }
    }
    return locations;
  }
  // 10-2: a 2° grid offset by 1° from the meridians, within √82° of fixation: 68 locations.
  for (let y = 9; y >= -9; y -= 2) {
    for (let x = -9; x <= 9; x += 2) {
      if (x * x + y * y <= 82) {
        locations.push({ index: locations.length + 1, x: mirror * x, y, blindSpot: false });
      }
    }
  }
  return locations;
}

/** Age-corrected normal sensitivity (dB) at a location (hill of vision, −0.065 dB per year of age). */
export function normalSensitivity(x: number, y: number, ageYears: number, eye: Eye): number {
  const eccentricity = Math.hypot(x, y);
  const superior = Math.max(0, y);
  let value = 33.6 - 0.2 * eccentricity - 0.03 * superior - 0.065 * (ageYears - 45);
  // Physiological blind spot, centred 15° temporal and 1.5° below the horizontal.
  const temporalX = eye === 'R' ? x : -x;
  const bx = (temporalX - 15) / 2.8;
  const by = (y + 1.5) / 3.6;
  value -= 31 * Math.exp(-((bx * bx + by * by) ** 2));
  return Math.max(0, value);
}

/** A glaucomatous arcuate defect in one hemifield. */
export interface ArcuateDefect {
  readonly hemifield: 'superior' | 'inferior';
  /** Loss at the centre of the arcuate bundle (dB). */
  readonly depthDb: number;
}

/**
 * How strongly a location belongs to the arcuate nerve-fibre bundle region of a hemifield (0–1): an arc
 * 8–22° from fixation, from the blind spot around fixation to a nasal step, respecting the horizontal
 * meridian.
 */
export function arcuateWeight(x: number, y: number, hemifield: 'superior' | 'inferior', eye: Eye): number {
  const sign = hemifield === 'superior' ? 1 : -1;
  if (y * sign <= 0) {
    return 0;
  }
  const temporalX = eye === 'R' ? x : -x;
  const eccentricity = Math.hypot(x, y);
  const band = Math.exp(-(((eccentricity - 15) / 6.5) ** 2));
  const pastBlindSpot = Math.min(1, Math.max(0, (20 - temporalX) / 8));
  const nasalStep = temporalX < -12 && Math.abs(y) <= 9 ? 0.9 : 0;
  return Math.max(band * pastBlindSpot, nasalStep);
}

/** Test–retest SD (dB) at a sensitivity, capped at 6 dB (Henson et al. 2000). */
export function retestSd(sensitivityDb: number): number {
  return Math.min(6, Math.exp(-0.081 * sensitivityDb + 3.27));
}

/** Reliability indices of one test. */
export interface VfReliability {
  /** Fixation losses / fixation checks. */
  readonly fixationLosses: number;
  readonly fixationChecks: number;
  /** False positive and false negative rates (0–1). */
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** Test duration (s). */
  readonly durationSeconds: number;
}

/** One location's values in one test. */
export interface VfPointValue extends VfLocation {
  readonly normalDb: number;
  /** Sensitivity without measurement noise. */
  readonly trueDb: number;
  /** What the perimeter reports (integer dB, ≥ 0). */
  readonly measuredDb: number;
  /** Total deviation of the measured value (measured − normal). */
  readonly totalDeviationDb: number;
}

/** The values of one test. */
export interface VfTestValues {
  readonly pattern: VfPattern;
  readonly eye: Eye;
  readonly ageYears: number;
  readonly points: readonly VfPointValue[];
  /** Mean deviation of the measured values: mean TD over non-blind-spot locations (unweighted). */
  readonly meanDeviationDb: number;
  /** Pattern standard deviation of the measured values (SD of TD around MD). */
  readonly patternStandardDeviationDb: number;
  /** The same indices without measurement noise. */
  readonly trueMeanDeviationDb: number;
  readonly truePatternStandardDeviationDb: number;
  readonly meanSensitivityDb: number;
  readonly reliability: VfReliability;
}

/** Options of {@link generateVisualFieldValues}. */
export interface VfValueOptions {
  readonly pattern: VfPattern;
  readonly eye: Eye;
  readonly ageYears: number;
  /** Uniform (diffuse) loss (dB, ≥ 0). */
  readonly diffuseLossDb?: number;
  readonly defects?: readonly ArcuateDefect[];
  /** Add test–retest noise (default true). */
  readonly noise?: boolean;
}

/** MD and PSD of total deviations (non-blind-spot locations). */
export function globalIndices(points: readonly { readonly td: number; readonly blindSpot: boolean }[]): {
  readonly md: number;
  readonly psd: number;
} {
  const tds = points.filter((p) => !p.blindSpot).map((p) => p.td);
  const md = tds.reduce((a, b) => a + b, 0) / tds.length;
  const variance = tds.reduce((a, b) => a + (b - md) ** 2, 0) / Math.max(1, tds.length - 1);
  return { md, psd: Math.sqrt(variance) };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Generates one visual field test. */
export function generateVisualFieldValues(options: VfValueOptions, rng: Rng): VfTestValues {
  const { pattern, eye, ageYears } = options;
  const diffuse = options.diffuseLossDb ?? 0;
  const defects = options.defects ?? [];
  const noisy = options.noise ?? true;
  const points: VfPointValue[] = [];
  for (const location of vfLocations(pattern, eye)) {
    const normal = normalSensitivity(location.x, location.y, ageYears, eye);
    let loss = location.blindSpot ? 0 : diffuse;
    for (const defect of defects) {
      loss += defect.depthDb * arcuateWeight(location.x, location.y, defect.hemifield, eye);
    }
    const trueDb = Math.max(0, normal - loss);
    const measured = noisy
      ? Math.round(Math.min(40, Math.max(0, trueDb + rng.normal(0, retestSd(trueDb)))))
      : Math.round(trueDb);
    points.push({
      ...location,
      normalDb: round2(normal),
      trueDb: round2(trueDb),
      measuredDb: measured,
      totalDeviationDb: round2(measured - normal),
    });
  }
  const measuredIndices = globalIndices(
    points.map((p) => ({ td: p.measuredDb - p.normalDb, blindSpot: p.blindSpot })),
  );
  const trueIndices = globalIndices(
    points.map((p) => ({ td: p.trueDb - p.normalDb, blindSpot: p.blindSpot })),
  );
  const damage = Math.min(1, Math.max(0, -trueIndices.md / 20));
  const checks = pattern === '24-2' ? rng.int(14, 20) : rng.int(12, 18);
  const reliability: VfReliability = {
    fixationLosses: Math.min(checks, Math.floor(rng.float() ** 3 * 4)),
    fixationChecks: checks,
    falsePositives: round2(Math.min(0.3, rng.float() ** 2.5 * 0.12)),
    falseNegatives: round2(Math.min(0.4, rng.float() ** 2 * (0.06 + 0.2 * damage))),
    durationSeconds: Math.round(
      (pattern === '24-2' ? 300 : 330) * (1 + 0.5 * damage) * rng.range(0.85, 1.15),
    ),
  };
  const sensitivities = points.filter((p) => !p.blindSpot).map((p) => p.measuredDb);
  return {
    pattern,
    eye,
    ageYears: round2(ageYears),
    points,
    meanDeviationDb: round2(measuredIndices.md),
    patternStandardDeviationDb: round2(measuredIndices.psd),
    trueMeanDeviationDb: round2(trueIndices.md),
    truePatternStandardDeviationDb: round2(trueIndices.psd),
    meanSensitivityDb: round2(sensitivities.reduce((a, b) => a + b, 0) / sensitivities.length),
    reliability,
  };
}
