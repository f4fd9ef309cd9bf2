/**
 * Fluid segmentation from the layer positions (no deep learning): hyporeflective voxels inside the
 * neurosensory retina are intraretinal fluid (IRF), between the photoreceptors and the RPE subretinal fluid
 * (SRF), and between a lifted RPE and Bruch's membrane a pigment-epithelial detachment (PED). Intensities
 * are linearised (inverse fourth root) and divided by the A-scan's RPE brightness, which cancels vessel
 * shadows and depth roll-off before the threshold. Labels as RETOUCH: 1 IRF, 2 SRF, 3 PED.
 * @see standards-reference §C.4 (fluid types), §D.3 (threshold + morphology recipe)
 */
import { linearOfDisplay, smoothPlane } from '../../imaging/index.ts';
import { parameters } from './parameters.ts';
import { layerIndex, layerNames } from './segment-bscan.ts';
import type { OctVolume, VolumeSegmentation } from './segment-volume.ts';

/** Voxel labels of the fluid mask (as in RETOUCH). */
export const fluidLabels = { none: 0, irf: 1, srf: 2, ped: 3 } as const;

/** A fluid compartment. */
export type FluidKind = 'irf' | 'srf' | 'ped';

/** The fluid mask of a volume. */
export interface FluidSegmentation {
  /** frame × rows × columns labels (0 none, 1 IRF, 2 SRF, 3 PED). */
  readonly labels: Uint8Array;
  /** Voxel counts per kind. */
  readonly voxels: Readonly<Record<FluidKind, number>>;
  /** Largest height of each kind in one A-scan (µm). */
  readonly maxHeightUm: Readonly<Record<FluidKind, number>>;
}

