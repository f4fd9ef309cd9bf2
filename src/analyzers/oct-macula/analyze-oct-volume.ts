/**
 * The pure core of the oct-macula analyzer: one macular OCT volume in, layers, fovea, ETDRS thickness
 * (ILM→BM and ILM→RPE), the ILM→BM thickness map, fluid volumes and quality out. No I/O.
 * @see standards-reference §C (OCT macular metrics) and §D (non-deep-learning OCT algorithms)
 */
import {
  fluidBySubfield,
  etdrsSubfields,
  etdrsThickness,
  locateFovea,
  subfieldMap,
  thicknessGrid,
  thicknessMapUm,
} from './macular-metrics.ts';
import type {
  EtdrsSubfield,
  EtdrsThickness,
  FoveaLocation,
  ScanGeometry,
  ThicknessGrid,
} from './macular-metrics.ts';
import { segmentFluid, type FluidKind, type FluidSegmentation } from './fluid.ts';
import { assessOctQuality, type OctQuality } from './oct-quality.ts';
import { segmentVolume, type OctVolume, type VolumeSegmentation } from './segment-volume.ts';

/** Volumes of one fluid kind. */
export interface FluidVolume {
  readonly voxels: number;
  readonly volumeMm3: number;
  /** 1 mm³ = 1000 nl. */
  readonly volumeNl: number;
  readonly maxHeightUm: number;
  /** mm³ per ETDRS subfield (inside the 6-mm grid). */
  readonly bySubfieldMm3: Readonly<Record<EtdrsSubfield, number>>;
}

/** Everything the analysis of one volume yields. */
export interface OctMaculaResult {
  readonly segmentation: VolumeSegmentation;
  readonly fovea: FoveaLocation;
  /** ILM → Bruch's membrane (as Spectralis; CID 4262 111929). */
  readonly ilmBm: EtdrsThickness;
  /** ILM → inner RPE surface (as LOINC's subfield definitions). */
  readonly ilmRpe: EtdrsThickness;
  /** ILM → BM thickness (µm) at every A-scan, frames × columns: the thickness map. */
  readonly thicknessMapUm: Float32Array;
  /** The same map averaged over cells of about 0.25 mm (at most 32 × 32), for the raw output. */
  readonly thicknessGrid: ThicknessGrid;
  readonly fluid: Readonly<Record<FluidKind, FluidVolume>>;
  readonly fluidMask: FluidSegmentation;
  readonly quality: OctQuality;
  readonly timings: { readonly segmentationMs: number; readonly fluidMs: number; readonly metricsMs: number };
}

/**
 * Analyses one macular OCT volume. `eye` decides which side is nasal: B-scan columns run left → right in
 * the upright en-face view, so for a right eye the image right is nasal (towards the disc).
 * @see standards-reference §C.1 (the grid is mirrored between eyes)
 */
export function analyzeOctVolume(volume: OctVolume, eye: 'R' | 'L', signal?: AbortSignal): OctMaculaResult {
  const started = performance.now();
  const segmentation = segmentVolume(volume, signal);
  const segmented = performance.now();
  const geometry: ScanGeometry = {
    frames: volume.frames,
    columns: volume.columns,
    lateralSpacingMm: volume.lateralSpacingMm,
    frameSpacingMm: volume.frameSpacingMm,
    nasalSign: eye === 'R' ? 1 : -1,
  };
  const fovea = locateFovea(segmentation, geometry, volume.axialSpacingMm);
  const subfields = subfieldMap(geometry, fovea);
  const ilmBm = etdrsThickness(segmentation, geometry, fovea, subfields, volume.axialSpacingMm, 'ILM', 'BM');
  const ilmRpe = etdrsThickness(
    segmentation,
    geometry,
    fovea,
    subfields,
    volume.axialSpacingMm,
    'ILM',
    'RPE',
  );
  const thicknessMap = thicknessMapUm(segmentation, volume.axialSpacingMm, 'ILM', 'BM');
  const grid = thicknessGrid(thicknessMap, geometry, 'ILM', 'BM');
  const measured = performance.now();
  signal?.throwIfAborted();
  const fluidMask = segmentFluid(volume, segmentation);
  const perSubfield = fluidBySubfield(fluidMask.labels, volume, subfields);
  const voxel = volume.axialSpacingMm * volume.lateralSpacingMm * volume.frameSpacingMm;
  const fluidOf = (kind: FluidKind, label: number): FluidVolume => {
    const voxels = fluidMask.voxels[kind];
    const bySubfield = Object.fromEntries(
      etdrsSubfields.map((name) => [
        name,
        perSubfield.find((entry) => entry.label === label && entry.subfield === name)?.volumeMm3 ?? 0,
      ]),
    ) as Record<EtdrsSubfield, number>;
    return {
      voxels,
      volumeMm3: voxels * voxel,
      volumeNl: voxels * voxel * 1000,
      maxHeightUm: fluidMask.maxHeightUm[kind],
      bySubfieldMm3: bySubfield,
    };
  };
  const fluid = { irf: fluidOf('irf', 1), srf: fluidOf('srf', 2), ped: fluidOf('ped', 3) };
  const fluidDone = performance.now();
  const quality = assessOctQuality(volume, segmentation, fovea);
  return {
    segmentation,
    fovea,
    ilmBm,
    ilmRpe,
    thicknessMapUm: thicknessMap,
    thicknessGrid: grid,
    fluid,
    fluidMask,
    quality,
    timings: {
      segmentationMs: segmented - started,
      fluidMs: fluidDone - measured,
      metricsMs: measured - segmented + (performance.now() - fluidDone),
    },
  };
}
