/**
 * The `oct-macula` analyzer: per eye, from a macular OCT volume (Ophthalmic Tomography), retinal layer
 * boundaries, the foveal centre, ETDRS subfield thickness (ILM→BM, as Spectralis), centre point thickness,
 * CST, total macular volume, IRF/SRF/PED volumes and maximum heights, and the volume's quality. A classical
 * algorithm (graph search on gradient costs, no trained model); its parameters are hashed into the model hash.
 * @see standards-reference §C (OCT macular metrics), §D (non-deep-learning OCT algorithms)
 */
import { createHash } from 'node:crypto';
import { encodeLabelRuns, isDecodeFailure } from '../../imaging/index.ts';
import {
  throwIfAborted,
  type AnalysisCase,
  type Analyzer,
  type AnalyzerHelpers,
  type AnalyzerManifest,
  type AnalyzerOutput,
  type Applicability,
  type CaseInstance,
  type CodedConcept,
  type Eye,
  type FindingDraft,
  type PixelAccess,
} from '../sdk/index.ts';
import { analyzeOctVolume, type OctMaculaResult } from './analyze-oct-volume.ts';
import {
  changeThresholds,
  latestPriorVolume,
  macularChange,
  type MacularChange,
  type PriorVolume,
} from './change-since-prior.ts';
import type { EtdrsSubfield, ThicknessGrid } from './macular-metrics.ts';
import { layerLinesOf } from './layer-lines.ts';
import { parameters } from './parameters.ts';
import { layerNames } from './segment-bscan.ts';
import type { OctVolume } from './segment-volume.ts';

export { analyzeOctVolume } from './analyze-oct-volume.ts';
export {
  changeThresholds,
  latestPriorVolume,
  macularChange,
  type ChangeDirection,
  type MacularChange,
  type PriorVolume,
} from './change-since-prior.ts';
export type { FluidVolume, OctMaculaResult } from './analyze-oct-volume.ts';
export { fluidLabels, segmentFluid, type FluidKind, type FluidSegmentation } from './fluid.ts';
export {
  etdrsSubfields,
  etdrsThickness,
  locateFovea,
  subfieldAt,
  subfieldMap,
  type EtdrsSubfield,
  type EtdrsThickness,
  thicknessGrid,
  thicknessMapUm,
  type FoveaLocation,
  type ScanGeometry,
  type ThicknessGrid,
} from './macular-metrics.ts';
export {
  layerLinesOf,
  rawLayerNames,
  rawLayerStep,
  sampledAScans,
  type RawLayerLines,
} from './layer-lines.ts';
export { assessOctQuality, type OctQuality, type OctUngradableReason } from './oct-quality.ts';
export { parameters } from './parameters.ts';
export { layerIndex, layerNames, segmentBScan, type LayerName } from './segment-bscan.ts';
export { boundaryLine, segmentVolume, type OctVolume, type VolumeSegmentation } from './segment-volume.ts';

/** SOP Class UID of Ophthalmic Tomography Image Storage. */
export const ophthalmicTomographySopClassUid = '1.2.840.10008.5.1.4.1.1.77.1.5.4';

/** SHA-256 (hex) of the JSON of every parameter of the algorithm and of the change thresholds. */
export const modelHash = createHash('sha256')
  .update(JSON.stringify({ parameters, changeThresholds }))
  .digest('hex');

/** The analyzer's manifest. */
export const manifest: AnalyzerManifest = {
  id: 'oct-macula',
  version: '0.3.1',
  displayName: 'Macular OCT: layers, ETDRS thickness and fluid',
  intendedUse:
    'Measures retinal thickness on the ETDRS grid and quantifies intraretinal fluid, subretinal fluid and ' +
    'pigment-epithelial detachment on macular OCT volumes, and says when a volume is not good enough to ' +
    'measure, to assist clinicians who review every value; it does not diagnose.',
  useCases: ['dme-quantification'],
  inputs: { sopClassUids: [ophthalmicTomographySopClassUid], modalities: ['OPT'] },
  outputs: ['quality', 'measurement', 'classification'],
  timeoutMs: 180_000,
  needsPriors: true,
  reviewRequired: true,
  modelHash,
};