/** Segments IRF, SRF and PED in a volume whose layers are known. */
export function segmentFluid(volume: OctVolume, segmentation: VolumeSegmentation): FluidSegmentation {
  const { frames, rows, columns, voxels } = volume;
  const layers = layerNames.length;
  const umPerRow = volume.axialSpacingMm * 1000;
  const settings = parameters.fluid;
  const labels = new Uint8Array(frames * rows * columns);
  const plane = new Float32Array(rows * columns);
  const fine = new Float32Array(rows * columns);
  const temp = new Float32Array(rows * columns);
  const flat = new Float32Array(rows * columns);
  const flatThin = new Float32Array(rows * columns);
  const thin = new Float32Array(rows * columns);
  const shift = new Int32Array(columns);
  const stack = new Int32Array(rows * columns);
  const members = new Int32Array(rows * columns);
  const sums = new Float32Array(columns);
  const reference = new Float32Array(columns);
  const smoothReference = new Float32Array(columns);
  const heights = new Float32Array(3);
  const maxHeight = [0, 0, 0];
  const counts = [0, 0, 0, 0];
  const rpeRows = settings.rpeThicknessUm / umPerRow;
  const [smoothRows, smoothColumns] = settings.smoothing;
  const [fineRows, fineColumns] = settings.fineSmoothing;
  const [thinRows, thinColumns] = settings.thinSmoothing;
  const edgeColumns = 2 * smoothColumns;
  for (let f = 0; f < frames; f++) {
    const frameOffset = f * rows * columns;
    const line = (layer: number, c: number): number =>
      segmentation.boundaries[(f * layers + layer) * columns + c]!;
    // Only the rows from just above the ILM to just below the RPE band are needed.
    let top = rows;
    let bottom = 0;
    for (let c = 0; c < columns; c++) {
      top = Math.min(top, line(layerIndex.ILM, c));
      bottom = Math.max(bottom, line(layerIndex.BM, c), line(layerIndex.RPE, c) + 8);
    }
    const firstCropRow = Math.max(0, Math.floor(top) - 6);
    const endCropRow = Math.min(rows, Math.ceil(bottom) + 6);
    const cropRows = endCropRow - firstCropRow;
    const start = firstCropRow * columns;
    const end = endCropRow * columns;
    for (let i = start; i < end; i++) {
      plane[i] = linearOfDisplay[voxels[frameOffset + i]!]!;
    }
    fine.set(plane.subarray(start, end), start);
    smoothPlane(fine.subarray(start, end), temp, sums, cropRows, columns, fineRows, fineColumns);
    // The strong smoothing runs along the layers (the B-scan flattened to the ILM): across A-scans on a
    // steep slope (the retina over a tall dome) it would mix a cyst with the tissue beside it.
    let flatRows = 0;
    for (let c = 0; c < columns; c++) {
      shift[c] = Math.round(line(layerIndex.ILM, c)) - 6;
      flatRows = Math.max(flatRows, endCropRow - shift[c]!);
    }
    flatRows = Math.min(rows, flatRows);
    for (let r = 0; r < flatRows; r++) {
      for (let c = 0; c < columns; c++) {
        const source = Math.max(firstCropRow, Math.min(endCropRow - 1, r + shift[c]!));
        flat[r * columns + c] = plane[source * columns + c]!;
      }
    }
    flatThin.set(flat.subarray(0, flatRows * columns));
    smoothPlane(flat, temp, sums, flatRows, columns, smoothRows, smoothColumns);
    smoothPlane(flatThin, temp, sums, flatRows, columns, thinRows, thinColumns);
    for (let r = firstCropRow; r < endCropRow; r++) {
      for (let c = 0; c < columns; c++) {
        const at = r - shift[c]!;
        const i = r * columns + c;
        if (at >= 0 && at < flatRows) {
          plane[i] = flat[at * columns + c]!;
          thin[i] = flatThin[at * columns + c]!;
        } else {
          thin[i] = plane[i]!;
        }
      }
    }
    // The A-scan's RPE brightness: the brightest smoothed sample just below the inner RPE surface.
    for (let c = 0; c < columns; c++) {
      const top = Math.max(0, Math.floor(line(layerIndex.RPE, c)));
      let best = 0;
      for (let r = top; r < Math.min(rows, top + 6); r++) {
        best = Math.max(best, plane[r * columns + c]!);
      }
      reference[c] = best;
    }
    const radius = 7;
    for (let c = 0; c < columns; c++) {
      let sum = 0;
      let n = 0;
      for (let k = Math.max(0, c - radius); k <= Math.min(columns - 1, c + radius); k++) {
        sum += reference[k]!;
        n++;
      }
      smoothReference[c] = Math.max(1e-6, sum / n);
    }
    for (let c = 0; c < columns; c++) {
      const threshold = settings.darkRatio * smoothReference[c]!;
      const thinThreshold = settings.thinDarkRatio * smoothReference[c]!;
      const fineThreshold = settings.fineDarkRatio * smoothReference[c]!;
      const ilm = line(layerIndex.ILM, c);
      const elm = line(layerIndex.ELM, c);
      const ez = line(layerIndex.EZ, c);
      const rpe = line(layerIndex.RPE, c);
      const bm = line(layerIndex.BM, c);
      heights.fill(0);
      // Voxel row r is inside [top, bottom) when its centre r + 0.5 is.
      const firstRow = (top: number): number => Math.max(0, Math.ceil(top - 0.5));
      const lastRow = (bottom: number): number => Math.min(rows - 1, Math.ceil(bottom - 0.5) - 1);
      // Within the strong smoothing's reach of the B-scan's side edges its window is one-sided: no seeds there.
      const irfEnd = c < edgeColumns || c >= columns - edgeColumns ? -1 : lastRow(Math.min(elm, ez) - 1);
      for (let r = firstRow(ilm + 2); r <= irfEnd; r++) {
        if (plane[r * columns + c]! < threshold || thin[r * columns + c]! < thinThreshold) {
          labels[frameOffset + r * columns + c] = fluidLabels.irf;
          heights[0] = heights[0]! + 1;
        }
      }
      // Over fluid the inner RPE surface is a clean dark-to-light step, which needs the ILM's offset, not the
      // RPE's (calibrated where the interdigitation zone lies on the RPE).
      const rpeUnderFluid = rpe - parameters.offsets.RPE + parameters.offsets.bmUnderFluid;
      let srfTop = -1;
      for (let r = firstRow(ez + 2); r <= lastRow(rpeUnderFluid); r++) {
        if (fine[r * columns + c]! < fineThreshold) {
          srfTop = r;
          break;
        }
      }
      if (srfTop >= 0) {
        // Fluid reaches down to the RPE: the rows the threshold misses there are partial-volume rows.
        for (let r = srfTop; r <= lastRow(rpeUnderFluid); r++) {
          labels[frameOffset + r * columns + c] = fluidLabels.srf;
          heights[1] = heights[1]! + 1;
        }
      }
      const pedTop = (srfTop >= 0 ? rpeUnderFluid : rpe) + rpeRows;
      if (segmentation.elevated[f * columns + c] === 1 && bm - pedTop >= settings.minHeightRows) {
        for (let r = firstRow(pedTop); r <= lastRow(bm); r++) {
          labels[frameOffset + r * columns + c] = fluidLabels.ped;
          heights[2] = heights[2]! + 1;
        }
      }
      // The partial-volume row under the bright photoreceptor tips is fluid when it is below half their peak.
      if (heights[1]! > 0) {
        let top = firstRow(ez + 2);
        while (top < rows && labels[frameOffset + top * columns + c] !== fluidLabels.srf) {
          top++;
        }
        const above = top - 1;
        if (above >= 2 && labels[frameOffset + above * columns + c] === 0) {
          const peak = Math.max(fine[(above - 1) * columns + c]!, fine[(above - 2) * columns + c]!);
          if (fine[above * columns + c]! < settings.srfEdgeShare * peak) {
            labels[frameOffset + above * columns + c] = fluidLabels.srf;
            heights[1] = heights[1]! + 1;
          }
        }
      }
      if (heights[1]! < settings.minSrfRows) {
        for (let r = firstRow(ez + 2); r <= lastRow(rpe); r++) {
          if (labels[frameOffset + r * columns + c] === fluidLabels.srf) {
            labels[frameOffset + r * columns + c] = 0;
          }
        }
        heights[1] = 0;
      }
      for (let k = 0; k < 3; k++) {
        counts[k + 1] = counts[k + 1]! + heights[k]!;
        maxHeight[k] = Math.max(maxHeight[k]!, heights[k]! * umPerRow);
      }
    }
    counts[1] =
      counts[1]! +
      growIntraretinal(labels, frameOffset, fine, smoothReference, rows, columns, (c) => [
        line(layerIndex.ILM, c) + 2,
        Math.min(line(layerIndex.ELM, c), line(layerIndex.EZ, c)) - 1,
      ]);
    counts[1] -= removeSmallComponents(
      labels,
      frameOffset,
      firstCropRow,
      endCropRow,
      columns,
      fluidLabels.irf,
      {
        stack,
        members,
      },
    );
  }
  return {
    labels,
    voxels: { irf: counts[1]!, srf: counts[2]!, ped: counts[3]! },
    maxHeightUm: { irf: maxHeight[0]!, srf: maxHeight[1]!, ped: maxHeight[2]! },
  };
}

