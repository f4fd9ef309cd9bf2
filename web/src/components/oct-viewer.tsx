/**
 * One eye's OCT volume: its B-scans (the frames of the OPT instance), rendered by the gateway, with a slider to
 * page through them. Layer lines are not drawn yet.
 */
import { useState } from 'react';
import { renderedUrl, type InstanceView } from '../api.ts';
import { ZoomPan } from './zoom-pan.tsx';

/** The viewer of one OCT volume. */
export function OctViewer({
  instance,
  eyeName,
}: {
  readonly instance: InstanceView;
  readonly eyeName: string;
}) {
  const frames = Math.max(1, instance.numberOfFrames ?? 1);
  const [frame, setFrame] = useState(Math.ceil(frames / 2));
  return (
    <figure className="oct-viewer" data-testid="oct-viewer" data-eye={instance.eye}>
      <ZoomPan label={`${eyeName}: OCT B-scan ${frame} of ${frames}`}>
        <img
          data-testid="oct-bscan"
          src={renderedUrl(instance.sopInstanceUid, frame, 1024)}
          alt={`${eyeName}: OCT B-scan ${frame} of ${frames}`}
          draggable={false}
        />
      </ZoomPan>
      <label className="bscan-slider">
        B-scan {frame} / {frames}
        <input
          type="range"
          min={1}
          max={frames}
          value={frame}
          data-testid="bscan-slider"
          onChange={(event) => {
            setFrame(Number(event.currentTarget.value));
          }}
        />
      </label>
      <figcaption>{eyeName}</figcaption>
    </figure>
  );
}
