/**
 * The frame every visual-field map is drawn in: an SVG in field degrees (x to the patient's right, y up; see
 * `vf-geometry.ts`) on a white ground with the horizontal and vertical meridians, labelled for assistive
 * technology with what it shows and which eye.
 */
import type { ReactNode } from 'react';
import type { VisualFieldTestView } from '../api.ts';
import { frameOf, viewBoxOf } from './vf-geometry.ts';

/** One map of a test: `children` are drawn in field coordinates (use `svgY` for y). */
export function VfChart({
  test,
  testId,
  what,
  kind,
  defs,
  axesOnTop = false,
  children,
}: {
  readonly test: VisualFieldTestView;
  readonly testId: string;
  /** What the map shows, for its accessible name. */
  readonly what: string;
  /** A `data-kind` for the map (e.g. which deviation), when it has one. */
  readonly kind?: string;
  readonly defs?: ReactNode;
  /** Draw the meridians over the content (a filled map) rather than under it (numbers, symbols). */
  readonly axesOnTop?: boolean;
  readonly children: ReactNode;
}) {
  const frame = frameOf(test.points);
  const axes = (
    <>
      <line x1={-frame.halfX} x2={frame.halfX} y1={0} y2={0} className="vf-axis" />
      <line x1={0} x2={0} y1={-frame.halfY} y2={frame.halfY} className="vf-axis" />
    </>
  );
  return (
    <svg
      className={`vf-map ${testId}`}
      data-testid={testId}
      data-eye={test.eye}
      data-kind={kind}
      viewBox={viewBoxOf(frame)}
      role="img"
      aria-label={`${what}, ${test.eye === 'R' ? 'right' : 'left'} eye`}
    >
      {defs}
      <rect x={-frame.halfX} y={-frame.halfY} width={2 * frame.halfX} height={2 * frame.halfY} fill="#fff" />
      {axesOnTop ? null : axes}
      {children}
      {axesOnTop ? axes : null}
    </svg>
  );
}
