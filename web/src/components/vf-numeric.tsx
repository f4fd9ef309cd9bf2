/**
 * The numeric maps of a visual field: the sensitivity of every test point (dB, as measured; `<0` for a stimulus
 * not seen at the brightest level), and the deviation map — pattern deviation when the perimeter wrote it, else
 * total deviation — with each point's probability as the perimeters' symbols (a light dot within normal limits,
 * sparse to dense stipple for p < 5 %, < 2 %, < 1 %, a black square for p < 0.5 %). Drawn as the patient sees
 * the field, like the grey scale.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3 (Age Corrected / Generalized Defect Corrected Sensitivity Deviation)
 */
import { useId } from 'react';
import type { VisualFieldPointView, VisualFieldTestView } from '../api.ts';
import { VfChart } from './vf-chart.tsx';
import { frameOf, signed, svgY } from './vf-geometry.ts';

/** The probability levels (percent) with their symbol, most significant first. */
export const probabilityLevels = [
  { below: 0.5, name: 'p < 0.5 %', symbol: 'solid' },
  { below: 1, name: 'p < 1 %', symbol: 'dense' },
  { below: 2, name: 'p < 2 %', symbol: 'medium' },
  { below: 5, name: 'p < 5 %', symbol: 'sparse' },
] as const;

/** The symbol of a probability (percent), or `normal` within normal limits. */
export function symbolOf(p: number | undefined): string {
  if (p === undefined) {
    return 'none';
  }
  return probabilityLevels.find((level) => p <= level.below && p < 100)?.symbol ?? 'normal';
}

/** How a sensitivity reads on the map: whole dB; `<0` when the stimulus was not seen at 0 dB. */
export function sensitivityText(point: VisualFieldPointView): string {
  if (point.sensitivityDb === null) {
    return '—';
  }
  if (point.seen === false && point.sensitivityDb <= 0) {
    return '<0';
  }
  return String(Math.round(point.sensitivityDb));
}

/** A number written at a test point (field coordinates), centred. */
function PointText({
  point,
  testId,
  font,
  dim = false,
  text,
}: {
  readonly point: { readonly x: number; readonly y: number };
  readonly testId: string;
  readonly font: number;
  readonly dim?: boolean;
  readonly text: string;
}) {
  return (
    <text
      data-testid={testId}
      data-x={point.x}
      data-y={point.y}
      x={point.x}
      y={svgY(point.y) + font * 0.35}
      fontSize={font}
      textAnchor="middle"
      className={dim ? 'vf-value vf-blind' : 'vf-value'}
    >
      {text}
    </text>
  );
}

/** The sensitivity numbers of one test. */
export function VfNumeric({ test }: { readonly test: VisualFieldTestView }) {
  const frame = frameOf(test.points);
  const font = frame.step * 0.42;
  return (
    <VfChart test={test} testId="vf-numeric" what="Sensitivities (dB)">
      {test.points.map((point) => (
        <PointText
          key={`${String(point.x)},${String(point.y)}`}
          point={point}
          testId="vf-sensitivity"
          font={font}
          dim={point.blindSpot}
          text={sensitivityText(point)}
        />
      ))}
    </VfChart>
  );
}

/** Deviation at one test point: dB and probability (percent; 100 = within normal limits). */
export interface DeviationPoint {
  readonly x: number;
  readonly y: number;
  readonly db: number | null;
  readonly p: number | null;
}

/** Which deviation the perimeter wrote: pattern deviation when it did, else total deviation. */
export function deviationKind(test: VisualFieldTestView): 'pattern' | 'total' | 'none' {
  if (test.points.some((point) => point.patternDeviationDb !== undefined)) {
    return 'pattern';
  }
  return test.points.some((point) => point.totalDeviationDb !== undefined) ? 'total' : 'none';
}

/** The perimeter's deviations of a kind at the points outside the blind spot. */
export function perimeterDeviations(test: VisualFieldTestView, kind: 'pattern' | 'total'): DeviationPoint[] {
  return test.points
    .filter((point) => !point.blindSpot)
    .map((point) => ({
      x: point.x,
      y: point.y,
      db: (kind === 'pattern' ? point.patternDeviationDb : point.totalDeviationDb) ?? null,
      p: (kind === 'pattern' ? point.patternDeviationP : point.totalDeviationP) ?? null,
    }));
}

/** Fovea's deviations of a kind (the normative model leaves the blind spot out). */
export function foveaDeviations(test: VisualFieldTestView, kind: 'pattern' | 'total'): DeviationPoint[] {
  return (test.aiDeviations?.points ?? []).map((point) => ({
    x: point.x,
    y: point.y,
    db: kind === 'pattern' ? point.patternDeviationDb : point.totalDeviationDb,
    p: kind === 'pattern' ? point.patternDeviationP : point.totalDeviationP,
  }));
}