/**
 * Grows intraretinal fluid into neighbouring voxels that are dark on the finely smoothed plane (hysteresis):
 * the strong smoothing that keeps speckle out of the cores blurs the cyst walls inwards. Returns the voxels
 * added.
 */
function growIntraretinal(
  labels: Uint8Array,
  frameOffset: number,
  fine: Float32Array,
  reference: Float32Array,
  rows: number,
  columns: number,
  range: (column: number) => readonly [number, number],
): number {
  const settings = parameters.fluid;
  let added = 0;
  const top = new Int32Array(columns);
  const bottom = new Int32Array(columns);
  for (let c = 0; c < columns; c++) {
    const [from, to] = range(c);
    top[c] = Math.max(1, Math.ceil(from - 0.5));
    bottom[c] = Math.min(rows - 2, Math.ceil(to - 0.5) - 1);
  }
  for (let round = 0; round < settings.growRounds; round++) {
    const grown: number[] = [];
    for (let c = 1; c < columns - 1; c++) {
      const threshold = settings.growDarkRatio * reference[c]!;
      for (let r = top[c]!; r <= bottom[c]!; r++) {
        const at = frameOffset + r * columns + c;
        if (labels[at] !== 0 || fine[r * columns + c]! >= threshold) {
          continue;
        }
        if (
          labels[at - 1] === fluidLabels.irf ||
          labels[at + 1] === fluidLabels.irf ||
          labels[at - columns] === fluidLabels.irf ||
          labels[at + columns] === fluidLabels.irf
        ) {
          grown.push(at);
        }
      }
    }
    for (const at of grown) {
      labels[at] = fluidLabels.irf;
    }
    added += grown.length;
  }
  return added;
}

/**
 * Removes the components of `label` (4-connected within the B-scan, rows `firstRow` … `endRow` − 1) smaller
 * than `parameters.fluid.minComponentVoxels`: specks of dark tissue, not cysts. Returns the voxels removed.
 */
function removeSmallComponents(
  labels: Uint8Array,
  frameOffset: number,
  firstRow: number,
  endRow: number,
  columns: number,
  label: number,
  scratch: { readonly stack: Int32Array; readonly members: Int32Array },
): number {
  const { stack, members } = scratch;
  const minimum = parameters.fluid.minComponentVoxels;
  const start = frameOffset + firstRow * columns;
  const end = frameOffset + endRow * columns;
  // Visited voxels are marked with the label's complement (255 − label) until the whole B-scan is done.
  const visited = 255 - label;
  let removed = 0;
  for (let seed = start; seed < end; seed++) {
    if (labels[seed] !== label) {
      continue;
    }
    let size = 0;
    let top = 0;
    stack[top++] = seed;
    labels[seed] = visited;
    while (top > 0) {
      const at = stack[--top]!;
      members[size++] = at;
      const column = (at - frameOffset) % columns;
      const push = (next: number): void => {
        if (labels[next] === label) {
          labels[next] = visited;
          stack[top++] = next;
        }
      };
      if (column > 0) {
        push(at - 1);
      }
      if (column < columns - 1) {
        push(at + 1);
      }
      if (at - columns >= start) {
        push(at - columns);
      }
      if (at + columns < end) {
        push(at + columns);
      }
    }
    if (size < minimum) {
      for (let k = 0; k < size; k++) {
        labels[members[k]!] = fluidLabels.none;
      }
      removed += size;
    }
  }
  for (let at = start; at < end; at++) {
    if (labels[at] === visited) {
      labels[at] = label;
    }
  }
  return removed;
}
