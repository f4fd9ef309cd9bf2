/**
 * The compact layer lines the raw output keeps per OCT volume for the review station's B-scan overlay: a few
 * boundaries (ILM, OPL/ONL, RPE, BM) on every B-scan, sampled every 4th A-scan (and the last), as integer rows in
 * tenths of a pixel. About 100 kB of JSON for a 49 × 496 × 512 cube; `fovea analyze --detail` keeps every
 * boundary at every A-scan.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010, the boundaries' definition; standards-reference §D.1)
 */
import { layerNames, type LayerName } from './segment-bscan.ts';
import type { VolumeSegmentation } from './segment-volume.ts';

/** The boundaries kept for the viewer: the retina's inner and outer limits and the two the fluid lies between. */
export const rawLayerNames: readonly LayerName[] = ['ILM', 'OPL-ONL', 'RPE', 'BM'];

/** Every this many A-scans one sample (the last A-scan is always kept, so a line spans the B-scan). */
export const rawLayerStep = 4;

/** Layer lines as the raw output keeps them. */
export interface RawLayerLines {
  readonly encoding: 'rows-x10/1';
  readonly rowOrigin: string;
  /** 0-based A-scan (column) of each sample. */
  readonly aScans: readonly number[];
  /** Per layer, per B-scan (frame 1 first), the boundary row × 10 at each sample; null where there is none. */
  readonly layers: Readonly<Record<string, readonly (readonly (number | null)[])[]>>;
}

/** The A-scans sampled for a B-scan of `columns` A-scans. */
export function sampledAScans(columns: number, step = rawLayerStep): number[] {
  const out: number[] = [];
  for (let column = 0; column < columns; column += step) {
    out.push(column);
  }
  if (columns > 0 && out.at(-1) !== columns - 1) {
    out.push(columns - 1);
  }
  return out;
}

/** The compact layer lines of a segmented volume (see {@link RawLayerLines}). */
export function layerLinesOf(segmentation: VolumeSegmentation): RawLayerLines {
  const { frames, columns, boundaries } = segmentation;
  const aScans = sampledAScans(columns);
  const layers: Record<string, (number | null)[][]> = {};
  for (const name of rawLayerNames) {
    const layer = layerNames.indexOf(name);
    const perFrame: (number | null)[][] = [];
    for (let frame = 0; frame < frames; frame++) {
      const start = (frame * layerNames.length + layer) * columns;
      perFrame.push(
        aScans.map((column) => {
          const row = boundaries[start + column]!;
          return Number.isFinite(row) ? Math.round(row * 10) : null;
        }),
      );
    }
    layers[name] = perFrame;
  }
  return {
    encoding: 'rows-x10/1',
    rowOrigin: 'top edge of the first pixel row (a boundary at 10.0 lies between pixel rows 9 and 10)',
    aScans,
    layers,
  };
}
