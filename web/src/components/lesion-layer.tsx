/**
 * The AI's lesion marks as an SVG layer over an image, in the source instance's pixel coordinates (the view box
 * is the instance's columns × rows, so the marks stay on their lesions whatever size the image is shown at).
 */
import { markColour, type RegionMark } from '../findings.ts';

function Shape({ mark, radius }: { readonly mark: RegionMark; readonly radius: number }) {
  const colour = markColour(mark.key);
  const title = `${mark.label} (AI-generated — verify)`;
  const pairs: [number, number][] = [];
  for (let i = 0; i + 1 < mark.points.length; i += 2) {
    pairs.push([mark.points[i]!, mark.points[i + 1]!]);
  }
  if (mark.graphicType === 'POLYLINE') {
    return (
      <polyline
        data-testid="lesion-mark"
        data-lesion={mark.key}
        points={pairs.map(([x, y]) => `${x},${y}`).join(' ')}
        fill="none"
        stroke={colour}
      >
        <title>{title}</title>
      </polyline>
    );
  }
  if (mark.graphicType === 'CIRCLE' && pairs.length >= 2) {
    const [[cx, cy], [px, py]] = pairs as [[number, number], [number, number]];
    return (
      <circle
        data-testid="lesion-mark"
        data-lesion={mark.key}
        cx={cx}
        cy={cy}
        r={Math.hypot(px - cx, py - cy)}
        fill="none"
        stroke={colour}
      >
        <title>{title}</title>
      </circle>
    );
  }
  return (
    <g>
      {pairs.map(([x, y], index) => (
        <circle
          key={index}
          data-testid="lesion-mark"
          data-lesion={mark.key}
          cx={x}
          cy={y}
          r={radius}
          fill="none"
          stroke={colour}
        >
          <title>{title}</title>
        </circle>
      ))}
    </g>
  );
}

/** The marks of one instance (and frame) over an image of `columns` × `rows` source pixels. */
export function LesionLayer({
  marks,
  columns,
  rows,
}: {
  readonly marks: readonly RegionMark[];
  readonly columns: number;
  readonly rows: number;
}) {
  const radius = Math.max(columns, rows) * 0.012;
  return (
    <svg
      className="lesion-layer"
      data-testid="lesion-layer"
      viewBox={`0 0 ${columns} ${rows}`}
      preserveAspectRatio="none"
      aria-label="AI lesion marks"
    >
      {marks.map((mark) => (
        <Shape key={mark.findingId} mark={mark} radius={radius} />
      ))}
    </svg>
  );
}
