/**
 * Generation times of the synthetic data generator (src/synth). Targets from the issue: a 49 × 496 × 512 OCT
 * volume in under 2 s, a 2000 × 2000 fundus in under 1 s. Prints the first (cold) run and the median and
 * best of the warm runs. Not a pass/fail test.
 */
import { cpus } from 'node:os';
import {
  generateFundus,
  generateFundusPixels,
  generateOctCircleScan,
  generateOctVolume,
  generateOctVolumePixels,
  generateVisualField,
  generateVisualFieldSeries,
} from '../src/synth/index.ts';

interface Result {
  readonly name: string;
  readonly target?: number;
  readonly cold: number;
  readonly warm: number[];
}

async function time(
  name: string,
  runs: number,
  task: (run: number) => unknown,
  target?: number,
): Promise<Result> {
  const samples: number[] = [];
  for (let run = 0; run <= runs; run++) {
    const started = performance.now();
    await task(run);
    samples.push(performance.now() - started);
  }
  return { name, cold: samples[0]!, warm: samples.slice(1), ...(target === undefined ? {} : { target }) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const runs = Number(process.env.BENCH_RUNS ?? 5);
const results: Result[] = [];
results.push(
  await time(
    'OCT volume 49×496×512, pixels + truth',
    runs,
    (run) => generateOctVolumePixels({ seed: `b${run}`, eye: 'R' }),
    2000,
  ),
);
results.push(
  await time('OCT volume 49×496×512 + SLO, DICOM explicit LE', runs, (run) =>
    generateOctVolume({ seed: `b${run}`, eye: 'R', fluid: ['irf', 'srf'] }),
  ),
);
results.push(
  await time('OCT volume 49×496×512 + SLO, DICOM JPEG baseline', runs, (run) =>
    generateOctVolume({ seed: `b${run}`, eye: 'R', transferSyntax: 'jpeg-baseline' }),
  ),
);
results.push(
  await time(
    'Fundus 2000×2000 ICDR 3, pixels + truth',
    runs,
    (run) => generateFundusPixels({ seed: `b${run}`, eye: 'L', icdr: 3, width: 2000, height: 2000 }),
    1000,
  ),
);
results.push(
  await time('Fundus 2000×2000 ICDR 3, DICOM explicit LE', runs, (run) =>
    generateFundus({ seed: `b${run}`, eye: 'L', icdr: 3, width: 2000, height: 2000 }),
  ),
);
results.push(
  await time('Fundus 2000×2000 ICDR 3, DICOM JPEG baseline', runs, (run) =>
    generateFundus({
      seed: `b${run}`,
      eye: 'L',
      icdr: 3,
      width: 2000,
      height: 2000,
      transferSyntax: 'jpeg-baseline',
    }),
  ),
);
results.push(
  await time('Fundus 1600×1200 ICDR 0, DICOM explicit LE', runs, (run) =>
    generateFundus({ seed: `b${run}`, eye: 'R', width: 1600, height: 1200 }),
  ),
);
results.push(
  await time('OCT circle scan 768×496 + SLO, DICOM', runs, (run) =>
    generateOctCircleScan({ seed: `b${run}`, eye: 'R' }),
  ),
);
results.push(
  await time('Visual field 24-2, DICOM', runs, (run) => generateVisualField({ seed: `b${run}`, eye: 'R' })),
);
results.push(
  await time('Visual field series of 8, DICOM', runs, (run) =>
    generateVisualFieldSeries({ seed: `b${run}`, eye: 'R', visits: 8, mdSlopeDbPerYear: -1 }),
  ),
);

console.log(
  `fovea synth benchmark — Node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}), ${runs} warm runs`,
);
console.log('');
console.log(
  `${'task'.padEnd(52)} ${'cold'.padStart(9)} ${'median'.padStart(9)} ${'best'.padStart(9)}   target`,
);
for (const result of results) {
  const warmMedian = median(result.warm);
  const verdict =
    result.target === undefined
      ? ''
      : `< ${result.target} ms ${warmMedian < result.target ? 'met' : 'NOT met'}`;
  console.log(
    `${result.name.padEnd(52)} ${result.cold.toFixed(0).padStart(6)} ms ${warmMedian.toFixed(0).padStart(6)} ms ${Math.min(
      ...result.warm,
    )
      .toFixed(0)
      .padStart(6)} ms   ${verdict}`,
  );
}
