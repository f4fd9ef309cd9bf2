/**
 * The classic grey-scale map of a visual field: the sensitivities interpolated between the test points
 * (inverse-distance weighting of the four nearest, blind-spot points left out) on a grid a quarter of the test
 * spacing, each cell shaded by its 5 dB band (black below 1 dB … white from 36 dB, as perimeters print it), the
 * blind spot drawn black, and the meridians. Drawn as the patient sees the field (a right eye's blind spot to the
 * right of fixation).
 */
import type { VisualFieldTestView } from '../api.ts';
import { VfChart } from './vf-chart.tsx';
import { frameOf, svgY } from './vf-geometry.ts';

/** The 5 dB bands, darkest first: the lower limit (dB) and the grey of the band. */
export const greyBands: readonly { readonly from: number; readonly grey: number }[] = [
  { from: -Infinity, grey: 0 },
  { from: 1, grey: 40 },
  { from: 6, grey: 75 },
  { from: 11, grey: 110 },
  { from: 16, grey: 145 },
  { from: 21, grey: 180 },
  { from: 26, grey: 210 },
  { from: 31, grey: 235 },
  { from: 36, grey: 255 },
];

function greyOf(db: number): number {
  let grey = 0;
  for (const band of greyBands) {
    if (db >= band.from) {
      grey = band.grey;
    }
  }
  return grey;
}

interface Cell {
  readonly x: number;
  readonly y: number;
  readonly db: number;
}

/** The interpolated cells of a field. */
function cellsOf(test: VisualFieldTestView): { cells: Cell[]; size: number } {
  const frame = frameOf(test.points);
  const known = test.points.filter(
    (point): point is typeof point & { sensitivityDb: number } =>
      !point.blindSpot && point.sensitivityDb !== null,
  );
  const size = frame.step / 4;
  const cells: Cell[] = [];
  for (let y = frame.halfY - size / 2; y > -frame.halfY; y -= size) {
    for (let x = -frame.halfX + size / 2; x < frame.halfX; x += size) {
      const near = known
        .map((point) => ({ point, d2: (point.x - x) ** 2 + (point.y - y) ** 2 }))
        .sort((a, b) => a.d2 - b.d2)
        .slice(0, 4);
      // Only inside the tested area: within about half a grid step (diagonal) of a test point.
      if (near.length === 0 || near[0]!.d2 > (frame.step * 0.75) ** 2) {
        continue;
      }
      let sum = 0;
      let weights = 0;
      for (const { point, d2 } of near) {
        const weight = 1 / Math.max(d2, 1e-6);
        sum += weight * point.sensitivityDb;
        weights += weight;
      }
      cells.push({ x, y, db: sum / weights });
    }
  }
  return { cells, size };
}

/** The grey-scale map of one test. */
export function VfGreyscale({ test }: { readonly test: VisualFieldTestView }) {
  const { cells, size } = cellsOf(test);
  return (
    <VfChart test={test} testId="vf-greyscale" what="Grey-scale map" axesOnTop>
      {cells.map((cell) => {
        const grey = greyOf(cell.db);
        return (
          <rect
            key={`${cell.x.toFixed(2)},${cell.y.toFixed(2)}`}
            x={cell.x - size / 2}
            y={svgY(cell.y) - size / 2}
            width={size + 0.02}
            height={size + 0.02}
            fill={`rgb(${String(grey)},${String(grey)},${String(grey)})`}
          />
        );
      })}
      {test.blindSpot === null ? null : (
        <ellipse
          data-testid="vf-blind-spot"
          data-x={test.blindSpot.x}
          cx={test.blindSpot.x}
          cy={svgY(test.blindSpot.y)}
          rx={2.75}
          ry={3.75}
          fill="#000"
        >
          <title>Blind spot</title>
        </ellipse>
      )}
    </VfChart>
  );
}

/** The legend of the grey bands. */
export function VfGreyLegend() {
  return (
    <ul className="vf-grey-legend" aria-label="Grey-scale legend (dB)">
      {greyBands.map((band, index) => {
        const next = greyBands[index + 1];
        const label =
          band.from === -Infinity
            ? `< ${String(next?.from ?? 1)}`
            : next === undefined
              ? `≥ ${String(band.from)}`
              : `${String(band.from)}–${String(next.from - 1)}`;
        return (
          <li key={label}>
            <svg className="vf-swatch" viewBox="0 0 1 1" aria-hidden="true">
              <rect
                width={1}
                height={1}
                fill={`rgb(${String(band.grey)},${String(band.grey)},${String(band.grey)})`}
                stroke="#777"
                strokeWidth={0.08}
              />
            </svg>
            {label}
          </li>
        );
      })}
    </ul>
  );
}
