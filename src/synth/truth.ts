/**
 * Ground truth written beside every synthetic object (`<object>.truth.json`): what the generator drew, in
 * the object's own pixel coordinates and in physical units, so analyzers can be scored against it.
 */
import type { Eye } from '../core/eye.ts';
import type { FundusArtefact } from './fundus-artefacts.ts';
import type {
  FundusLesion,
  FundusLesionType,
  IcdrLevel,
  SevereCriterion,
  VenousBeading,
  VitreousHaemorrhage,
} from './fundus-lesions.ts';
import type { FundusQuadrant } from './fundus-anatomy.ts';
import type { BoundaryName } from './oct-layers.ts';
import type { Dome, FluidType } from './oct-pathology.ts';
import type { VfSeriesTruth } from './vf-series.ts';
import type { VfPattern, VfPointValue, VfReliability } from './visual-field.ts';

/** Schema identifier of every truth file. */
export const truthSchema = 'fovea-synth-truth/1';

/** What kind of object a truth file describes. */
export type TruthKind = 'fundus' | 'slo' | 'oct-volume' | 'oct-circle-scan' | 'visual-field';

/** The DICOM identity of the object a truth file belongs to. */
export interface TruthObjectRef {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly studyInstanceUid: string;
  readonly patientId: string;
  readonly studyDate: string;
  readonly transferSyntaxUid: string;
  readonly fileName: string;
}

/** Fields common to every truth file. */
export interface TruthHeader {
  readonly schema: typeof truthSchema;
  readonly kind: TruthKind;
  readonly generator: string;
  readonly seed: string;
  readonly eye: Eye;
  /** Present once the object has been written as DICOM. */
  readonly object?: TruthObjectRef;
}

/** Fundus image geometry and anatomy. */
export interface FundusAnatomyTruth {
  readonly width: number;
  readonly height: number;
  readonly fieldOfViewDeg: number;
  /** The circular field of view (pixels). */
  readonly fieldOfView: { readonly x: number; readonly y: number; readonly radius: number };
  readonly pxPerMm: number;
  readonly fovea: { readonly x: number; readonly y: number };
  readonly disc: {
    readonly x: number;
    readonly y: number;
    readonly widthPx: number;
    readonly heightPx: number;
    readonly widthMm: number;
    readonly heightMm: number;
  };
  /** Mean disc diameter (pixels), the "DD" unit of the grading rules. */
  readonly discDiameterPx: number;
  readonly discDiameterMm: number;
  readonly cupToDiscRatio: number;
  /** The side of the image the disc is on (nasal). */
  readonly discSide: 'left' | 'right';
  readonly pigmentation: number;
  /** How lesion quadrants are defined. */
  readonly quadrantOrigin: 'fovea';
}

/** Ground truth of a colour fundus photograph. */
export interface FundusTruth extends TruthHeader {
  readonly kind: 'fundus';
  readonly anatomy: FundusAnatomyTruth;
  readonly icdr: IcdrLevel;
  /** Moderate NPDR or worse, or DME (ICO). */
  readonly referable: boolean;
  readonly dme: {
    readonly present: boolean;
    readonly centreInvolved: boolean;
    readonly exudatesWithinOneDiscDiameter: number;
    /** Distance of the nearest hard exudate edge to the foveal centre (mm), if any. */
    readonly nearestExudateMm: number | null;
  };
  /** Whether the image is expected to be gradable (no focus, exposure or small-pupil failure). */
  readonly gradable: boolean;
  readonly artefacts: readonly FundusArtefact[];
  readonly lesions: readonly FundusLesion[];
  readonly counts: Readonly<Record<FundusLesionType, number>>;
  readonly haemorrhagesByQuadrant: Readonly<Record<FundusQuadrant, number>>;
  readonly fourTwoOne: {
    readonly haemorrhageQuadrantsOver20: number;
    readonly venousBeadingQuadrants: readonly FundusQuadrant[];
    readonly irmaQuadrants: readonly FundusQuadrant[];
    readonly criteriaMet: readonly SevereCriterion[];
  };
  readonly venousBeading: readonly VenousBeading[];
  readonly proliferative: {
    readonly nvd: boolean;
    readonly nve: boolean;
    readonly preretinalHaemorrhage: boolean;
    readonly vitreousHaemorrhage: VitreousHaemorrhage | null;
  };
  /** Label values of the lesion mask returned by the pixel generator. */
  readonly lesionMaskLabels: Readonly<Record<string, number>>;
}

