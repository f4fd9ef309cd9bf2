/**
 * Helpers shared by the vf-progression tests and benchmark: synthetic 24-2 series from src/synth (through the
 * OPV objects, or through the generator's values when thousands of series are needed) and the visualFields CSV
 * series under ../shared/data/vf (never copied into the repository).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type DcmjsDefault from 'dcmjs';
import {
  convertOpv,
  readVfCsv,
  seriesFromOpv,
  type OpvDataset,
  type VfSeries,
} from '../../src/analyzers/vf-progression/index.ts';
import {
  generateVisualFieldSeries,
  generateVisualFieldSeriesValues,
  Rng,
  type VfSeriesTruth,
} from '../../src/synth/index.ts';

const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

/** The shared visual-field folder (`../shared/data/vf` from the repository root). */
export const vfDataDir = resolve(import.meta.dirname, '../../../shared/data/vf');

/** Whether the visual-field CSV files are present. */
export function vfDataPresent(): boolean {
  return ['vfctrSunyiu24d2.csv', 'vfpwgRetest24d2.csv', 'small_UWHVF.csv'].every((name) =>
    existsSync(join(vfDataDir, name)),
  );
}

/** Reads one shared CSV into series (throws on any skipped line). */
export function readSharedSeries(name: string): VfSeries[] {
  const { series, problems } = readVfCsv(readFileSync(join(vfDataDir, name), 'utf8'));
  if (problems.length > 0) {
    throw new Error(`${name}: ${problems.join('; ')}`);
  }
  return [...series];
}

/** The kinds of synthetic series of the acceptance study. */
export interface SynthSeriesSpec {
  readonly seed: string;
  readonly eye: 'R' | 'L';
  readonly visits: number;
  readonly intervalYears: number;
  readonly mdSlopeDbPerYear: number;
  readonly arcuate: 'superior' | 'inferior' | 'none';
}

/** A series through DICOM: generateVisualFieldSeries → Part 10 → dcmjs naturalized dataset → convertOpv. */
export function synthSeriesViaOpv(spec: SynthSeriesSpec): { series: VfSeries; truth: VfSeriesTruth } {
  const objects = generateVisualFieldSeries({
    seed: spec.seed,
    eye: spec.eye,
    visits: spec.visits,
    intervalYears: spec.intervalYears,
    mdSlopeDbPerYear: spec.mdSlopeDbPerYear,
    arcuate: spec.arcuate,
  });
  const conversions = objects.map((object) => {
    const dict = dcmjs.data.DicomMessage.readFile(new Uint8Array(object.part10).buffer);
    return convertOpv(dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict) as OpvDataset);
  });
  const { series, problems } = seriesFromOpv(conversions, spec.seed);
  if (problems.length > 0 || series.length !== 1) {
    throw new Error(`synthetic OPV series ${spec.seed}: ${problems.join('; ')}`);
  }
  return { series: series[0]!, truth: objects[0]!.truth.series! };
}

function isoDateAfter(start: string, years: number): string {
  return new Date(Date.parse(`${start}T00:00:00Z`) + Math.round(years * 365.25) * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

/**
 * A series from the generator's values (the same model as the OPV path, without writing DICOM): dates from
 * 2015-01-01 at `yearsFromBaseline × 365.25` days, age = whole years of the generator's age.
 */
export function synthSeriesViaValues(
  spec: SynthSeriesSpec,
  startAgeYears = 62.4,
): {
  series: VfSeries;
  truth: VfSeriesTruth;
  /** Per test, l1…l54: measured − the generator's own age-normal sensitivity. */
  generatorTd: number[][];
} {
  const { tests, truth } = generateVisualFieldSeriesValues(
    {
      eye: spec.eye,
      visits: spec.visits,
      intervalYears: spec.intervalYears,
      mdSlopeDbPerYear: spec.mdSlopeDbPerYear,
      arcuate: spec.arcuate,
      startAgeYears,
    },
    new Rng(spec.seed, 'vf-progression-study'),
  );
  return {
    series: {
      id: spec.seed,
      eye: spec.eye,
      tests: tests.map((test) => ({
        date: isoDateAfter('2015-01-01', test.yearsFromBaseline),
        age: Math.floor(test.ageYears),
        sensitivities: test.points.map((p) => p.measuredDb),
      })),
    },
    truth,
    generatorTd: tests.map((test) => test.points.map((p) => p.measuredDb - p.normalDb)),
  };
}
