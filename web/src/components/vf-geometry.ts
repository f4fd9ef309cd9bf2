/**
 * The geometry the visual-field maps share: the chart's extent in degrees from the test points, the spacing of
 * the grid, and the SVG transform from field coordinates (x to the patient's right, y up, as in the OPV) to the
 * drawing (y down). Fields are drawn as the patient sees them, the way perimeters print them: a right eye's
 * blind spot on the right of fixation, a left eye's on the left.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3
 */
import type { VisualFieldPointView } from '../api.ts';

/** The chart's half-extent in degrees and the grid spacing of the test points. */
export interface FieldFrame {
  readonly halfX: number;
  readonly halfY: number;
  readonly step: number;
}

/** The frame of a set of test points: the largest eccentricity plus half a grid step of margin. */
export function frameOf(points: readonly VisualFieldPointView[]): FieldFrame {
  const xs = [...new Set(points.map((point) => point.x))].sort((a, b) => a - b);
  const gaps = xs.slice(1).map((x, index) => x - xs[index]!);
  const step = gaps.length === 0 ? 6 : Math.max(1, Math.min(...gaps));
  const maxX = Math.max(0, ...points.map((point) => Math.abs(point.x)));
  const maxY = Math.max(0, ...points.map((point) => Math.abs(point.y)));
  return { halfX: maxX + step / 2, halfY: maxY + step / 2, step };
}

/** The SVG view box of a frame (field degrees, y flipped by {@link svgY}). */
export function viewBoxOf(frame: FieldFrame): string {
  return `${String(-frame.halfX)} ${String(-frame.halfY)} ${String(2 * frame.halfX)} ${String(2 * frame.halfY)}`;
}

/** Field y (up) to SVG y (down). */
export function svgY(y: number): number {
  return -y;
}

/** A number with a true minus sign, to `digits` decimals. */
export function signed(value: number, digits: number, plus = false): string {
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) {
    return text;
  }
  return `${value < 0 ? '−' : plus ? '+' : ''}${text}`;
}