/** Mean thickness (µm) per ETDRS subfield: central, inner and outer ring × superior/nasal/inferior/temporal. */
export interface EtdrsThickness {
  readonly CSF: number;
  readonly IS: number;
  readonly IN: number;
  readonly II: number;
  readonly IT: number;
  readonly OS: number;
  readonly ON: number;
  readonly OI: number;
  readonly OT: number;
}

/** A run-length encoded label volume. */
export interface RleMask {
  readonly encoding: 'rle';
  /** Axis order of the flattened array, slowest first. */
  readonly order: string;
  readonly shape: readonly number[];
  readonly labels: Readonly<Record<string, number>>;
  /** value, count, value, count, … */
  readonly runs: readonly number[];
}

/** Volume of one fluid type. */
export interface FluidVolume {
  /** Number of labelled voxels. */
  readonly voxels: number;
  /** voxels × voxel volume. */
  readonly volumeMm3: number;
  readonly volumeNl: number;
}

/** Where a B-scan lies on the accompanying SLO image (pixel coordinates, row/column). */
export interface ScanLine {
  readonly startRow: number;
  readonly startColumn: number;
  readonly endRow: number;
  readonly endColumn: number;
}

/** Ground truth of a macular OCT cube. */
export interface OctVolumeTruth extends TruthHeader {
  readonly kind: 'oct-volume';
  readonly geometry: {
    readonly frames: number;
    readonly rows: number;
    readonly columns: number;
    readonly axialSpacingUm: number;
    readonly lateralSpacingMm: number;
    readonly frameSpacingMm: number;
    readonly scanWidthMm: number;
    readonly scanHeightMm: number;
    readonly frameOrder: 'superior-to-inferior';
    readonly columnOrder: 'temporal-to-nasal' | 'nasal-to-temporal';
    /** Foveal centre in (fractional) frame and column indices. */
    readonly fovea: { readonly frame: number; readonly column: number };
    readonly boundaryRowConvention: string;
  };
  readonly boundaryNames: readonly BoundaryName[];
  /** Boundary depth in rows per A-scan: boundaries[name][frame][column]. */
  readonly boundaries: Readonly<Record<BoundaryName, readonly (readonly number[])[]>>;
  /** Thickness for CST: ILM to Bruch's membrane (CID 4262 111929, as Spectralis). */
  readonly thicknessDefinition: { readonly inner: 'ILM'; readonly outer: 'BM'; readonly code: '111929' };
  readonly etdrs: EtdrsThickness;
  readonly centralSubfieldThicknessUm: number;
  readonly centralPointThicknessUm: number;
  /** Volume of the 6-mm ETDRS disc (mm³). */
  readonly totalMacularVolumeMm3: number;
  /** The same subfields from ILM to the inner RPE surface (Cirrus-like). */
  readonly etdrsIlmRpe: EtdrsThickness;
  readonly fluid: Readonly<Record<FluidType, FluidVolume>>;
  readonly fluidMask: RleMask;
  readonly voxelVolumeMm3: number;
  readonly pathology: {
    readonly cysts: readonly {
      readonly xMm: number;
      readonly yMm: number;
      readonly radiusMm: number;
      readonly heightUm: number;
      readonly layer: 'inl' | 'onl';
    }[];
    readonly srf: Dome | null;
    readonly ped: Dome | null;
    readonly diffuseThickeningUm: number;
    readonly dme: boolean;
    readonly glaucomaLoss: number;
  };
  readonly slo: {
    readonly size: number;
    readonly pixelSpacingMm: number;
    readonly fieldOfViewDeg: number;
    readonly fovea: { readonly x: number; readonly y: number };
    readonly scanLines: readonly ScanLine[];
  };
}

/** RNFL thickness summaries (µm). */
export interface RnflSectors {
  readonly averageUm: number;
  /** 90° quadrants centred on temporal, superior, nasal, inferior. */
  readonly quadrants: { readonly T: number; readonly S: number; readonly N: number; readonly I: number };
  /** Spectralis sectors: T 90°, TS 45°, NS 45°, N 90°, NI 45°, TI 45°. */
  readonly sectors: {
    readonly T: number;
    readonly TS: number;
    readonly NS: number;
    readonly N: number;
    readonly NI: number;
    readonly TI: number;
  };
  /** Clock hours 1–12 (index 0 = 1 o'clock) as seen on the upright fundus image. */
  readonly clockHours: readonly number[];
}

