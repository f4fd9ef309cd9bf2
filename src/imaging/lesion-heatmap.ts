/**
 * The lesion-likelihood heatmap of a colour fundus photograph: a smooth map in [0, 1] made from the lesions an
 * analyzer found (centre, radius, confidence), its pseudo-colour, and the photograph blended with it. Pure and
 * fast: the map is computed on a coarse grid (longer side at most 256 cells) and sampled bilinearly, so a
 * 2000 × 2000 photograph is blended in tens of milliseconds. The pipeline writes the blend as a derived image
 * (`docs/conformance/dicom.md` §8.7) and the API serves the colour map as a transparent PNG for the review
 * station; both take the lesions from the same analysis with {@link heatmapLesionsOf}.
 *
 * Each lesion contributes a Gaussian bump, `confidence · exp(−d² / 2σ²)` with σ = max(radius, 2 % of the
 * photograph's longer side), cut off at 3σ; the bumps combine as independent detections,
 * `1 − Π(1 − bumpᵢ)`, so a value is a likelihood (a single lesion peaks at its confidence, overlapping lesions
 * raise it towards 1, nothing is rescaled per image) and the map is exactly zero away from every lesion.
 */
import type { AnalysisRecord, Finding } from '../core/finding.ts';

/** A lesion in source pixels (zero-based column and row of its centre pixel). */
export interface HeatmapLesion {
  readonly x: number;
  readonly y: number;
  /** Radius in source pixels. */
  readonly radius: number;
  /** 0…1. */
  readonly confidence: number;
}

/** A lesion-likelihood map on a coarse grid over a photograph of `columns` × `rows` pixels. */
export interface LesionHeatmap {
  readonly columns: number;
  readonly rows: number;
  /** Grid size. */
  readonly width: number;
  readonly height: number;
  /** Source pixels per grid cell (the same along both axes). */
  readonly cell: number;
  /** Likelihood per cell, row-major, 0…1. */
  readonly data: Float32Array;
}

/** The longest side of the coarse grid. */
export const heatmapGridSize = 256;

/** The smallest Gaussian sigma as a share of the photograph's longer side (a microaneurysm is a few pixels). */
export const heatmapMinSigmaShare = 0.02;

/** Below this likelihood the colour map is transparent (and the blend shows the photograph unchanged). */
export const heatmapVisibleFrom = 0.05;

/** The strongest opacity of the colour over the photograph. */
export const heatmapMaxOpacity = 0.7;

/**
 * Computes the lesion-likelihood map of a photograph.
 * @param lesions positions in source pixels; lesions outside the image still warm its edge
 */
export function computeLesionHeatmap(
  lesions: readonly HeatmapLesion[],
  columns: number,
  rows: number,
  gridSize = heatmapGridSize,
): LesionHeatmap {
  const longer = Math.max(columns, rows);
  const cell = Math.max(1, longer / gridSize);
  const width = Math.max(1, Math.ceil(columns / cell));
  const height = Math.max(1, Math.ceil(rows / cell));
  // Σ log(1 − bump) per cell; the likelihood is 1 − exp(Σ).
  const logMiss = new Float64Array(width * height);
  const minSigma = heatmapMinSigmaShare * longer;
  for (const lesion of lesions) {
    const confidence = Math.min(0.999, Math.max(0, lesion.confidence));
    if (!(confidence > 0) || !Number.isFinite(lesion.x) || !Number.isFinite(lesion.y)) {
      continue;
    }
    const sigma = Math.max(Number.isFinite(lesion.radius) ? lesion.radius : 0, minSigma);
    const reach = 3 * sigma;
    const inverse = 1 / (2 * sigma * sigma);
    // Cell (i, j) covers source pixels [i·cell, (i+1)·cell); its centre in pixel-index coordinates:
    const centreOf = (index: number): number => (index + 0.5) * cell - 0.5;
    const i0 = Math.max(0, Math.floor((lesion.x - reach + 0.5) / cell));
    const i1 = Math.min(width - 1, Math.ceil((lesion.x + reach + 0.5) / cell));
    const j0 = Math.max(0, Math.floor((lesion.y - reach + 0.5) / cell));
    const j1 = Math.min(height - 1, Math.ceil((lesion.y + reach + 0.5) / cell));
    for (let j = j0; j <= j1; j++) {
      const dy = centreOf(j) - lesion.y;
      for (let i = i0; i <= i1; i++) {
        const dx = centreOf(i) - lesion.x;
        const d2 = dx * dx + dy * dy;
        if (d2 <= reach * reach) {
          logMiss[j * width + i]! += Math.log1p(-confidence * Math.exp(-d2 * inverse));
        }
      }
    }
  }
  const data = new Float32Array(width * height);
  for (let k = 0; k < data.length; k++) {
    data[k] = logMiss[k] === 0 ? 0 : 1 - Math.exp(logMiss[k]!);
  }
  return { columns, rows, width, height, cell, data };
}

