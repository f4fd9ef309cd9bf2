/**
 * The 24-2 test pattern in the order of the R package visualFields (`locmaps$p24d2`): l1…l54 row by row from
 * the top, left to right, always in right-eye format (left eyes are mirrored so that the blind spot is at
 * x = +15°, locations l26 and l35).
 * @see https://cran.r-project.org/package=visualFields (locmaps)
 */

/** One 24-2 location (right-eye format, degrees from fixation; x positive to the patient's right, y up). */
export interface VfLocation {
  /** 1-based index: l1…l54. */
  readonly index: number;
  readonly x: number;
  readonly y: number;
  readonly blindSpot: boolean;
  /** Distance from fixation (degrees). */
  readonly eccentricity: number;
}

/** Rows from top to bottom: [y, x values]. */
const rows: readonly (readonly [number, readonly number[]])[] = [
  [21, [-9, -3, 3, 9]],
  [15, [-15, -9, -3, 3, 9, 15]],
  [9, [-21, -15, -9, -3, 3, 9, 15, 21]],
  [3, [-27, -21, -15, -9, -3, 3, 9, 15, 21]],
  [-3, [-27, -21, -15, -9, -3, 3, 9, 15, 21]],
  [-9, [-21, -15, -9, -3, 3, 9, 15, 21]],
  [-15, [-15, -9, -3, 3, 9, 15]],
  [-21, [-9, -3, 3, 9]],
];

/** The 54 locations of the 24-2 pattern in visualFields order (l1…l54). */
export const locations242: readonly VfLocation[] = rows.flatMap(([y, xs], row) =>
  xs.map((x, column) => {
    const index = rows.slice(0, row).reduce((sum, [, previous]) => sum + previous.length, 0) + column + 1;
    return { index, x, y, blindSpot: index === 26 || index === 35, eccentricity: Math.hypot(x, y) };
  }),
);

/** Number of 24-2 locations. */
export const locationCount = 54;

/** 0-based positions of the 52 locations outside the blind spot. */
export const nonBlindSpot: readonly number[] = locations242
  .filter((l) => !l.blindSpot)
  .map((l) => l.index - 1);

/**
 * The 0-based 24-2 position of a test point given in degrees as seen by the patient (x to the patient's right,
 * y up), for a right (`R`) or left (`L`) eye; `undefined` when no location is within `toleranceDeg`.
 */
export function locationAt(x: number, y: number, eye: 'R' | 'L', toleranceDeg = 0.75): number | undefined {
  const rx = eye === 'R' ? x : -x;
  let best: number | undefined;
  let bestDistance = toleranceDeg;
  for (const location of locations242) {
    const distance = Math.hypot(location.x - rx, location.y - y);
    if (distance <= bestDistance) {
      best = location.index - 1;
      bestDistance = distance;
    }
  }
  return best;
}
