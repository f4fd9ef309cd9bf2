/**
 * One eye's colour fundus photograph, rendered by the gateway, with zoom and pan, the AI's lesion heatmap and its
 * lesion marks over it (each toggled by the study page; the heatmap under the marks).
 */
import { useState } from 'react';
import { renderedUrl, type InstanceView } from '../api.ts';
import type { RegionMark } from '../findings.ts';
import { HeatmapLayer } from './heatmap-layer.tsx';
import { LesionLayer } from './lesion-layer.tsx';
import { ZoomPan } from './zoom-pan.tsx';

/** The size the photograph is requested at (its longer side, in pixels). */
export const fundusRenderSize = 1024;

/** A short key of the marks a heatmap is drawn from (it changes when a review drops or changes one). */
function marksVersion(marks: readonly RegionMark[]): string {
  let hash = 5381;
  for (const character of marks.map((mark) => `${mark.findingId}:${mark.points.join(' ')}`).join(',')) {
    hash = ((hash * 33) ^ character.charCodeAt(0)) >>> 0;
  }
  return `${marks.length}-${hash.toString(36)}`;
}

/** The viewer of one photograph. */
export function FundusViewer({
  instance,
  marks,
  showMarks,
  eyeName,
  studyInstanceUid,
  showHeatmap = false,
}: {
  readonly instance: InstanceView;
  readonly marks: readonly RegionMark[];
  readonly showMarks: boolean;
  readonly eyeName: string;
  /** The study, for the heatmap route; without it no heatmap is shown. */
  readonly studyInstanceUid?: string;
  readonly showHeatmap?: boolean;
}) {
  const [natural, setNatural] = useState<{ width: number; height: number } | undefined>(undefined);
  const [failed, setFailed] = useState(false);
  const columns = instance.columns ?? natural?.width;
  const rows = instance.rows ?? natural?.height;
  const own = marks.filter((mark) => mark.sopInstanceUid === instance.sopInstanceUid && mark.frame === 1);
  return (
    <figure className="fundus-viewer" data-testid="fundus-viewer" data-eye={instance.eye}>
      <ZoomPan label={`${eyeName}: colour fundus photograph`}>
        <img
          data-testid="fundus-image"
          src={renderedUrl(instance.sopInstanceUid, 1, fundusRenderSize)}
          alt={`${eyeName}: colour fundus photograph`}
          draggable={false}
          onLoad={(event) => {
            setNatural({
              width: event.currentTarget.naturalWidth,
              height: event.currentTarget.naturalHeight,
            });
          }}
          onError={() => {
            setFailed(true);
          }}
        />
        {showHeatmap && studyInstanceUid !== undefined && natural !== undefined && own.length > 0 ? (
          <HeatmapLayer
            studyInstanceUid={studyInstanceUid}
            sopInstanceUid={instance.sopInstanceUid}
            version={marksVersion(own)}
          />
        ) : null}
        {showMarks && natural !== undefined && columns !== undefined && rows !== undefined ? (
          <LesionLayer marks={own} columns={columns} rows={rows} />
        ) : null}
      </ZoomPan>
      <figcaption>
        {eyeName}
        {failed ? ' — the image could not be rendered' : ''}
        {own.length > 0
          ? ` — ${own.reduce((sum, mark) => sum + Math.max(1, Math.floor(mark.points.length / 2)), 0)} AI marks`
          : ''}
      </figcaption>
    </figure>
  );
}
