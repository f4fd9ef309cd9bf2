/**
 * One eye's OCT volume: its B-scans (the frames of the OPT instance), rendered by the gateway, with a slider to
 * page through them; over the B-scan the AI's layer boundaries (`GET /api/studies/{uid}/oct-layers/{sop}?frame=N`,
 * a toggle and a legend) and the AI's fluid (IRF, SRF, PED) from the analysis's mask
 * (`GET /api/studies/{uid}/oct-fluid/{sop}?frame=N`) with a toggle, a legend with the pixels of each fluid on the
 * B-scan, and buttons to the B-scans that hold fluid. Beside it the SLO with every B-scan's position and the current
 * one highlighted (`GET /api/studies/{uid}/oct-slo/{sop}`; a click chooses a B-scan) and the ETDRS thickness map
 * from the eye's findings.
 */
import { useEffect, useState } from 'react';
import {
  fetchOctFluid,
  fetchOctLayers,
  fetchOctSlo,
  renderedUrl,
  type FindingView,
  type InstanceView,
  type OctFluidView,
  type OctLayersView,
  type OctSloView,
} from '../api.ts';
import { EtdrsMap } from './etdrs-map.tsx';
import { FluidLayer, fluidPixels, fluidTypes } from './fluid-layer.tsx';
import { OctLayerLegend, OctLayers } from './oct-layers.tsx';
import { SloView } from './slo-view.tsx';
import { ZoomPan } from './zoom-pan.tsx';

/**
 * Loads a view for the current arguments: undefined while loading, null when the gateway has none (404) or the
 * request failed, else the view. A stale answer (the arguments changed meanwhile) is dropped.
 */
function useLoaded<T>(load: () => Promise<T | undefined>, keys: readonly unknown[]): T | null | undefined {
  const [loaded, setLoaded] = useState<T | null | undefined>(undefined);
  useEffect(() => {
    let current = true;
    load().then(
      (value) => {
        if (current) {
          setLoaded(value ?? null);
        }
      },
      () => {
        if (current) {
          setLoaded(null);
        }
      },
    );
    return () => {
      current = false;
    };
    // The keys are the load's arguments: a new closure with the same arguments loads nothing again.
  }, keys);
  return loaded;
}

function frameList(frames: readonly number[]): string {
  return frames.length === 0 ? 'none' : `${frames.length} of the volume`;
}

/** The viewer of one OCT volume. */
export function OctViewer({
  studyInstanceUid,
  instance,
  eyeName,
  findings = [],
}: {
  readonly studyInstanceUid: string;
  readonly instance: InstanceView;
  readonly eyeName: string;
  /** The study's findings (the ETDRS map takes this volume's thickness findings). */
  readonly findings?: readonly FindingView[];
}) {
  const frames = Math.max(1, instance.numberOfFrames ?? 1);
  const [frame, setFrame] = useState(Math.ceil(frames / 2));
  const [showFluid, setShowFluid] = useState(true);
  const [showLayers, setShowLayers] = useState(true);
  const sop = instance.sopInstanceUid;
  const fluid = useLoaded<OctFluidView>(
    () => fetchOctFluid(studyInstanceUid, sop, frame),
    [studyInstanceUid, sop, frame],
  );
  const layers = useLoaded<OctLayersView>(
    () => fetchOctLayers(studyInstanceUid, sop, frame),
    [studyInstanceUid, sop, frame],
  );
  const slo = useLoaded<OctSloView>(() => fetchOctSlo(studyInstanceUid, sop), [studyInstanceUid, sop]);

  const shown = fluid !== null && fluid !== undefined && fluid.frame === frame ? fluid : undefined;
  const pixels = shown === undefined ? undefined : fluidPixels(shown);
  const shownLayers = layers !== null && layers !== undefined && layers.frame === frame ? layers : undefined;
  const eye = instance.eye === 'R' || instance.eye === 'L' ? instance.eye : undefined;
  return (
    <figure className="oct-viewer" data-testid="oct-viewer" data-eye={instance.eye}>
      {layers === null || layers === undefined ? null : (
        <div className="fluid-bar">
          <label className="toggle">
            <input
              type="checkbox"
              data-testid="layers-toggle"
              checked={showLayers}
              onChange={(event) => {
                setShowLayers(event.currentTarget.checked);
              }}
            />
            Show AI layer boundaries (AI-generated — verify, {layers.analyzer})
          </label>
          {showLayers ? <OctLayerLegend /> : null}
        </div>
      )}
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
      <div className="oct-views">
        <div className="oct-bscan-column">
          <ZoomPan label={`${eyeName}: OCT B-scan ${frame} of ${frames}`}>
            <img
              data-testid="oct-bscan"
              src={renderedUrl(instance.sopInstanceUid, frame, 1024)}
              alt={`${eyeName}: OCT B-scan ${frame} of ${frames}`}
              draggable={false}
            />
            {showFluid && shown !== undefined ? <FluidLayer view={shown} /> : null}
            {showLayers && shownLayers !== undefined ? <OctLayers view={shownLayers} /> : null}
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
        </div>
        <div className="oct-side">
          {slo === null || slo === undefined ? null : (
            <SloView view={slo} frame={frame} onFrame={setFrame} eyeName={eyeName} />
          )}
          {eye === undefined ? null : (
            <EtdrsMap findings={findings} eye={eye} sopInstanceUid={instance.sopInstanceUid} />
          )}
        </div>
      </div>
      <figcaption>{eyeName}</figcaption>
    </figure>
  );
}
