/**
 * The ETDRS map of one eye: the 1, 3 and 6 mm circles split into the central subfield and four inner and four outer
 * sectors by the 45° diagonals, with the AI's retinal thickness (µm) in each from the `oct-macula` findings (`cst`,
 * `thickness-IS` … `thickness-OT`), oriented as the fundus is seen: superior up, nasal towards the disc (right for
 * a right eye, left for a left eye). Labelled AI-generated with the analyzer id@version.
 * @see https://loinc.org/57109-1 (LOINC macular grid, CID 4285; standards-reference §C.1, §C.5)
 */
import type { FindingView } from '../api.ts';

/** The subfields: finding key, abbreviation, ring (0 centre, 1 inner, 2 outer) and direction. */
const subfields = [
  { key: 'cst', subfield: 'CSF', ring: 0, side: 'centre' },
  { key: 'thickness-IS', subfield: 'IS', ring: 1, side: 'superior' },
  { key: 'thickness-IN', subfield: 'IN', ring: 1, side: 'nasal' },
  { key: 'thickness-II', subfield: 'II', ring: 1, side: 'inferior' },
  { key: 'thickness-IT', subfield: 'IT', ring: 1, side: 'temporal' },
  { key: 'thickness-OS', subfield: 'OS', ring: 2, side: 'superior' },
  { key: 'thickness-ON', subfield: 'ON', ring: 2, side: 'nasal' },
  { key: 'thickness-OI', subfield: 'OI', ring: 2, side: 'inferior' },
  { key: 'thickness-OT', subfield: 'OT', ring: 2, side: 'temporal' },
] as const;

type Side = (typeof subfields)[number]['side'];

/** SVG units per mm (the 6-mm circle has a radius of 105). */
const scale = 35;
const radii = [0.5 * scale, 1.5 * scale, 3 * scale] as const;

/** The unit vector of a side: nasal is image right for a right eye, image left for a left eye. */
function direction(side: Side, eye: 'R' | 'L'): readonly [number, number] {
  const nasal = eye === 'R' ? 1 : -1;
  switch (side) {
    case 'superior':
      return [0, -1];
    case 'inferior':
      return [0, 1];
    case 'nasal':
      return [nasal, 0];
    case 'temporal':
      return [-nasal, 0];
    case 'centre':
      return [0, 0];
  }
}

/** A finding's measured value, when it is a measurement. */
function measured(finding: FindingView | undefined): number | undefined {
  const value = finding?.value as { kind?: unknown; value?: unknown } | undefined;
  return value?.kind === 'measurement' && typeof value.value === 'number' ? value.value : undefined;
}

/** The 45° diagonals between the 1 and 6 mm circles. */
function diagonals() {
  const c = Math.SQRT1_2;
  return [
    [c, c],
    [c, -c],
    [-c, c],
    [-c, -c],
  ].map(([dx, dy]) => (
    <line
      key={`${String(dx)},${String(dy)}`}
      x1={dx! * radii[0]}
      y1={dy! * radii[0]}
      x2={dx! * radii[2]}
      y2={dy! * radii[2]}
    />
  ));
}

/** The ETDRS map of one eye from its findings (nothing when the eye has no thickness findings). */
export function EtdrsMap({
  findings,
  eye,
  sopInstanceUid,
}: {
  readonly findings: readonly FindingView[];
  readonly eye: 'R' | 'L';
  readonly sopInstanceUid: string;
}) {
  const ofVolume = findings.filter(
    (finding) => finding.eye === eye && finding.sourceSopInstanceUids.includes(sopInstanceUid),
  );
  const byKey = new Map(ofVolume.map((finding) => [finding.key, finding]));
  const cst = byKey.get('cst');
  if (cst === undefined) {
    return null;
  }
  const labelRadius = radii[2] + 12;
  return (
    <figure className="etdrs-map" data-testid="etdrs-map" data-eye={eye}>
      <svg
        viewBox="-130 -130 260 260"
        role="img"
        aria-label={`ETDRS thickness map, ${eye === 'R' ? 'right' : 'left'} eye`}
      >
        <g className="etdrs-grid">
          {[...radii].reverse().map((radius) => (
            <circle key={radius} r={radius} />
          ))}
          {diagonals()}
        </g>
        {subfields.map(({ key, subfield, ring, side }) => {
          const value = measured(byKey.get(key));
          const [dx, dy] = direction(side, eye);
          const radius = ring === 0 ? 0 : (radii[ring - 1]! + radii[ring]) / 2;
          return (
            <text
              key={key}
              className="etdrs-value"
              data-testid="etdrs-value"
              data-subfield={subfield}
              data-value={value ?? ''}
              data-status={byKey.get(key)?.status ?? ''}
              x={dx * radius}
              y={dy * radius}
              textAnchor="middle"
              dominantBaseline="central"
            >
              {value === undefined ? '—' : Math.round(value)}
            </text>
          );
        })}
        {(['superior', 'inferior', 'nasal', 'temporal'] as const).map((side) => {
          const [dx, dy] = direction(side, eye);
          return (
            <text
              key={side}
              className="etdrs-side"
              data-testid="etdrs-side"
              data-side={side}
              x={dx * labelRadius}
              y={dy * labelRadius}
              textAnchor="middle"
              dominantBaseline="central"
            >
              {side[0]!.toUpperCase()}
            </text>
          );
        })}
      </svg>
      <figcaption>
        ETDRS retinal thickness ILM–BM (µm), 1/3/6 mm; nasal towards the disc.{' '}
        <span className="ai-tag" data-testid="etdrs-analyzer">
          AI-generated — verify, {cst.provenance.analyzer}
        </span>
      </figcaption>
    </figure>
  );
}
