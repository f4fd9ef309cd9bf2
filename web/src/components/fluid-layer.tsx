/**
 * The AI's fluid on one OCT B-scan as an SVG layer in source pixels (like the lesion marks): one path per fluid
 * type built from the mask's horizontal runs, translucent, in the colours of the legend.
 */
import type { OctFluidView } from '../api.ts';

/** The fluid types, their names and colours. */
export const fluidTypes = [
  { fluid: 'IRF', name: 'Intraretinal fluid', colour: '#00d5ff' },
  { fluid: 'SRF', name: 'Subretinal fluid', colour: '#ffd400' },
  { fluid: 'PED', name: 'Pigment epithelial detachment', colour: '#ff3df2' },
] as const;

/** The pixels of each fluid type on the frame. */
export function fluidPixels(view: OctFluidView): Record<'IRF' | 'SRF' | 'PED', number> {
  const pixels = { IRF: 0, SRF: 0, PED: 0 };
  for (const run of view.runs) {
    pixels[run.fluid] += run.length;
  }
  return pixels;
}

/** The fluid layer over a B-scan. */
export function FluidLayer({ view }: { readonly view: OctFluidView }) {
  const pixels = fluidPixels(view);
  return (
    <svg
      className="fluid-layer"
      data-testid="fluid-layer"
      data-frame={view.frame}
      viewBox={`0 0 ${view.columns} ${view.rows}`}
      preserveAspectRatio="none"
      aria-label="AI fluid"
    >
      {fluidTypes.map(({ fluid, colour }) => {
        const runs = view.runs.filter((run) => run.fluid === fluid);
        return runs.length === 0 ? null : (
          <path
            key={fluid}
            data-testid="fluid-path"
            data-fluid={fluid}
            data-pixels={pixels[fluid]}
            fill={colour}
            fillOpacity={0.45}
            shapeRendering="crispEdges"
            d={runs.map((run) => `M${run.column} ${run.row}h${run.length}v1h${-run.length}z`).join('')}
          />
        );
      })}
    </svg>
  );
}
