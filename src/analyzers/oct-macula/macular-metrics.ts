/**
 * Macular metrics from a segmented volume: the foveal centre (the pit of the inner retina), the ETDRS grid
 * (1, 3 and 6 mm circles; superior, nasal, inferior, temporal sectors, nasal towards the disc, so mirrored
 * between right and left eyes), mean thickness per subfield, centre point thickness, CST and total volume,
 * and fluid volumes per subfield.
 * @see standards-reference §C.1 (ETDRS grid), §C.2 (CST), §C.5 (volumes from voxel spacing)
 */
import { parameters } from './parameters.ts';
import { layerIndex, layerNames, type LayerName } from './segment-bscan.ts';
import type { OctVolume, VolumeSegmentation } from './segment-volume.ts';

/** The nine ETDRS subfields: central, inner ring and outer ring by sector. */
export const etdrsSubfields = ['CSF', 'IS', 'IN', 'II', 'IT', 'OS', 'ON', 'OI', 'OT'] as const;

/** One ETDRS subfield. */
export type EtdrsSubfield = (typeof etdrsSubfields)[number];

/** The foveal centre in scan coordinates. */
export interface FoveaLocation {
  /** Fractional B-scan index and A-scan index. */
  readonly frame: number;
  readonly column: number;
  /** Scan-plane position (mm) from the scan centre: x to the image right, y inferior. */
  readonly xMm: number;
  readonly yMm: number;
}

/** Thickness figures between two boundaries. */
export interface EtdrsThickness {
  readonly inner: LayerName;
  readonly outer: LayerName;
  /** Mean thickness per subfield (µm); NaN for a subfield with no A-scan. */
  readonly subfields: Readonly<Record<EtdrsSubfield, number>>;
  /** A-scans per subfield. */
  readonly counts: Readonly<Record<EtdrsSubfield, number>>;
  /** Central subfield thickness (µm) = `subfields.CSF`. */
  readonly cstUm: number;
  /** Thickness at the A-scan nearest the foveal centre (µm). */
  readonly centralPointUm: number;
  /** Volume of the 6-mm disc (mm³), Σ thickness × A-scan area. */
  readonly totalVolumeMm3: number;
  /** Share of the 6-mm disc the scan covers (1 when the whole grid is inside the scan). */
  readonly gridCoverage: number;
}

/** Sampling of the scan plane. */
export interface ScanGeometry {
  readonly frames: number;
  readonly columns: number;
  readonly lateralSpacingMm: number;
  readonly frameSpacingMm: number;
  /** +1 when the image right is nasal (a right eye in the upright en-face view), −1 for a left eye. */
  readonly nasalSign: 1 | -1;
}

/** Scan-plane x (mm, from the scan centre) of A-scan `column`. */
export function columnMm(geometry: ScanGeometry, column: number): number {
  return (column + 0.5 - geometry.columns / 2) * geometry.lateralSpacingMm;
}

/** Scan-plane y (mm, from the scan centre, inferior positive) of B-scan `frame`. */
export function frameMm(geometry: ScanGeometry, frame: number): number {
  return (frame + 0.5 - geometry.frames / 2) * geometry.frameSpacingMm;
}

/**
 * The ETDRS subfield of a retinal position (mm from the fovea, x nasal, y inferior), or undefined outside the
 * 6-mm circle. Sector boundaries are the 45° diagonals.
 * @see standards-reference §C.1
 */
export function subfieldAt(x: number, y: number): EtdrsSubfield | undefined {
  const r = Math.hypot(x, y);
  if (r <= 0.5) {
    return 'CSF';
  }
  if (r > 3) {
    return undefined;
  }
  const ring = r <= 1.5 ? 'I' : 'O';
  const sector = Math.abs(y) > Math.abs(x) ? (y < 0 ? 'S' : 'I') : x > 0 ? 'N' : 'T';
  return `${ring}${sector}` as EtdrsSubfield;
}

/** The subfield of every A-scan (index into {@link etdrsSubfields}, −1 outside the grid). */
export function subfieldMap(geometry: ScanGeometry, fovea: FoveaLocation): Int8Array {
  const map = new Int8Array(geometry.frames * geometry.columns);
  for (let f = 0; f < geometry.frames; f++) {
    const y = frameMm(geometry, f) - fovea.yMm;
    for (let c = 0; c < geometry.columns; c++) {
      const x = geometry.nasalSign * (columnMm(geometry, c) - fovea.xMm);
      const subfield = subfieldAt(x, y);
      map[f * geometry.columns + c] = subfield === undefined ? -1 : etdrsSubfields.indexOf(subfield);
    }
  }
  return map;
}

function line(segmentation: VolumeSegmentation, frame: number, layer: number, column: number): number {
  return segmentation.boundaries[(frame * layerNames.length + layer) * segmentation.columns + column]!;
}

/**
 * The foveal centre: the pit of the inner retina (ILM to IPL/INL, which fluid in the nuclear layers does not
 * thicken), smoothed, searched near the scan centre, refined as the centroid of the lowest part.
 */
