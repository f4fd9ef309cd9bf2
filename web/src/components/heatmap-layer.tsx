/**
 * The AI's lesion-likelihood heatmap over a colour photograph: the gateway's transparent PNG
 * (`GET /api/studies/{uid}/lesion-heatmap/{sop}`) stretched over the whole image, so it lines up with the
 * photograph whatever size or zoom it is shown at. Where no lesion was found it is transparent.
 */
import { useState } from 'react';
import { heatmapUrl } from '../api.ts';

/** The size the heatmap is requested at (its longer side; a smooth map needs no more). */
export const heatmapRenderSize = 512;

/** The heatmap of one photograph; `version` changes the URL when the findings behind it change (a review). */
export function HeatmapLayer({
  studyInstanceUid,
  sopInstanceUid,
  version,
}: {
  readonly studyInstanceUid: string;
  readonly sopInstanceUid: string;
  readonly version: string;
}) {
  const [state, setState] = useState<'loading' | 'shown' | 'none'>('loading');
  if (state === 'none') {
    return null;
  }
  return (
    <img
      className="heatmap-layer"
      data-testid="heatmap-layer"
      data-state={state}
      src={heatmapUrl(studyInstanceUid, sopInstanceUid, heatmapRenderSize, version)}
      alt="AI lesion heatmap (AI-generated — verify)"
      title="AI lesion heatmap (AI-generated — verify): blue low, yellow and white high likelihood"
      draggable={false}
      onLoad={() => {
        setState('shown');
      }}
      onError={() => {
        setState('none');
      }}
    />
  );
}
