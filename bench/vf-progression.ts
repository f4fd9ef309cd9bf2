/**
 * The vf-progression acceptance study at scale, and timings. Synthetic series from src/synth (the generator's
 * values; a sample also through OPV objects): −1 dB/yr arcuate progression over 6 years (7 yearly 24-2 tests),
 * −0.5 dB/yr, and stable series (PoPLR on TD, and on raw sensitivities as visualFields' default); PoPLR
 * detection and false-positive rates at p < 0.05 with Wilson 95% intervals, MD slope error against the
 * generator's noise-free MD slope, GPA-style event and verdict rates; then the test–retest series of
 * ../shared/data/vf (per eye MD slope, PoPLR S and p, false-positive rate). Prints figures; not a test.
 * `VF_BENCH_SERIES` sets the number of series per arm (default 1000).
 */
import { cpus } from 'node:os';
import {
  analyzeVfSeries,
  nonBlindSpot,
  poplr,
  yearsBetween,
  type VfProgression,
  type VfProgressionOptions,
} from '../src/analyzers/vf-progression/index.ts';
import {
  readSharedSeries,
  synthSeriesViaOpv,
  synthSeriesViaValues,
  vfDataPresent,
  type SynthSeriesSpec,
} from '../test/analyzers/vf-data.ts';

const perArm = Number(process.env.VF_BENCH_SERIES ?? 1000);

function wilson(successes: number, n: number): string {
  const z = 1.959963984540054;
  const p = successes / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = ((z / (1 + (z * z) / n)) * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / 1;
  return `${(100 * p).toFixed(1)}% (${successes}/${n}; 95% CI ${(100 * (centre - half)).toFixed(1)}–${(100 * (centre + half)).toFixed(1)}%)`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface ArmResult {
  readonly detected: number;
  readonly n: number;
  readonly absError: number[];
  readonly signedError: number[];
  readonly absErrorMtd: number[];
  readonly gpa: Record<string, number>;
  readonly verdicts: Record<string, number>;
  readonly ms: number[];
}

function olsSlope(xs: readonly number[], ys: readonly number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * (ys[i]! - my);
    sxx += (x - mx) ** 2;
  });
  return sxy / sxx;
}

function runArm(
  name: string,
  spec: (i: number) => SynthSeriesSpec,
  options: VfProgressionOptions = {},
): ArmResult {
  const result: ArmResult = {
    detected: 0,
    n: perArm,
    absError: [],
    signedError: [],
    absErrorMtd: [],
    gpa: {},
    verdicts: {},
    ms: [],
  };
  let detected = 0;
  for (let i = 0; i < perArm; i++) {
    const { series, truth } = synthSeriesViaValues(spec(i));
    const started = performance.now();
    const analysis: VfProgression = analyzeVfSeries(series, options);
    result.ms.push(performance.now() - started);
    if (analysis.poplr!.p < 0.05) {
      detected++;
    }
    const error = analysis.mdTrend!.slope - truth.trueMdSlopeDbPerYear;
    result.signedError.push(error);
    result.absError.push(Math.abs(error));
    const mtdSlope = olsSlope(
      analysis.tests.map((t) => t.years),
      analysis.tests.map((t) => t.indices.mtd),
    );
    result.absErrorMtd.push(Math.abs(mtdSlope - truth.trueMdSlopeDbPerYear));
    result.gpa[analysis.gpa.last] = (result.gpa[analysis.gpa.last] ?? 0) + 1;
    result.verdicts[analysis.verdict] = (result.verdicts[analysis.verdict] ?? 0) + 1;
  }
  console.log(`\n${name}: ${perArm} series`);
  console.log(`  PoPLR p < 0.05: ${wilson(detected, perArm)}`);
  console.log(
    `  MD slope error (weighted MD, vs noise-free unweighted MD): median |err| ${median(result.absError).toFixed(3)} dB/yr, ` +
      `median signed ${median(result.signedError).toFixed(3)}, 90th percentile |err| ${percentile(result.absError, 0.9).toFixed(3)}`,
  );
  console.log(
    `  MTD (unweighted mean TD) slope: median |err| ${median(result.absErrorMtd).toFixed(3)} dB/yr`,
  );
  console.log(`  GPA-style status at the last test: ${JSON.stringify(result.gpa)}`);
  console.log(`  verdicts: ${JSON.stringify(result.verdicts)}`);
  console.log(
    `  analysis time per series (7 tests, 5040 exact orders): median ${median(result.ms).toFixed(1)} ms, max ${Math.max(...result.ms).toFixed(1)} ms`,
  );
  return { ...result, detected };
}