export function locateFovea(
  segmentation: VolumeSegmentation,
  geometry: ScanGeometry,
  axialSpacingMm: number,
): FoveaLocation {
  const { frames, columns } = geometry;
  const settings = parameters.fovea;
  const inner = new Float32Array(frames * columns);
  const radius = Math.max(1, Math.round(settings.smoothingMm / geometry.lateralSpacingMm));
  const raw = new Float32Array(columns);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < columns; c++) {
      raw[c] = line(segmentation, f, layerIndex['IPL-INL'], c) - line(segmentation, f, layerIndex.ILM, c);
    }
    for (let c = 0; c < columns; c++) {
      let sum = 0;
      let n = 0;
      for (let k = Math.max(0, c - radius); k <= Math.min(columns - 1, c + radius); k++) {
        sum += raw[k]!;
        n++;
      }
      inner[f * columns + c] = (sum / n) * axialSpacingMm * 1000;
    }
  }
  let best = Infinity;
  let bestFrame = frames >> 1;
  let bestColumn = columns >> 1;
  for (let f = 0; f < frames; f++) {
    const y = frameMm(geometry, f);
    for (let c = 0; c < columns; c++) {
      if (Math.hypot(columnMm(geometry, c), y) > settings.searchRadiusMm) {
        continue;
      }
      const value = inner[f * columns + c]!;
      if (value < best) {
        best = value;
        bestFrame = f;
        bestColumn = c;
      }
    }
  }
  const x0 = columnMm(geometry, bestColumn);
  const y0 = frameMm(geometry, bestFrame);
  let weight = 0;
  let sumX = 0;
  let sumY = 0;
  for (let f = 0; f < frames; f++) {
    const y = frameMm(geometry, f);
    if (Math.abs(y - y0) > settings.centroidRadiusMm) {
      continue;
    }
    for (let c = 0; c < columns; c++) {
      const x = columnMm(geometry, c);
      if (Math.hypot(x - x0, y - y0) > settings.centroidRadiusMm) {
        continue;
      }
      const w = best + settings.centroidUm - inner[f * columns + c]!;
      if (w > 0) {
        weight += w;
        sumX += w * x;
        sumY += w * y;
      }
    }
  }
  const xMm = weight > 0 ? sumX / weight : x0;
  const yMm = frames > 1 && weight > 0 ? sumY / weight : y0;
  return {
    xMm,
    yMm,
    column: xMm / geometry.lateralSpacingMm + columns / 2 - 0.5,
    frame: frames > 1 ? yMm / geometry.frameSpacingMm + frames / 2 - 0.5 : 0,
  };
}

/** Mean thickness between two boundaries per ETDRS subfield, centre point thickness, CST, total volume. */
export function etdrsThickness(
  segmentation: VolumeSegmentation,
  geometry: ScanGeometry,
  fovea: FoveaLocation,
  subfields: Int8Array,
  axialSpacingMm: number,
  inner: LayerName,
  outer: LayerName,
): EtdrsThickness {
  const { frames, columns } = geometry;
  const sums = new Float64Array(etdrsSubfields.length);
  const counts = new Int32Array(etdrsSubfields.length);
  const umPerRow = axialSpacingMm * 1000;
  const area = geometry.lateralSpacingMm * geometry.frameSpacingMm;
  let volume = 0;
  let nearest = Infinity;
  let centralPoint = Number.NaN;
  let inside = 0;
  for (let f = 0; f < frames; f++) {
    const y = frameMm(geometry, f) - fovea.yMm;
    for (let c = 0; c < columns; c++) {
      const thickness =
        (line(segmentation, f, layerIndex[outer], c) - line(segmentation, f, layerIndex[inner], c)) *
        umPerRow;
      const r = Math.hypot(columnMm(geometry, c) - fovea.xMm, y);
      if (r < nearest) {
        nearest = r;
        centralPoint = thickness;
      }
      const s = subfields[f * columns + c]!;
      if (s < 0) {
        continue;
      }
      sums[s] = sums[s]! + thickness;
      counts[s] = counts[s]! + 1;
      volume += (thickness / 1000) * area;
      inside++;
    }
  }
  const mean = Object.fromEntries(
    etdrsSubfields.map((name, i) => [name, counts[i]! > 0 ? sums[i]! / counts[i]! : Number.NaN]),
  ) as Record<EtdrsSubfield, number>;
  const countOf = Object.fromEntries(etdrsSubfields.map((name, i) => [name, counts[i]!])) as Record<
    EtdrsSubfield,
    number
  >;
  return {
    inner,
    outer,
    subfields: mean,
    counts: countOf,
    cstUm: mean.CSF,
    centralPointUm: centralPoint,
    totalVolumeMm3: volume,
    gridCoverage: Math.min(1, (inside * area) / (Math.PI * 9)),
  };
}