function SymbolPatterns({ prefix }: { readonly prefix: string }) {
  const dots = (id: string, spacing: number, radius: number) => (
    <pattern id={`${prefix}-${id}`} width={spacing} height={spacing} patternUnits="userSpaceOnUse">
      <rect width={spacing} height={spacing} fill="#fff" />
      <circle cx={spacing / 2} cy={spacing / 2} r={radius} fill="#000" />
    </pattern>
  );
  return (
    <defs>
      {dots('sparse', 0.9, 0.14)}
      {dots('medium', 0.6, 0.16)}
      {dots('dense', 0.42, 0.15)}
    </defs>
  );
}

/** One probability symbol, a square of `size` degrees centred on (x, y) in field coordinates. */
function ProbabilitySymbol({
  symbol,
  x,
  y,
  size,
  prefix,
}: {
  readonly symbol: string;
  readonly x: number;
  readonly y: number;
  readonly size: number;
  readonly prefix: string;
}) {
  if (symbol === 'normal') {
    return <circle cx={x} cy={svgY(y)} r={size * 0.08} fill="#000" />;
  }
  const fill = symbol === 'solid' ? '#000' : `url(#${prefix}-${symbol})`;
  return (
    <rect
      x={x - size / 2}
      y={svgY(y) - size / 2}
      width={size}
      height={size}
      fill={fill}
      stroke="#000"
      strokeWidth={0.05}
    />
  );
}

/**
 * A deviation map and its probability symbols side by side, from the perimeter or from Fovea (`source`, kept in
 * `data-source` with the kind in `data-kind`).
 */
export function VfDeviation({
  test,
  points,
  kind,
  source,
  title,
}: {
  readonly test: VisualFieldTestView;
  readonly points: readonly DeviationPoint[];
  readonly kind: 'pattern' | 'total';
  readonly source: 'perimeter' | 'fovea';
  readonly title: string;
}) {
  const prefix = `vf${useId().replaceAll(':', '')}`;
  const frame = frameOf(test.points);
  const font = frame.step * 0.4;
  const key = (point: DeviationPoint) => `${String(point.x)},${String(point.y)}`;
  return (
    <div className="vf-deviation-pair" data-testid="vf-deviation-pair" data-source={source} data-kind={kind}>
      <figure>
        <VfChart test={test} testId="vf-deviation" what={`${title} (dB)`} kind={kind}>
          {points.map((point) =>
            point.db === null ? null : (
              <PointText
                key={key(point)}
                point={point}
                testId="vf-deviation-value"
                font={font}
                text={signed(Math.round(point.db), 0)}
              />
            ),
          )}
        </VfChart>
        <figcaption>{title} (dB)</figcaption>
      </figure>
      <figure>
        <VfChart
          test={test}
          testId="vf-probability-map"
          what={`${title} probability`}
          defs={<SymbolPatterns prefix={prefix} />}
        >
          {points.map((point) => {
            const symbol = symbolOf(point.p ?? undefined);
            return symbol === 'none' ? null : (
              <g
                key={key(point)}
                data-testid="vf-probability"
                data-x={point.x}
                data-y={point.y}
                data-p={point.p ?? undefined}
                data-symbol={symbol}
              >
                <ProbabilitySymbol
                  symbol={symbol}
                  x={point.x}
                  y={point.y}
                  size={frame.step * 0.55}
                  prefix={prefix}
                />
              </g>
            );
          })}
        </VfChart>
        <figcaption>{title} probability</figcaption>
      </figure>
    </div>
  );
}

/** The legend of the probability symbols. */
export function VfProbabilityLegend() {
  const prefix = `vfl${useId().replaceAll(':', '')}`;
  return (
    <ul className="vf-probability-legend" aria-label="Probability symbols">
      <li>
        <svg className="vf-swatch" viewBox="-0.5 -0.5 1 1" aria-hidden="true">
          <ProbabilitySymbol symbol="normal" x={0} y={0} size={1} prefix={prefix} />
        </svg>
        within normal limits
      </li>
      {[...probabilityLevels].reverse().map((level) => (
        <li key={level.symbol}>
          <svg className="vf-swatch" viewBox="-0.5 -0.5 1 1" aria-hidden="true">
            <SymbolPatterns prefix={prefix} />
            <ProbabilitySymbol symbol={level.symbol} x={0} y={0} size={0.9} prefix={prefix} />
          </svg>
          {level.name}
        </li>
      ))}
    </ul>
  );
}