console.log(`vf-progression benchmark — ${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown CPU'}`);
runArm(
  'progressing: −1 dB/yr MD, 75% from a deepening arcuate (superior/inferior alternating), 7 yearly tests',
  (i) => ({
    seed: `bench-progressing-${i}`,
    eye: i % 2 === 0 ? 'R' : 'L',
    visits: 7,
    intervalYears: 1,
    mdSlopeDbPerYear: -1,
    arcuate: i % 4 < 2 ? 'superior' : 'inferior',
  }),
);
runArm('slower: −0.5 dB/yr MD, arcuate, 7 yearly tests', (i) => ({
  seed: `bench-slow-${i}`,
  eye: i % 2 === 0 ? 'R' : 'L',
  visits: 7,
  intervalYears: 1,
  mdSlopeDbPerYear: -0.5,
  arcuate: i % 4 < 2 ? 'superior' : 'inferior',
}));
runArm('stable: no progression, 7 yearly tests', (i) => ({
  seed: `bench-stable-${i}`,
  eye: i % 2 === 0 ? 'R' : 'L',
  visits: 7,
  intervalYears: 1,
  mdSlopeDbPerYear: 0,
  arcuate: 'none',
}));

runArm(
  'stable, PoPLR on raw sensitivities (visualFields poplr(vf) default) instead of total deviation',
  (i) => ({
    seed: `bench-stable-${i}`,
    eye: i % 2 === 0 ? 'R' : 'L',
    visits: 7,
    intervalYears: 1,
    mdSlopeDbPerYear: 0,
    arcuate: 'none',
  }),
  { poplrValues: 'sensitivity' },
);

{
  let flagged = 0;
  for (let i = 0; i < perArm; i++) {
    const { series, generatorTd } = synthSeriesViaValues({
      seed: `bench-stable-${i}`,
      eye: i % 2 === 0 ? 'R' : 'L',
      visits: 7,
      intervalYears: 1,
      mdSlopeDbPerYear: 0,
      arcuate: 'none',
    });
    const years = series.tests.map((t) => yearsBetween(series.tests[0]!.date, t.date));
    const values = generatorTd.map((td) => nonBlindSpot.map((k) => td[k]!));
    flagged += poplr(years, values).p < 0.05 ? 1 : 0;
  }
  console.log(
    `\nstable, PoPLR on the generator's own TD (exchangeable by construction): p < 0.05 in ${wilson(flagged, perArm)}`,
  );
}

const opvTimes: number[] = [];
for (let i = 0; i < 10; i++) {
  const started = performance.now();
  synthSeriesViaOpv({
    seed: `bench-opv-${i}`,
    eye: 'L',
    visits: 7,
    intervalYears: 1,
    mdSlopeDbPerYear: -1,
    arcuate: 'superior',
  });
  opvTimes.push(performance.now() - started);
}
console.log(
  `\nOPV path (generate 7 OPV objects, parse with dcmjs, convert): median ${median(opvTimes).toFixed(0)} ms per series`,
);

for (const n of [8, 12, 20]) {
  const values = Array.from({ length: n }, (_, i) =>
    Array.from({ length: 52 }, (_, k) => 25 + ((i * 7 + k * 3) % 5)),
  );
  const years = Array.from({ length: n }, (_, i) => i / 2);
  const started = performance.now();
  poplr(years, values, { permutations: 5040 });
  console.log(`PoPLR, ${n} tests, 5040 sampled orders: ${(performance.now() - started).toFixed(0)} ms`);
}

if (vfDataPresent()) {
  const retest = readSharedSeries('vfpwgRetest24d2.csv');
  console.log(
    `\nvfpwgRetest24d2.csv: ${retest.length} eyes (tests span weeks: slopes per year are not clinical)`,
  );
  console.log('  id eye tests spanDays mdSlope(dB/yr) poplrS poplrP gpa verdict');
  let positives = 0;
  for (const series of retest) {
    const a = analyzeVfSeries(series);
    if (a.poplr!.p < 0.05) {
      positives++;
    }
    console.log(
      `  ${series.id} ${series.eye} ${a.tests.length} ${Math.round(a.spanYears * 365.25)} ${a.mdTrend!.slope.toFixed(2)} ` +
        `${a.poplr!.s.toFixed(2)} ${a.poplr!.p.toFixed(4)} ${a.gpa.last} ${a.verdict}`,
    );
  }
  console.log(`  PoPLR false-positive rate at p < 0.05: ${wilson(positives, retest.length)}`);
} else {
  console.log('\n../shared/data/vf is not present: the test–retest part was skipped');
}