/** A volume needs this many B-scans for the ETDRS grid (a line scan has no area). */
const minimumFrames = 5;

const useCase = 'dme-quantification';

function concept(value: string, scheme: string, meaning: string): CodedConcept {
  return { value, scheme, meaning };
}

/** Measurement concepts: LOINC for the macular grid (standards-reference §A.3), 99FOVEA for fluid. */
export const octMaculaCodes = {
  centralPointThickness: concept('57108-3', 'LN', 'Macular grid.center point thickness by OCT'),
  centralSubfieldThickness: concept('57109-1', 'LN', 'Macular grid.center subfield thickness by OCT'),
  IS: concept('57110-9', 'LN', 'Macular grid.inner superior subfield thickness by OCT'),
  IN: concept('57111-7', 'LN', 'Macular grid.inner nasal subfield thickness by OCT'),
  II: concept('57112-5', 'LN', 'Macular grid.inner inferior subfield thickness by OCT'),
  IT: concept('57113-3', 'LN', 'Macular grid.inner temporal subfield thickness by OCT'),
  OS: concept('57114-1', 'LN', 'Macular grid.outer superior subfield thickness by OCT'),
  ON: concept('57115-8', 'LN', 'Macular grid.outer nasal subfield thickness by OCT'),
  OI: concept('57116-6', 'LN', 'Macular grid.outer inferior subfield thickness by OCT'),
  OT: concept('57117-4', 'LN', 'Macular grid.outer temporal subfield thickness by OCT'),
  totalVolume: concept('57118-2', 'LN', 'Macular grid.total volume by OCT'),
  ilmToBm: concept('111929', 'DCM', 'Total retinal thickness (ILM to BM)'),
  irfVolume: concept('IRF-VOLUME', '99FOVEA', 'Intraretinal fluid volume'),
  srfVolume: concept('SRF-VOLUME', '99FOVEA', 'Subretinal fluid volume'),
  pedVolume: concept('PED-VOLUME', '99FOVEA', 'Pigment epithelial detachment volume'),
  irfHeight: concept('IRF-MAX-HEIGHT', '99FOVEA', 'Intraretinal fluid maximum height'),
  srfHeight: concept('SRF-MAX-HEIGHT', '99FOVEA', 'Subretinal fluid maximum height'),
  pedHeight: concept('PED-MAX-HEIGHT', '99FOVEA', 'Pigment epithelial detachment maximum height'),
  centralFluid: concept('CSF-FLUID', '99FOVEA', 'Intraretinal and subretinal fluid in central subfield'),
  cstChange: concept('CST-CHANGE', '99FOVEA', 'Change in central subfield thickness since prior'),
  irfVolumeChange: concept('IRF-VOL-CHANGE', '99FOVEA', 'Change in intraretinal fluid volume since prior'),
  srfVolumeChange: concept('SRF-VOL-CHANGE', '99FOVEA', 'Change in subretinal fluid volume since prior'),
  pedVolumeChange: concept('PED-VOL-CHANGE', '99FOVEA', 'Change in PED volume since prior'),
  changeSincePrior: concept('MACULA-CHANGE', '99FOVEA', 'Macular OCT change since prior'),
  worse: concept('WORSE', '99FOVEA', 'Significantly worse'),
  better: concept('BETTER', '99FOVEA', 'Significantly better'),
  noSignificantChange: concept('NO-SIG-CHANGE', '99FOVEA', 'No significant change'),
  micrometre: concept('um', 'UCUM', 'micrometer'),
  cubicMillimetre: concept('mm3', 'UCUM', 'cubic millimeter'),
} as const;

function isVolume(instance: CaseInstance): boolean {
  return (
    instance.sopClassUid === ophthalmicTomographySopClassUid &&
    (instance.modality === undefined || instance.modality === 'OPT')
  );
}

/** Per eye, the OCT instance with the most B-scans. */
function volumesByEye(analysisCase: AnalysisCase): { eye: Eye; instance: CaseInstance }[] {
  const out: { eye: Eye; instance: CaseInstance }[] = [];
  for (const caseEye of analysisCase.eyes) {
    const candidates = caseEye.instances.filter(isVolume);
    if (candidates.length === 0) {
      continue;
    }
    const best = candidates.reduce((a, b) => ((b.numberOfFrames ?? 1) > (a.numberOfFrames ?? 1) ? b : a));
    out.push({ eye: caseEye.eye, instance: best });
  }
  return out;
}

