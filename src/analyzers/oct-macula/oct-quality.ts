/**
 * OCT volume quality: signal strength (retina over vitreous noise, in dB), cut-off (the retina leaving the
 * top or bottom of the window), clipping (saturated voxels in the retina) and decentration (foveal centre
 * away from the scan centre). A volume failing any of them is ungradable, with the reason.
 * @see standards-reference §B.7 (gradability), §C.5
 */
import { linearOfDisplay } from '../../imaging/index.ts';
import type { FoveaLocation } from './macular-metrics.ts';
import { parameters } from './parameters.ts';
import { layerIndex, layerNames } from './segment-bscan.ts';
import type { OctVolume, VolumeSegmentation } from './segment-volume.ts';

/** Why an OCT volume cannot be graded (a subset of the finding's reasons). */
export type OctUngradableReason = 'low-signal' | 'field-of-view' | 'overexposed';

/** The quality of one volume. */
export interface OctQuality {
  readonly verdict: 'gradable' | 'ungradable';
  /** Weakest component, in [0, 1]; 0.5 at a threshold. */
  readonly score: number;
  readonly reasons: readonly OctUngradableReason[];
  /** 10·log10(mean linear intensity of the retina / mean of the vitreous above it). */
  readonly signalDb: number;
  /** Share of A-scans whose ILM is within 3 rows of the top or BM within 3 rows of the bottom. */
  readonly cutOffShare: number;
  /** Share of retinal voxels at the maximum value (255). */
  readonly saturatedShare: number;
  /** Distance of the foveal centre from the scan centre (mm). */
  readonly decentrationMm: number;
  readonly components: Readonly<Record<string, number>>;
}

/** A linear ramp that is 0.5 at `threshold` and 1 at `good` (either direction), clamped to [0, 1]. */
function ramp(value: number, threshold: number, good: number): number {
  const t = 0.5 + (0.5 * (value - threshold)) / (good - threshold);
  return Math.max(0, Math.min(1, t));
}

/** Assesses the quality of a segmented volume. */
export function assessOctQuality(
  volume: OctVolume,
  segmentation: VolumeSegmentation,
  fovea: FoveaLocation,
): OctQuality {
  const { frames, rows, columns, voxels } = volume;
  const layers = layerNames.length;
  let retina = 0;
  let retinaCount = 0;
  let vitreous = 0;
  let vitreousCount = 0;
  let saturated = 0;
  let cutOff = 0;
  for (let f = 0; f < frames; f++) {
    const offset = f * rows * columns;
    for (let c = 0; c < columns; c++) {
      const ilm = segmentation.boundaries[(f * layers + layerIndex.ILM) * columns + c]!;
      const bm = segmentation.boundaries[(f * layers + layerIndex.BM) * columns + c]!;
      if (ilm < 3 || bm > rows - 3) {
        cutOff++;
      }
      // Every other A-scan is enough for the intensity statistics.
      if ((c & 1) === 1) {
        continue;
      }
      const top = Math.max(0, Math.floor(ilm) - 4);
      for (let r = 0; r < top; r++) {
        vitreous += linearOfDisplay[voxels[offset + r * columns + c]!]!;
        vitreousCount++;
      }
      for (let r = Math.max(0, Math.ceil(ilm)); r < Math.min(rows, Math.floor(bm)); r++) {
        const value = voxels[offset + r * columns + c]!;
        retina += linearOfDisplay[value]!;
        retinaCount++;
        if (value === 255) {
          saturated++;
        }
      }
    }
  }
  const settings = parameters.quality;
  const noise = vitreousCount > 0 ? vitreous / vitreousCount : 1e-6;
  const signal = retinaCount > 0 ? retina / retinaCount : 0;
  const signalDb = 10 * Math.log10(Math.max(1e-9, signal) / Math.max(1e-9, noise));
  const cutOffShare = cutOff / (frames * columns);
  const saturatedShare = retinaCount > 0 ? saturated / retinaCount : 0;
  const decentrationMm = Math.hypot(fovea.xMm, fovea.yMm);
  const components = {
    signal: ramp(signalDb, settings.minSignalDb, settings.minSignalDb + 10),
    cutOff: ramp(-cutOffShare, -settings.maxCutOffShare, 0),
    clipping: ramp(-saturatedShare, -settings.maxSaturatedShare, 0),
    centration: ramp(-decentrationMm, -settings.maxDecentrationMm, -0.2),
  };
  const reasons: OctUngradableReason[] = [];
  if (signalDb < settings.minSignalDb) {
    reasons.push('low-signal');
  }
  if (cutOffShare > settings.maxCutOffShare || decentrationMm > settings.maxDecentrationMm) {
    reasons.push('field-of-view');
  }
  if (saturatedShare > settings.maxSaturatedShare) {
    reasons.push('overexposed');
  }
  const score = Math.min(...Object.values(components));
  return {
    verdict: reasons.length === 0 ? 'gradable' : 'ungradable',
    score,
    reasons,
    signalDb,
    cutOffShare,
    saturatedShare,
    decentrationMm,
    components: { ...components, signalDb, cutOffShare, saturatedShare, decentrationMm },
  };
}