/** Fluid volume (mm³) of each label per ETDRS subfield, plus outside the grid. */
export function fluidBySubfield(
  labels: Uint8Array,
  volume: OctVolume,
  subfields: Int8Array,
): { readonly label: number; readonly subfield: EtdrsSubfield | 'outside'; readonly volumeMm3: number }[] {
  const { frames, rows, columns } = volume;
  const counts = new Float64Array(4 * (etdrsSubfields.length + 1));
  for (let f = 0; f < frames; f++) {
    const offset = f * rows * columns;
    for (let r = 0; r < rows; r++) {
      const base = offset + r * columns;
      for (let c = 0; c < columns; c++) {
        const label = labels[base + c]!;
        if (label === 0) {
          continue;
        }
        const s = subfields[f * columns + c]!;
        const slot = s < 0 ? etdrsSubfields.length : s;
        counts[label * (etdrsSubfields.length + 1) + slot]! += 1;
      }
    }
  }
  const voxel = volume.axialSpacingMm * volume.lateralSpacingMm * volume.frameSpacingMm;
  const out: { label: number; subfield: EtdrsSubfield | 'outside'; volumeMm3: number }[] = [];
  for (let label = 1; label <= 3; label++) {
    for (let slot = 0; slot <= etdrsSubfields.length; slot++) {
      out.push({
        label,
        subfield: slot === etdrsSubfields.length ? 'outside' : etdrsSubfields[slot]!,
        volumeMm3: counts[label * (etdrsSubfields.length + 1) + slot]! * voxel,
      });
    }
  }
  return out;
}

/**
 * Thickness between two boundaries at every A-scan (µm), frames × columns, row-major: the thickness map
 * behind the ETDRS figures (the same per-A-scan values {@link etdrsThickness} averages).
 * @see standards-reference §C.2 (thickness between boundaries; ILM→BM as Spectralis, CID 4262 111929)
 */
export function thicknessMapUm(
  segmentation: VolumeSegmentation,
  axialSpacingMm: number,
  inner: LayerName,
  outer: LayerName,
): Float32Array {
  const { frames, columns } = segmentation;
  const map = new Float32Array(frames * columns);
  const umPerRow = axialSpacingMm * 1000;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < columns; c++) {
      map[f * columns + c] =
        (line(segmentation, f, layerIndex[outer], c) - line(segmentation, f, layerIndex[inner], c)) *
        umPerRow;
    }
  }
  return map;
}

/** A thickness map averaged over cells of a few B-scans × a few A-scans (small enough to keep in raw). */
export interface ThicknessGrid {
  readonly inner: LayerName;
  readonly outer: LayerName;
  /** Cells: `rows` along the B-scans (row 0 holds the first B-scans), `columns` along each B-scan. */
  readonly rows: number;
  readonly columns: number;
  readonly framesPerCell: number;
  readonly aScansPerCell: number;
  readonly cellHeightMm: number;
  readonly cellWidthMm: number;
  /** Mean thickness per cell (µm), row-major; the last row and column may cover fewer B-scans or A-scans. */
  readonly valuesUm: Float64Array;
}

/**
 * Averages a per-A-scan thickness map into at most `maxCells` × `maxCells` cells that are about square on the
 * retina: B-scans are grouped first (never split), then A-scans are grouped to the same width in mm.
 */
export function thicknessGrid(
  map: Float32Array,
  geometry: ScanGeometry,
  inner: LayerName,
  outer: LayerName,
  maxCells = 32,
): ThicknessGrid {
  const { frames, columns } = geometry;
  const framesPerCell = Math.max(1, Math.ceil(frames / maxCells));
  const cellHeightMm = framesPerCell * geometry.frameSpacingMm;
  const aScansPerCell = Math.max(
    Math.ceil(columns / maxCells),
    Math.round(cellHeightMm / geometry.lateralSpacingMm),
    1,
  );
  const rows = Math.ceil(frames / framesPerCell);
  const gridColumns = Math.ceil(columns / aScansPerCell);
  const sums = new Float64Array(rows * gridColumns);
  const counts = new Int32Array(rows * gridColumns);
  for (let f = 0; f < frames; f++) {
    const row = Math.floor(f / framesPerCell);
    for (let c = 0; c < columns; c++) {
      const value = map[f * columns + c]!;
      if (!Number.isFinite(value)) {
        continue;
      }
      const cell = row * gridColumns + Math.floor(c / aScansPerCell);
      sums[cell] = sums[cell]! + value;
      counts[cell] = counts[cell]! + 1;
    }
  }
  const valuesUm = new Float64Array(sums.length);
  for (let i = 0; i < sums.length; i++) {
    valuesUm[i] = counts[i]! > 0 ? sums[i]! / counts[i]! : Number.NaN;
  }
  return {
    inner,
    outer,
    rows,
    columns: gridColumns,
    framesPerCell,
    aScansPerCell,
    cellHeightMm,
    cellWidthMm: aScansPerCell * geometry.lateralSpacingMm,
    valuesUm,
  };
}