function isApplicable(analysisCase: AnalysisCase): Applicability {
  const byEye = volumesByEye(analysisCase);
  if (byEye.length === 0) {
    const withoutEye = [...analysisCase.unknownEye, ...analysisCase.bothEyes].filter(isVolume).length;
    return {
      applicable: false,
      reason:
        withoutEye > 0
          ? `${withoutEye} OCT instance(s) (OPT) but none with a known eye (R or L)`
          : 'no OCT instance (OPT) in the study',
    };
  }
  const volumes = byEye.filter((entry) => (entry.instance.numberOfFrames ?? 1) >= minimumFrames);
  if (volumes.length === 0) {
    return {
      applicable: false,
      reason: `OCT instances have fewer than ${minimumFrames} B-scans (line scans have no ETDRS grid)`,
    };
  }
  const counts = volumes.map((entry) => `${entry.eye} ${entry.instance.numberOfFrames} B-scans`).join(', ');
  return { applicable: true, reason: `macular OCT volumes (OPT): ${counts}` };
}

/**
 * Decodes every frame of an OCT instance into one volume of 8-bit display values, with the B-scan spacing
 * from the data set ({@link sliceSpacingOf}) or, without one, a square scan. The analyzer and `fovea analyze
 * --detail` read volumes through this one function, so both see the same voxels.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.7 (OPT Image)
 */
export async function decodeOctVolume(
  instance: CaseInstance,
  pixels: PixelAccess,
  signal?: AbortSignal,
): Promise<DecodedOctVolume> {
  const helpers = { pixels, signal };
  const frames = instance.numberOfFrames ?? 1;
  let voxels: Uint8Array | undefined;
  let rows = 0;
  let columns = 0;
  let spacing: readonly [number, number] | undefined;
  for (let f = 0; f < frames; f++) {
    if (helpers.signal !== undefined) {
      throwIfAborted(helpers.signal);
    }
    const frame = await helpers.pixels.frame(instance, f);
    if (voxels === undefined) {
      rows = frame.rows;
      columns = frame.columns;
      spacing = frame.pixelSpacing;
      voxels = new Uint8Array(frames * rows * columns);
    }
    if (frame.samplesPerPixel !== 1 || frame.rows !== rows || frame.columns !== columns) {
      throw new Error('every B-scan must be a greyscale frame of the same size');
    }
    const target = voxels.subarray(f * rows * columns, (f + 1) * rows * columns);
    if (frame.bitsAllocated === 8) {
      target.set(frame.data);
    } else {
      // 16-bit display data: scale to 8 bits by the stored range.
      const shift = Math.max(0, (frame.bitsStored ?? 16) - 8);
      for (let i = 0; i < target.length; i++) {
        target[i] = frame.data[i]! >> shift;
      }
    }
  }
  const axialSpacingMm = spacing?.[0] ?? 0.00387;
  const lateralSpacingMm = spacing?.[1] ?? 6 / columns;
  const declared =
    helpers.pixels.dataset === undefined ? undefined : sliceSpacingOf(await helpers.pixels.dataset(instance));
  return {
    frames,
    rows,
    columns,
    voxels: voxels ?? new Uint8Array(0),
    axialSpacingMm,
    lateralSpacingMm,
    // Without a declared spacing a macular cube is taken as square (scan height = scan width).
    frameSpacingMm: declared ?? (columns * lateralSpacingMm) / Math.max(1, frames),
    frameSpacingDeclared: declared !== undefined,
  };
}

function firstItem(value: unknown): Readonly<Record<string, unknown>> | undefined {
  const item: unknown = Array.isArray(value) ? value[0] : value;
  return typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : undefined;
}

/**
 * Spacing Between Slices (mm) of an OPT instance: the shared Pixel Measures functional group, else the
 * top-level attribute; undefined when absent or not positive.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.7.6.16.2.1 (Pixel Measures)
 */