/** The likelihood at a source pixel (zero-based column and row), bilinear between grid cell centres. */
export function sampleLesionHeatmap(map: LesionHeatmap, column: number, row: number): number {
  const gx = Math.min(map.width - 1, Math.max(0, (column + 0.5) / map.cell - 0.5));
  const gy = Math.min(map.height - 1, Math.max(0, (row + 0.5) / map.cell - 0.5));
  const x0 = Math.floor(gx);
  const y0 = Math.floor(gy);
  const x1 = Math.min(map.width - 1, x0 + 1);
  const y1 = Math.min(map.height - 1, y0 + 1);
  const fx = gx - x0;
  const fy = gy - y0;
  const d = map.data;
  const top = d[y0 * map.width + x0]! * (1 - fx) + d[y0 * map.width + x1]! * fx;
  const bottom = d[y1 * map.width + x0]! * (1 - fx) + d[y1 * map.width + x1]! * fx;
  return top * (1 - fy) + bottom * fy;
}

/**
 * The pseudo-colour ramp, low to high likelihood: blue, cyan, yellow, white. It ends in white rather than the
 * usual red because a fundus is red-orange: red marks would vanish on it, bright yellow and white do not.
 */
const colourStops: readonly (readonly [number, number, number, number])[] = [
  [0, 0x20, 0x50, 0xff],
  [0.35, 0x00, 0xe0, 0xff],
  [0.7, 0xff, 0xe6, 0x00],
  [1, 0xff, 0xff, 0xff],
];

/** 256 RGBA entries: the colour and opacity of each likelihood level. */
const colourTable: Uint8Array = (() => {
  const table = new Uint8Array(256 * 4);
  for (let level = 0; level < 256; level++) {
    const v = level / 255;
    let stop = 1;
    while (stop < colourStops.length - 1 && colourStops[stop]![0] < v) {
      stop++;
    }
    const [v0, r0, g0, b0] = colourStops[stop - 1]!;
    const [v1, r1, g1, b1] = colourStops[stop]!;
    const f = Math.min(1, Math.max(0, (v - v0) / (v1 - v0)));
    const t = Math.min(1, Math.max(0, (v - heatmapVisibleFrom) / (0.5 - heatmapVisibleFrom)));
    const opacity = v < heatmapVisibleFrom ? 0 : heatmapMaxOpacity * (0.25 + 0.75 * t * t * (3 - 2 * t));
    table[level * 4] = Math.round(r0 + (r1 - r0) * f);
    table[level * 4 + 1] = Math.round(g0 + (g1 - g0) * f);
    table[level * 4 + 2] = Math.round(b0 + (b1 - b0) * f);
    table[level * 4 + 3] = Math.round(255 * opacity);
  }
  return table;
})();

/** The colour (sRGB) and opacity (0…255) the heatmap gives a likelihood. */
export function heatmapColour(likelihood: number): readonly [number, number, number, number] {
  const level = Math.round(Math.min(1, Math.max(0, likelihood)) * 255) * 4;
  return [colourTable[level]!, colourTable[level + 1]!, colourTable[level + 2]!, colourTable[level + 3]!];
}

/** Grid coordinate lookups for one output axis: for each output pixel, two cells and the weight of the second. */
function axisLookup(
  size: number,
  sourceSize: number,
  cells: number,
  cell: number,
): { a: Int32Array; b: Int32Array; f: Float32Array } {
  const a = new Int32Array(size);
  const b = new Int32Array(size);
  const f = new Float32Array(size);
  for (let k = 0; k < size; k++) {
    const source = ((k + 0.5) * sourceSize) / size - 0.5;
    const g = Math.min(cells - 1, Math.max(0, (source + 0.5) / cell - 0.5));
    a[k] = Math.floor(g);
    b[k] = Math.min(cells - 1, a[k]! + 1);
    f[k] = g - a[k]!;
  }
  return { a, b, f };
}

/** Calls `visit(index, level)` for every pixel of a `width` × `height` rendering of the map (level 0…255). */
function forEachLevel(
  map: LesionHeatmap,
  width: number,
  height: number,
  visit: (index: number, level: number) => void,
): void {
  const xs = axisLookup(width, map.columns, map.width, map.cell);
  const ys = axisLookup(height, map.rows, map.height, map.cell);
  const d = map.data;
  for (let y = 0; y < height; y++) {
    const top = ys.a[y]! * map.width;
    const bottom = ys.b[y]! * map.width;
    const fy = ys.f[y]!;
    for (let x = 0; x < width; x++) {
      const fx = xs.f[x]!;
      const xa = xs.a[x]!;
      const xb = xs.b[x]!;
      const upper = d[top + xa]! + (d[top + xb]! - d[top + xa]!) * fx;
      const lower = d[bottom + xa]! + (d[bottom + xb]! - d[bottom + xa]!) * fx;
      const value = upper + (lower - upper) * fy;
      visit(y * width + x, value <= 0 ? 0 : Math.round(Math.min(1, value) * 255));
    }
  }
}

