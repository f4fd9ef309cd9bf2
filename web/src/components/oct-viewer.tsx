/**
 * One eye's OCT volume: its B-scans (the frames of the OPT instance), rendered by the gateway, with a slider to
 * page through them, and the AI's fluid (IRF, SRF, PED) over the B-scan from the analysis's mask
 * (`GET /api/studies/{uid}/oct-fluid/{sop}?frame=N`) with a toggle, a legend with the pixels of each fluid on the
 * B-scan, and buttons to the B-scans that hold fluid. Layer lines are not drawn yet (the gateway keeps no layer
 * boundaries in the analysis's raw output).
 */
import { useEffect, useState } from 'react';
import { fetchOctFluid, renderedUrl, type InstanceView, type OctFluidView } from '../api.ts';
import { FluidLayer, fluidPixels, fluidTypes } from './fluid-layer.tsx';
import { ZoomPan } from './zoom-pan.tsx';

function frameList(frames: readonly number[]): string {
  return frames.length === 0 ? 'none' : `${frames.length} of the volume`;
}

/** The viewer of one OCT volume. */
export function OctViewer({
  studyInstanceUid,
  instance,
  eyeName,
}: {
  readonly studyInstanceUid: string;
  readonly instance: InstanceView;
  readonly eyeName: string;
}) {
  const frames = Math.max(1, instance.numberOfFrames ?? 1);
  const [frame, setFrame] = useState(Math.ceil(frames / 2));
  const [fluid, setFluid] = useState<OctFluidView | null | undefined>(undefined);
  const [showFluid, setShowFluid] = useState(true);

  useEffect(() => {
    let current = true;
    fetchOctFluid(studyInstanceUid, instance.sopInstanceUid, frame).then(
      (loaded) => {
        if (current) {
          setFluid(loaded ?? null);
        }
      },
      () => {
        if (current) {
          setFluid(null);
        }
      },
    );
    return () => {
      current = false;
    };
  }, [studyInstanceUid, instance.sopInstanceUid, frame]);

  const shown = fluid !== null && fluid !== undefined && fluid.frame === frame ? fluid : undefined;
  const pixels = shown === undefined ? undefined : fluidPixels(shown);
  return (
    <figure className="oct-viewer" data-testid="oct-viewer" data-eye={instance.eye}>
      {fluid === null || fluid === undefined ? null : (
        <div className="fluid-bar">
          <label className="toggle">
            <input
              type="checkbox"
              data-testid="fluid-toggle"
              checked={showFluid}
              onChange={(event) => {
                setShowFluid(event.currentTarget.checked);
              }}
            />
            Show AI fluid (AI-generated — verify, {fluid.analyzer})
          </label>
          <ul className="fluid-legend" data-testid="fluid-legend">
            {fluidTypes.map(({ fluid: type, name, colour }) => (
              <li key={type}>
                <span className="swatch" style={{ background: colour }} />
                {name} ({type}): {pixels === undefined ? '…' : `${String(pixels[type])} px`}
              </li>
            ))}
          </ul>
          <div className="fluid-frames">
            B-scans with fluid: {frameList(fluid.framesWithFluid)}{' '}
            {fluid.framesWithFluid.map((withFluid) => (
              <button
                type="button"
                key={withFluid}
                data-testid="fluid-frame"
                aria-pressed={withFluid === frame}
                onClick={() => {
                  setFrame(withFluid);
                }}
              >
                {withFluid}
              </button>
            ))}
          </div>
        </div>
      )}
      <ZoomPan label={`${eyeName}: OCT B-scan ${frame} of ${frames}`}>
        <img
          data-testid="oct-bscan"
          src={renderedUrl(instance.sopInstanceUid, frame, 1024)}
          alt={`${eyeName}: OCT B-scan ${frame} of ${frames}`}
          draggable={false}
        />
        {showFluid && shown !== undefined ? <FluidLayer view={shown} /> : null}
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