export function sliceSpacingOf(dataset: Readonly<Record<string, unknown>>): number | undefined {
  const measures = firstItem(firstItem(dataset.SharedFunctionalGroupsSequence)?.PixelMeasuresSequence);
  const value = Number(measures?.SpacingBetweenSlices ?? dataset.SpacingBetweenSlices);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

const subfieldKeys: readonly Exclude<EtdrsSubfield, 'CSF'>[] = [
  'IS',
  'IN',
  'II',
  'IT',
  'OS',
  'ON',
  'OI',
  'OT',
];

function measurement(
  eye: Eye,
  key: string,
  sopInstanceUid: string,
  conceptValue: CodedConcept,
  value: number,
  unit: CodedConcept,
  qualifier?: CodedConcept,
): FindingDraft | undefined {
  if (!Number.isFinite(value)) {
    return undefined;
  }
  return {
    eye,
    useCase,
    key,
    value: {
      kind: 'measurement',
      concept: conceptValue,
      value: Math.round(value * 1e4) / 1e4,
      unit,
      ...(qualifier === undefined ? {} : { qualifier }),
    },
    sourceSopInstanceUids: [sopInstanceUid],
  };
}

/** The findings of one eye: quality, then (when gradable) thickness and fluid measurements. */
export function eyeFindings(eye: Eye, sopInstanceUid: string, result: OctMaculaResult): FindingDraft[] {
  const { quality, ilmBm, fluid } = result;
  const findings: (FindingDraft | undefined)[] = [
    {
      eye,
      useCase,
      key: 'oct-quality',
      value: {
        kind: 'quality',
        verdict: quality.verdict,
        score: quality.score,
        reasons: quality.reasons,
        components: quality.components,
      },
      sourceSopInstanceUids: [sopInstanceUid],
    },
  ];
  if (quality.verdict === 'gradable') {
    const c = octMaculaCodes;
    const um = c.micrometre;
    const definition = c.ilmToBm;
    findings.push(
      measurement(eye, 'cst', sopInstanceUid, c.centralSubfieldThickness, ilmBm.cstUm, um, definition),
      measurement(
        eye,
        'centre-point-thickness',
        sopInstanceUid,
        c.centralPointThickness,
        ilmBm.centralPointUm,
        um,
        definition,
      ),
      ...subfieldKeys.map((name) =>
        measurement(eye, `thickness-${name}`, sopInstanceUid, c[name], ilmBm.subfields[name], um, definition),
      ),
      measurement(
        eye,
        'total-volume',
        sopInstanceUid,
        c.totalVolume,
        ilmBm.totalVolumeMm3,
        c.cubicMillimetre,
        definition,
      ),
      measurement(eye, 'irf-volume', sopInstanceUid, c.irfVolume, fluid.irf.volumeMm3, c.cubicMillimetre),
      measurement(eye, 'srf-volume', sopInstanceUid, c.srfVolume, fluid.srf.volumeMm3, c.cubicMillimetre),
      measurement(eye, 'ped-volume', sopInstanceUid, c.pedVolume, fluid.ped.volumeMm3, c.cubicMillimetre),
      measurement(eye, 'irf-max-height', sopInstanceUid, c.irfHeight, fluid.irf.maxHeightUm, um),
      measurement(eye, 'srf-max-height', sopInstanceUid, c.srfHeight, fluid.srf.maxHeightUm, um),
      measurement(eye, 'ped-max-height', sopInstanceUid, c.pedHeight, fluid.ped.maxHeightUm, um),
      measurement(
        eye,
        'central-fluid-volume',
        sopInstanceUid,
        c.centralFluid,
        fluid.irf.bySubfieldMm3.CSF + fluid.srf.bySubfieldMm3.CSF,
        c.cubicMillimetre,
      ),
    );
  }
  return findings.filter((finding): finding is FindingDraft => finding !== undefined);
}

function round(value: number, digits = 4): number | null {
  if (!Number.isFinite(value)) {
    return null;
  }
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Below this total fluid volume (mm³, 1 nl: specks of a few hundred voxels) no mask is kept for a SEG. */
const minimumMaskedFluidMm3 = 0.001;

/**
 * The fluid mask of a gradable volume with at least 1 nl of fluid, run-length encoded (frames × rows ×
 * columns, labels 1 IRF, 2 SRF, 3 PED): the pipeline writes it as a DICOM Segmentation referencing the B-scans.
 */
function fluidLabelsOf(volume: OctVolume, result: OctMaculaResult): { fluidLabels?: unknown } {
  const { irf, srf, ped } = result.fluid;
  if (
    result.quality.verdict !== 'gradable' ||
    irf.volumeMm3 + srf.volumeMm3 + ped.volumeMm3 < minimumMaskedFluidMm3
  ) {
    return {};
  }
  return {
    fluidLabels: encodeLabelRuns(result.fluidMask.labels, [volume.frames, volume.rows, volume.columns]),
  };
}

/** A thickness grid as JSON: cells row by row (µm, 0.1 µm; null for a cell without a measured A-scan). */
function thicknessGridJson(grid: ThicknessGrid): unknown {
  const values: (number | null)[][] = [];
  for (let row = 0; row < grid.rows; row++) {
    values.push(
      Array.from(grid.valuesUm.subarray(row * grid.columns, (row + 1) * grid.columns), (value) =>
        round(value, 1),
      ),
    );
  }
  return {
    inner: grid.inner,
    outer: grid.outer,
    unit: 'um',
    rows: grid.rows,
    columns: grid.columns,
    framesPerCell: grid.framesPerCell,
    aScansPerCell: grid.aScansPerCell,
    cellHeightMm: round(grid.cellHeightMm, 5),
    cellWidthMm: round(grid.cellWidthMm, 5),
    valuesUm: values,
  };
}

/** Rounds a row (or µm) array for JSON: `digits` decimals, null where not finite (no boundary there). */
function roundedArray(values: ArrayLike<number>, digits: number): (number | null)[] {
  return Array.from(values, (value) => round(value, digits));
}

/**
 * The segmentation of one volume for `fovea analyze --detail` (not kept in the gateway's raw output: a
 * 49 × 512 volume gives about 1.7 MB of JSON): per B-scan (DICOM frame number, 1-based) every layer boundary
 * as a row per A-scan (row 0 = top edge of the first pixel row, 0.01 px; null where there is no boundary) and
 * the ILM → BM thickness per A-scan (µm, 0.1 µm).
 */
export function segmentationDetail(volume: OctVolume, result: OctMaculaResult): unknown {
  const { frames, columns } = volume;
  const bScans = [];
  for (let f = 0; f < frames; f++) {
    const boundaries: Record<string, (number | null)[]> = {};
    for (const [layer, name] of layerNames.entries()) {
      const start = (f * layerNames.length + layer) * columns;
      boundaries[name] = roundedArray(result.segmentation.boundaries.subarray(start, start + columns), 2);
    }
    bScans.push({
      frame: f + 1,
      boundaries,
      thicknessUm: roundedArray(result.thicknessMapUm.subarray(f * columns, (f + 1) * columns), 1),
    });
  }
  return {
    rowOrigin: 'top edge of the first pixel row (a boundary at 10.0 lies between pixel rows 9 and 10)',
    layers: layerNames,
    thickness: { inner: 'ILM', outer: 'BM', unit: 'um' },
    bScans,
  };
}

/**
 * What the audit keeps of one eye's result (JSON-safe; no per-voxel data but the run-length fluid mask and the
 * compact layer lines the review station draws).
 */
function rawEye(
  eye: Eye,
  instance: CaseInstance,
  volume: OctVolume & { readonly frameSpacingDeclared: boolean },
  result: OctMaculaResult,
): unknown {
  const roundAll = (record: Readonly<Record<string, number>>): Record<string, number | null> =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [key, round(value)]));
  return {
    eye,
    sopInstanceUid: instance.sopInstanceUid,
    geometry: {
      frames: volume.frames,
      rows: volume.rows,
      columns: volume.columns,
      axialSpacingMm: volume.axialSpacingMm,
      lateralSpacingMm: volume.lateralSpacingMm,
      frameSpacingMm: round(volume.frameSpacingMm, 6),
      frameSpacingAssumed: !volume.frameSpacingDeclared,
    },
    fovea: roundAll({ ...result.fovea }),
    thicknessIlmBm: {
      subfields: roundAll(result.ilmBm.subfields),
      counts: result.ilmBm.counts,
      cstUm: round(result.ilmBm.cstUm),
      centralPointUm: round(result.ilmBm.centralPointUm),
      totalVolumeMm3: round(result.ilmBm.totalVolumeMm3, 5),
      gridCoverage: round(result.ilmBm.gridCoverage),
    },
    thicknessIlmRpe: {
      subfields: roundAll(result.ilmRpe.subfields),
      cstUm: round(result.ilmRpe.cstUm),
      centralPointUm: round(result.ilmRpe.centralPointUm),
      totalVolumeMm3: round(result.ilmRpe.totalVolumeMm3, 5),
    },
    thicknessMap: thicknessGridJson(result.thicknessGrid),
    layerLines: layerLinesOf(result.segmentation),
    fluid: Object.fromEntries(
      Object.entries(result.fluid).map(([kind, entry]) => [
        kind,
        {
          voxels: entry.voxels,
          volumeMm3: round(entry.volumeMm3, 6),
          volumeNl: round(entry.volumeNl, 3),
          maxHeightUm: round(entry.maxHeightUm, 2),
          bySubfieldMm3: Object.fromEntries(
            Object.entries(entry.bySubfieldMm3).map(([name, value]) => [name, round(value, 6)]),
          ),
        },
      ]),
    ),
    quality: {
      verdict: result.quality.verdict,
      reasons: result.quality.reasons,
      ...roundAll(result.quality.components),
    },
    researchedFrames: result.segmentation.researchedFrames,
    timingsMs: roundAll(result.timings),
    ...fluidLabelsOf(volume, result),
  };
}

