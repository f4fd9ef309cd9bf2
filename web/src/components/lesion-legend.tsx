/**
 * The key to the lesion marks: each lesion type's colour, name and number of marks.
 */
import { markColour, type RegionMark } from '../findings.ts';

/** The legend of the marks shown. */
export function LesionLegend({ marks }: { readonly marks: readonly RegionMark[] }) {
  const byType = new Map<string, { label: string; count: number }>();
  for (const mark of marks) {
    const count =
      mark.graphicType === 'POINT' || mark.graphicType === 'MULTIPOINT' ? mark.points.length / 2 : 1;
    const entry = byType.get(mark.key) ?? { label: mark.label, count: 0 };
    byType.set(mark.key, { label: entry.label, count: entry.count + Math.floor(count) });
  }
  if (byType.size === 0) {
    return null;
  }
  return (
    <ul className="lesion-legend" data-testid="lesion-legend">
      {[...byType].map(([key, { label, count }]) => (
        <li key={key}>
          <span className="swatch" style={{ borderColor: markColour(key) }} />
          {label} ({count})
        </li>
      ))}
    </ul>
  );
}