/**
 * The colour map alone as interleaved RGBA (`width` × `height`, any size: the map is stretched over the whole
 * photograph), transparent where the likelihood is below {@link heatmapVisibleFrom}; what the review station
 * lays over the photograph it already shows.
 */
export function renderLesionHeatmapRgba(map: LesionHeatmap, width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  forEachLevel(map, width, height, (index, level) => {
    if (level === 0) {
      return;
    }
    rgba.set(colourTable.subarray(level * 4, level * 4 + 4), index * 4);
  });
  return rgba;
}

/**
 * The photograph (interleaved 8-bit RGB, the map's `columns` × `rows`) with the colour map blended over it at
 * the map's opacity; a new array, the photograph's pixels unchanged where the likelihood is below
 * {@link heatmapVisibleFrom}. What a PACS viewer without overlay support shows: the lesions in their context.
 */
export function blendLesionHeatmap(map: LesionHeatmap, rgb: Uint8Array): Uint8Array {
  if (rgb.length !== map.columns * map.rows * 3) {
    throw new RangeError(`expected ${map.columns * map.rows * 3} RGB bytes, got ${rgb.length}`);
  }
  const out = new Uint8Array(rgb);
  forEachLevel(map, map.columns, map.rows, (index, level) => {
    const alpha = colourTable[level * 4 + 3]!;
    if (alpha === 0) {
      return;
    }
    const keep = 255 - alpha;
    for (let c = 0; c < 3; c++) {
      const at = index * 3 + c;
      out[at] = Math.round((rgb[at]! * keep + colourTable[level * 4 + c]! * alpha) / 255);
    }
  });
  return out;
}

/** The lesion type of a region finding key (`lesions-<type>`), if it is one. */
function lesionTypeOf(finding: Finding): string | undefined {
  return finding.key.startsWith('lesions-') ? finding.key.slice('lesions-'.length) : undefined;
}

/** The raw lesions of one photograph (`raw.images[].analysis.lesions`, dr-screening's shape), by type. */
function rawLesions(raw: unknown, sopInstanceUid: string): Map<string, HeatmapLesion[]> {
  const byType = new Map<string, HeatmapLesion[]>();
  const images = (raw as { images?: unknown } | null | undefined)?.images;
  if (!Array.isArray(images)) {
    return byType;
  }
  for (const image of images as Record<string, unknown>[]) {
    const lesions = (image.analysis as { lesions?: unknown } | undefined)?.lesions;
    if (image.sopInstanceUid !== sopInstanceUid || !Array.isArray(lesions)) {
      continue;
    }
    for (const lesion of lesions as Record<string, unknown>[]) {
      const [x, y, radius, confidence] = [lesion.x, lesion.y, lesion.radius, lesion.confidence].map(Number);
      if (typeof lesion.type === 'string' && [x, y, radius, confidence].every(Number.isFinite)) {
        const list = byType.get(lesion.type) ?? [];
        list.push({ x: x!, y: y!, radius: radius!, confidence: confidence! });
        byType.set(lesion.type, list);
      }
    }
  }
  return byType;
}

/**
 * The lesions of an analysis on one photograph, for its heatmap: the positions of its point-like region findings
 * on that photograph (rejected findings left out, so a reviewed analysis gives the reviewed heatmap), each with
 * the radius and confidence the analyzer's raw output gives the lesion at that position (dr-screening's
 * `raw.images[].analysis.lesions`), else the finding's confidence (0.5 without one) and the smallest radius.
 */
export function heatmapLesionsOf(analysis: AnalysisRecord, sopInstanceUid: string): HeatmapLesion[] {
  const raw = rawLesions(analysis.raw, sopInstanceUid);
  const lesions: HeatmapLesion[] = [];
  for (const finding of analysis.findings) {
    const value = finding.value;
    if (
      value.kind !== 'region' ||
      value.sopInstanceUid !== sopInstanceUid ||
      (value.frame ?? 1) !== 1 ||
      (value.graphicType !== 'MULTIPOINT' && value.graphicType !== 'POINT') ||
      finding.status === 'rejected'
    ) {
      continue;
    }
    const candidates = raw.get(lesionTypeOf(finding) ?? '') ?? [];
    for (let i = 0; i + 1 < value.points.length; i += 2) {
      const x = value.points[i]!;
      const y = value.points[i + 1]!;
      let best: HeatmapLesion | undefined;
      let bestDistance = 1;
      for (const candidate of candidates) {
        const distance = Math.hypot(candidate.x - x, candidate.y - y);
        if (distance <= bestDistance) {
          best = candidate;
          bestDistance = distance;
        }
      }
      lesions.push({
        x,
        y,
        radius: best?.radius ?? 0,
        confidence: best?.confidence ?? value.confidence ?? 0.5,
      });
    }
  }
  return lesions;
}