/** A decoded OCT volume and whether its B-scan spacing was declared (else a square scan is assumed). */
export type DecodedOctVolume = OctVolume & { readonly frameSpacingDeclared: boolean };

/** Decodes a volume, or says it is unreadable (a decode failure is an answer, other errors are thrown). */
async function tryDecode(
  instance: CaseInstance,
  helpers: AnalyzerHelpers,
): Promise<DecodedOctVolume | undefined> {
  try {
    return await decodeOctVolume(instance, helpers.pixels, helpers.signal);
  } catch (error) {
    if (!isDecodeFailure(error)) {
      throw error;
    }
    return undefined;
  }
}

function signed(value: number, digits: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

/** The change findings of one eye: ΔCST, Δ fluid volumes and the verdict (worse / better / no change). */
export function changeFindings(eye: Eye, sopInstanceUid: string, change: MacularChange): FindingDraft[] {
  const c = octMaculaCodes;
  const worse = change.cst === 'increase' || change.fluid === 'increase';
  const better = !worse && (change.cst === 'decrease' || change.fluid === 'decrease');
  const summary =
    `CST ${signed(change.deltaCstUm, 0)} µm, fluid ${signed(1000 * change.deltaTotalFluidMm3, 0)} nl ` +
    'since the prior OCT';
  const findings: (FindingDraft | undefined)[] = [
    measurement(eye, 'cst-change', sopInstanceUid, c.cstChange, change.deltaCstUm, c.micrometre),
    measurement(
      eye,
      'irf-volume-change',
      sopInstanceUid,
      c.irfVolumeChange,
      change.deltaFluidMm3.irf,
      c.cubicMillimetre,
    ),
    measurement(
      eye,
      'srf-volume-change',
      sopInstanceUid,
      c.srfVolumeChange,
      change.deltaFluidMm3.srf,
      c.cubicMillimetre,
    ),
    measurement(
      eye,
      'ped-volume-change',
      sopInstanceUid,
      c.pedVolumeChange,
      change.deltaFluidMm3.ped,
      c.cubicMillimetre,
    ),
    {
      eye,
      useCase,
      key: 'change-since-prior',
      value: {
        kind: 'classification',
        concept: c.changeSincePrior,
        value: worse ? c.worse : better ? c.better : c.noSignificantChange,
      },
      sourceSopInstanceUids: [sopInstanceUid],
      ...(worse ? { triage: { bucket: 'referable' as const, reason: `macular OCT worse: ${summary}` } } : {}),
    },
  ];
  return findings.filter((finding): finding is FindingDraft => finding !== undefined);
}

/** Compares an eye's gradable result with its latest prior volume; what the raw output keeps of it. */
async function compareWithPrior(
  analysisCase: AnalysisCase,
  eye: Eye,
  instance: CaseInstance,
  result: OctMaculaResult,
  helpers: AnalyzerHelpers,
  findings: FindingDraft[],
): Promise<unknown> {
  const prior: PriorVolume | undefined = latestPriorVolume(
    analysisCase,
    eye,
    (candidate) => isVolume(candidate) && (candidate.numberOfFrames ?? 1) >= minimumFrames,
  );
  if (prior === undefined) {
    return { compared: false, reason: 'no prior macular OCT volume of this eye' };
  }
  const where = {
    priorStudyInstanceUid: prior.studyInstanceUid,
    priorSopInstanceUid: prior.instance.sopInstanceUid,
    priorStudyDate: prior.studyDate ?? null,
  };
  if (result.quality.verdict !== 'gradable') {
    return { compared: false, reason: 'the current volume is ungradable', ...where };
  }
  const volume = await tryDecode(prior.instance, helpers);
  if (volume === undefined) {
    return { compared: false, reason: 'the prior volume cannot be decoded', ...where };
  }
  throwIfAborted(helpers.signal);
  const before = analyzeOctVolume(volume, eye, helpers.signal);
  if (before.quality.verdict !== 'gradable') {
    return { compared: false, reason: 'the prior volume is ungradable', ...where };
  }
  const change = macularChange(result, before);
  findings.push(...changeFindings(eye, instance.sopInstanceUid, change));
  return {
    compared: true,
    ...where,
    priorCstUm: round(before.ilmBm.cstUm),
    priorFluidMm3: {
      irf: round(before.fluid.irf.volumeMm3, 6),
      srf: round(before.fluid.srf.volumeMm3, 6),
      ped: round(before.fluid.ped.volumeMm3, 6),
    },
    deltaCstUm: round(change.deltaCstUm),
    cstThresholdUm: round(change.cstThresholdUm),
    deltaTotalVolumeMm3: round(change.deltaTotalVolumeMm3, 5),
    deltaTotalFluidMm3: round(change.deltaTotalFluidMm3, 6),
    cst: change.cst,
    fluid: change.fluid,
  };
}

async function analyze(analysisCase: AnalysisCase, helpers: AnalyzerHelpers): Promise<AnalyzerOutput> {
  const findings: FindingDraft[] = [];
  const eyes: unknown[] = [];
  for (const { eye, instance } of volumesByEye(analysisCase)) {
    if ((instance.numberOfFrames ?? 1) < minimumFrames) {
      eyes.push({ eye, sopInstanceUid: instance.sopInstanceUid, skipped: 'fewer than 5 B-scans' });
      continue;
    }
    const volume = await tryDecode(instance, helpers);
    if (volume === undefined) {
      findings.push({
        eye,
        useCase,
        key: 'oct-quality',
        value: { kind: 'quality', verdict: 'ungradable', score: 0, reasons: ['unreadable'], components: {} },
        sourceSopInstanceUids: [instance.sopInstanceUid],
      });
      eyes.push({
        eye,
        sopInstanceUid: instance.sopInstanceUid,
        verdict: 'ungradable',
        reasons: ['unreadable'],
      });
      continue;
    }
    throwIfAborted(helpers.signal);
    const result = analyzeOctVolume(volume, eye, helpers.signal);
    findings.push(...eyeFindings(eye, instance.sopInstanceUid, result));
    const raw = rawEye(eye, instance, volume, result) as Record<string, unknown>;
    const change = await compareWithPrior(analysisCase, eye, instance, result, helpers, findings);
    eyes.push({ ...raw, changeSincePrior: change });
  }
  return {
    findings,
    raw: {
      analyzer: `${manifest.id}@${manifest.version}`,
      modelHash,
      thicknessDefinition: 'ILM to BM (DCM 111929); ILM to RPE kept in raw',
      changeThresholds,
      eyes,
    },
  };
}

/** The analyzer the registry loads. */
export const analyzer: Analyzer = { manifest, isApplicable, analyze };
