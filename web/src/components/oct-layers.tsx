/**
 * The AI's retinal layer boundaries on one OCT B-scan as an SVG layer in B-scan pixels (like the fluid layer): one
 * polyline per boundary segment from `GET /api/studies/{uid}/oct-layers/{sop}?frame=N`, in the legend's colours
 * (chosen apart from the fluid colours), and the legend.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010, the boundaries)
 */
import type { OctLayersView } from '../api.ts';

/** The boundaries the analysis keeps, their names and colours. */
export const layerStyles = [
  { layer: 'ILM', name: 'Inner limiting membrane', colour: '#ff4d4d' },
  { layer: 'OPL-ONL', name: 'Outer plexiform / outer nuclear layer', colour: '#3ddc84' },
  { layer: 'RPE', name: 'Retinal pigment epithelium (inner surface)', colour: '#ff9f1a' },
  { layer: 'BM', name: "Bruch's membrane", colour: '#5b8cff' },
] as const;

function colourOf(layer: string): string {
  return layerStyles.find((style) => style.layer === layer)?.colour ?? '#ffffff';
}

/** The layer lines over a B-scan. */
export function OctLayers({ view }: { readonly view: OctLayersView }) {
  return (
    <svg
      className="oct-layers"
      data-testid="oct-layers"
      data-frame={view.frame}
      viewBox={`0 0 ${view.columns} ${view.rows}`}
      preserveAspectRatio="none"
      aria-label="AI layer boundaries"
    >
      {view.layers.map(({ name, segments }) => (
        <g key={name} data-testid="oct-layer" data-layer={name} stroke={colourOf(name)}>
          {segments.map((segment) => (
            <polyline
              key={String(segment[0]?.[0])}
              fill="none"
              points={segment.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}
            />
          ))}
        </g>
      ))}
    </svg>
  );
}

/** The legend of the layer lines. */
export function OctLayerLegend() {
  return (
    <ul className="oct-layer-legend" data-testid="oct-layer-legend">
      {layerStyles.map(({ layer, name, colour }) => (
        <li key={layer}>
          <span className="line-swatch" style={{ background: colour }} />
          {layer} ({name})
        </li>
      ))}
    </ul>
  );
}
