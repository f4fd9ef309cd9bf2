/**
 * Speed and phantom accuracy of the dr-screening analysis: the time per 2000 × 2000 synthetic photograph and per
 * full-size EyePACS photograph (one thread, after one warm-up run: a worker thread stays warm), then the confusion matrix, exact ICDR agreement and referable
 * sensitivity/specificity over ≥ 200 phantoms (every ICDR level, DME, ungradable artefacts; the gradability
 * verdict is fundus-quality's combined with dr-screening's own checks). Prints figures; not a test.
 * `DR_BENCH_PHANTOMS` sets the phantom count (default 200).
 */
import {
  analyzePhotograph,
  gradeEye,
  gradeOptions,
  type EyeGrade,
} from '../src/analyzers/dr-screening/index.ts';
import { assessFundusQuality } from '../src/analyzers/fundus-quality/index.ts';
import { generateFundusPixels } from '../src/synth/index.ts';
import {
  confusionLines,
  phantomFrame,
  phantomSpecs,
  sensitivitySpecificity,
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

const outcomes: {
  truth: string;
  predicted: string;
  truthReferable: boolean;
  gradable: boolean;
  grade: EyeGrade;
  newVesselsAtDisc: boolean;
  preretinal: boolean;
}[] = [];
for (const spec of phantomSpecs(phantomCount, 'bench')) {
  const pixels = generateFundusPixels({ ...spec, width: 1024, height: 768 });
  const frame = phantomFrame(pixels);
  const quality = assessFundusQuality(frame);
  const analysis = analyzePhotograph(frame);
  const reasons = [...quality.reasons, ...analysis.ownQuality.reasons];
  const grade = gradeEye(
    analysis.evidence,
    { verdict: reasons.length > 0 ? 'ungradable' : 'gradable', reasons, score: quality.score },
    gradeOptions,
  );
  outcomes.push({
    truth: pixels.truth.gradable ? String(pixels.truth.icdr) : 'U',
    predicted: grade.gradable ? String(grade.icdr) : 'U',
    truthReferable: pixels.truth.referable,
    gradable: pixels.truth.gradable,
    grade,
    newVesselsAtDisc: analysis.evidence.newVesselsAtDisc,
    preretinal: analysis.evidence.preretinalHaemorrhage,
  });
}
const labels = ['0', '1', '2', '3', '4', 'U'];
console.log(`\nphantoms: ${outcomes.length} at 1024 × 768 (rows truth, U = ungradable artefact)`);
for (const line of confusionLines(
  outcomes.map((o) => [o.truth, o.predicted] as const),
  labels,
  labels,
)) {
  console.log(line);
}
const both = outcomes.filter((o) => o.gradable && o.grade.gradable);
const exact = both.filter((o) => o.truth === o.predicted).length / both.length;
const referable = sensitivitySpecificity(both.map((o) => [o.truthReferable, o.grade.referable] as const));
const ungradableNone = outcomes.filter((o) => !o.gradable && o.predicted === '0').length;
console.log(
  `exact ICDR agreement ${exact.toFixed(3)} over ${both.length} gradable; referable sensitivity ${referable.sensitivity.toFixed(3)} ` +
    `(${referable.positives}), specificity ${referable.specificity.toFixed(3)} (${referable.negatives}); ungradable graded none: ${ungradableNone}`,
);
const calledPdr = both.filter((o) => o.predicted === '4');
console.log(
  `called PDR ${calledPdr.length} (true ${calledPdr.filter((o) => o.truth === '4').length}): new vessels at the disc ` +
    `${calledPdr.filter((o) => o.newVesselsAtDisc).length}, pre-retinal haemorrhage ${calledPdr.filter((o) => o.preretinal).length}`,
);
