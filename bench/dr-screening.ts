/**
 * Speed and phantom accuracy of the dr-screening analysis: the time per 2000 × 2000 synthetic photograph and per
 * full-size EyePACS photograph (one thread, after one warm-up run: a worker thread stays warm), then the confusion matrix, exact ICDR agreement and referable
 * sensitivity/specificity over ≥ 200 phantoms (every ICDR level, DME, ungradable artefacts; the gradability
 * verdict is fundus-quality's combined with dr-screening's own checks) at 2000 × 2000 — a screening camera's
 * resolution, the size of the speed target and the set `test/analyzers/dr-phantoms.test.ts` asserts on — and
 * the same phantoms at 1024 × 768 (a low-resolution camera, where fine new vessels are not resolved). Prints
 * figures; not a test. `DR_BENCH_PHANTOMS` sets the phantom count (default 200).
 */
import { analyzePhotograph } from '../src/analyzers/dr-screening/index.ts';
import { generateFundusPixels } from '../src/synth/index.ts';
import {
  confusionLines,
  gradePhantom,
  label,
  phantomFrame,
  phantomSpecs,
  sensitivitySpecificity,
  type PhantomOutcome,
} from '../test/analyzers/dr-data.ts';
import {
  eyepacsImages,
  readImageFrame,
  realDataPresent,
  summarise,
} from '../test/analyzers/fundus-quality-data.ts';

const phantomCount = Number(process.env.DR_BENCH_PHANTOMS ?? 200);

console.log('dr-screening benchmark (single thread)');
const times: number[] = [];
analyzePhotograph(
  phantomFrame(generateFundusPixels({ seed: 'bench-warm-up', eye: 'L', icdr: 1, width: 2000, height: 2000 })),
);
for (let k = 0; k < 3; k++) {
  const frame = phantomFrame(
    generateFundusPixels({ seed: `bench-speed-${k}`, eye: 'R', icdr: 3, width: 2000, height: 2000 }),
  );
  const started = performance.now();
  analyzePhotograph(frame);
  times.push(performance.now() - started);
}
console.log(`2000 × 2000 phantom: ms per photograph ${summarise(times)}`);
if (realDataPresent()) {
  const real: number[] = [];
  for (const image of eyepacsImages().slice(0, 10)) {
    const frame = await readImageFrame(image.path);
    const started = performance.now();
    analyzePhotograph(frame);
    real.push(performance.now() - started);
  }
  console.log(`EyePACS at full size (10 photographs, 2048 px wide): ms per photograph ${summarise(real)}`);
}

/** Grades the phantom set at one size and prints its confusion matrix and agreement. */
function phantomRun(width: number, height: number): void {
  const outcomes: PhantomOutcome[] = phantomSpecs(phantomCount, 'bench').map((spec) =>
    gradePhantom({ ...spec, width, height }),
  );
  const labels = ['0', '1', '2', '3', '4', 'U'];
  console.log(`\nphantoms: ${outcomes.length} at ${width} × ${height} (rows truth, U = ungradable artefact)`);
  for (const line of confusionLines(
    outcomes.map((o) => [o.truthGradable ? String(o.truthIcdr) : 'U', label(o.grade)] as const),
    labels,
    labels,
  )) {
    console.log(line);
  }
  const both = outcomes.filter((o) => o.truthGradable && o.grade.gradable);
  const exact = both.filter((o) => o.grade.icdr === o.truthIcdr).length / both.length;
  const referable = sensitivitySpecificity(both.map((o) => [o.truthReferable, o.grade.referable] as const));
  const ungradableNone = outcomes.filter((o) => !o.truthGradable && label(o.grade) === '0').length;
  console.log(
    `exact ICDR agreement ${exact.toFixed(3)} over ${both.length} gradable; referable sensitivity ${referable.sensitivity.toFixed(3)} ` +
      `(${referable.positives}), specificity ${referable.specificity.toFixed(3)} (${referable.negatives}); ungradable graded none: ${ungradableNone}`,
  );
  const calledPdr = both.filter((o) => o.grade.icdr === 4);
  console.log(
    `called PDR ${calledPdr.length} (true ${calledPdr.filter((o) => o.truthIcdr === 4).length}): new vessels at the disc ` +
      `${calledPdr.filter((o) => o.evidence.newVesselsAtDisc).length}, pre-retinal haemorrhage ${calledPdr.filter((o) => o.evidence.preretinalHaemorrhage).length}`,
  );
}

if (phantomCount > 0) {
  phantomRun(2000, 2000);
  phantomRun(1024, 768);
}
