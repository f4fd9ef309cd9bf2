/**
 * The SLO (en-face infrared image) of an OCT volume with every B-scan's line on it, faint, and the current
 * B-scan's line highlighted; a click on the image chooses the B-scan whose line is nearest. The lines come from
 * `GET /api/studies/{uid}/oct-slo/{sop}` (the OPT's Ophthalmic Frame Location, or the volume geometry, which the
 * caption says).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.8 (Ophthalmic Frame Location)
 */
import type { MouseEvent } from 'react';
import { renderedUrl, type ImagePoint, type OctSloView } from '../api.ts';

/** The size the SLO is asked at. */
const sloSize = 512;

/** Distance from a point to a polyline (SLO pixels). */
function distanceTo(points: readonly ImagePoint[], x: number, y: number): number {
  let best = Infinity;
  for (let i = 1; i < points.length; i++) {
    const [ax, ay] = points[i - 1]!;
    const [bx, by] = points[i]!;
    const dx = bx - ax;
    const dy = by - ay;
    const length = dx * dx + dy * dy;
    const t = length === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / length));
    best = Math.min(best, Math.hypot(ax + t * dx - x, ay + t * dy - y));
  }
  return best;
}

/** The B-scan whose line is nearest to a point. */
export function nearestFrame(view: OctSloView, x: number, y: number): number | undefined {
  let best: { frame: number; distance: number } | undefined;
  for (const line of view.lines) {
    const distance = distanceTo(line.points, x, y);
    if (best === undefined || distance < best.distance) {
      best = { frame: line.frame, distance };
    }
  }
  return best?.frame;
}

function pointsOf(points: readonly ImagePoint[]): string {
  return points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
}

/** The SLO beside the B-scan. */
export function SloView({
  view,
  frame,
  onFrame,
  eyeName,
}: {
  readonly view: OctSloView;
  readonly frame: number;
  readonly onFrame: (frame: number) => void;
  readonly eyeName: string;
}) {
  const current = view.lines.find((line) => line.frame === frame);
  const choose = (event: MouseEvent<SVGSVGElement>): void => {
    const box = event.currentTarget.getBoundingClientRect();
    const x = ((event.clientX - box.left) / box.width) * view.slo.columns;
    const y = ((event.clientY - box.top) / box.height) * view.slo.rows;
    const chosen = nearestFrame(view, x, y);
    if (chosen !== undefined) {
      onFrame(chosen);
    }
  };
  return (
    <figure className="slo-view" data-testid="slo-view" data-source={view.source}>
      <div className="slo-stage">
        <img
          data-testid="slo-image"
          src={renderedUrl(view.slo.sopInstanceUid, 1, sloSize)}
          alt={`${eyeName}: SLO with the B-scan positions`}
          draggable={false}
        />
        <svg
          className="slo-lines"
          data-testid="slo-lines"
          viewBox={`0 0 ${view.slo.columns} ${view.slo.rows}`}
          preserveAspectRatio="none"
          role="img"
          aria-label="B-scan positions: click to choose a B-scan"
          onClick={choose}
        >
          {view.lines.map((line) => (
            <polyline
              key={line.frame}
              className="slo-line"
              data-testid="slo-line"
              data-frame={line.frame}
              fill="none"
              points={pointsOf(line.points)}
            />
          ))}
          {current === undefined ? null : (
            <polyline
              className="slo-line current"
              data-testid="slo-current-line"
              data-frame={current.frame}
              fill="none"
              points={pointsOf(current.points)}
            />
          )}
        </svg>
      </div>
      <figcaption>
        SLO: B-scan {frame} highlighted of {view.lines.length}; click a line to open its B-scan.{' '}
        {view.source === 'volume-geometry'
          ? 'Positions from the scan geometry, centred on the image (the volume gives no frame locations).'
          : "Positions from the volume's frame locations."}
      </figcaption>
    </figure>
  );
}