/** Ground truth of a peripapillary circle scan. */
export interface CircleScanTruth extends TruthHeader {
  readonly kind: 'oct-circle-scan';
  readonly geometry: {
    readonly columns: number;
    readonly rows: number;
    readonly axialSpacingUm: number;
    readonly diameterMm: number;
    readonly lateralSpacingMm: number;
    /** Circle centre in the retinal frame (mm, origin fovea, x nasal, y inferior). */
    readonly centreMm: { readonly x: number; readonly y: number };
    readonly columnOrder: string;
    readonly boundaryRowConvention: string;
  };
  readonly boundaryNames: readonly BoundaryName[];
  /** Boundary rows per A-scan: boundaries[name][column]. */
  readonly boundaries: Readonly<Record<BoundaryName, readonly number[]>>;
  readonly rnfl: RnflSectors & { readonly definition: string; readonly perAScanUm: readonly number[] };
  readonly glaucoma: { readonly superiorLoss: number; readonly inferiorLoss: number };
  readonly slo: {
    readonly size: number;
    readonly pixelSpacingMm: number;
    readonly fieldOfViewDeg: number;
    /** The circle on the SLO image: row, column pairs every 10°, starting temporal. */
    readonly pathRowColumn: readonly number[];
  };
}

/** Ground truth of an SLO image accompanying an OCT scan. */
export interface SloTruth extends TruthHeader {
  readonly kind: 'slo';
  readonly size: number;
  readonly fieldOfViewDeg: number;
  readonly pixelSpacingMm: number;
  readonly fovea: { readonly x: number; readonly y: number };
  readonly disc: {
    readonly x: number;
    readonly y: number;
    readonly widthPx: number;
    readonly heightPx: number;
  };
  /** SOP Instance UID of the OCT registered to this image. */
  readonly octSopInstanceUid: string;
  readonly scanPattern: 'macular-cube' | 'circle';
}

/** Ground truth of one visual field test. */
export interface VisualFieldTruth extends TruthHeader {
  readonly kind: 'visual-field';
  readonly pattern: VfPattern;
  readonly coordinateConvention: string;
  readonly ageYears: number;
  readonly points: readonly VfPointValue[];
  readonly meanDeviationDb: number;
  readonly patternStandardDeviationDb: number;
  readonly trueMeanDeviationDb: number;
  readonly truePatternStandardDeviationDb: number;
  readonly meanSensitivityDb: number;
  readonly reliability: VfReliability;
  /** Visit number and time since the first test, when part of a series. */
  readonly visit: number | null;
  readonly yearsFromBaseline: number | null;
  /** The progression of the series this test belongs to (same in every visit's truth). */
  readonly series: VfSeriesTruth | null;
}

/** Run-length encodes a label array as value, count pairs. */
export function encodeRle(values: Uint8Array): number[] {
  const runs: number[] = [];
  if (values.length === 0) {
    return runs;
  }
  let current = values[0]!;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === current) {
      count++;
    } else {
      runs.push(current, count);
      current = value;
      count = 1;
    }
  }
  runs.push(current, count);
  return runs;
}

/** Decodes a run-length encoded mask. */
export function decodeRle(mask: Pick<RleMask, 'shape' | 'runs'>): Uint8Array {
  const length = mask.shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i + 1 < mask.runs.length; i += 2) {
    const value = mask.runs[i]!;
    const count = mask.runs[i + 1]!;
    if (value !== 0) {
      out.fill(value, at, at + count);
    }
    at += count;
  }
  if (at !== length) {
    throw new RangeError(`RLE runs cover ${at} values, shape needs ${length}`);
  }
  return out;
}

/** Rounds to a number of decimals (keeps truth files compact and stable). */
export function round(value: number, decimals = 3): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Serialises a truth object: 2-space JSON with arrays of numbers kept on one line, trailing newline. */
export function truthToJson(truth: object): string {
  const text = JSON.stringify(truth, null, 2);
  const compact = text.replace(
    /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g,
    (_match, items: string) => `[${items.split(/,\s*/).join(',')}]`,
  );
  return `${compact}\n`;
}
