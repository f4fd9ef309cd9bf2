/**
 * Accuracy and speed of the fundus-quality assessment: the DRIVE images, degraded versions of the gradable
 * photographs, and the EyePACS sample against its EyeQ quality grades (confusion matrix, score
 * distributions, ROC AUC, compared with a naive baseline: the variance of the Laplacian of the green channel);
 * then decode and assessment times on a 2000 × 2000 synthetic OP photograph. Prints figures; not a test.
 */
import { cpus } from 'node:os';
import { assessFundusQuality } from '../src/analyzers/fundus-quality/index.ts';
import {
  decodeFrame,
  downsampleFrame,
  erodeMask,
  fitSize,
  laplacianVariance,
  type DecodedFrame,
  type Mask,
} from '../src/imaging/index.ts';
import { generateFundus } from '../src/synth/index.ts';
import {
  confusionMatrix,
  degradations,
  driveImages,
  eyepacsImages,
  readImageFrame,
  realDataPresent,
  rocAuc,
  summarise,
  type GradedResult,
} from '../test/analyzers/fundus-quality-data.ts';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The naive baseline: Laplacian variance of the green channel at 512 px, over pixels brighter than 10 %. */
function laplacianBaseline(frame: DecodedFrame): number {
  const size = fitSize(frame.columns, frame.rows, 512);
  const planes = downsampleFrame(frame, size.width, size.height);
  const green = planes[Math.min(1, planes.length - 1)]!;
  const red = planes[0]!;
  const lit: Mask = {
    width: green.width,
    height: green.height,
    data: Uint8Array.from(red.data, (value) => (value > 0.1 ? 1 : 0)),
  };
  return laplacianVariance(green, erodeMask(lit, 4));
}

console.log(
  `fundus-quality benchmark — ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`,
);

if (realDataPresent()) {
  const drive = await Promise.all(driveImages().map((path) => readImageFrame(path)));
  const driveAssessments = drive.map((frame) => assessFundusQuality(frame));
  const driveGradable = driveAssessments.filter((assessment) => assessment.verdict === 'gradable').length;
  console.log(
    `\nDRIVE training images: ${driveGradable}/${drive.length} gradable; scores ${summarise(driveAssessments.map((a) => a.score))}`,
  );

  const eyepacs = eyepacsImages();
  const results: (GradedResult & { baseline: number; ms: number })[] = [];
  const good: DecodedFrame[] = [];
  for (const image of eyepacs) {
    const frame = await readImageFrame(image.path);
    const started = performance.now();
    const assessment = assessFundusQuality(frame);
    const ms = performance.now() - started;
    results.push({
      quality: image.quality,
      verdict: assessment.verdict,
      score: assessment.score,
      baseline: laplacianBaseline(frame),
      ms,
    });
    if (image.quality === 'Good') {
      good.push(await readImageFrame(image.path, 1024));
    }
  }
  console.log(`\nEyePACS sample (${results.length} images) against EyeQ grades:`);
  for (const line of confusionMatrix(results)) {
    console.log(`  ${line}`);
  }
  for (const grade of ['Good', 'Usable', 'Reject', 'unlabelled'] as const) {
    const scores = results.filter((result) => result.quality === grade).map((result) => result.score);
    console.log(`  scores ${grade.padEnd(10)} ${summarise(scores)}`);
  }
  const scoresOf = (grade: string, key: 'score' | 'baseline'): number[] =>
    results.filter((result) => result.quality === grade).map((result) => result[key]);
  for (const key of ['score', 'baseline'] as const) {
    const name = key === 'score' ? 'fundus-quality score' : 'baseline (Laplacian variance)';
    const auc = rocAuc(scoresOf('Good', key), scoresOf('Reject', key));
    const aucWithUsable = rocAuc(
      [...scoresOf('Good', key), ...scoresOf('Usable', key)],
      scoresOf('Reject', key),
    );
    console.log(
      `  ROC AUC, ${name}: Good vs Reject ${auc.toFixed(3)}; Good+Usable vs Reject ${aucWithUsable.toFixed(3)}`,
    );
  }
  const times = results.map((result) => result.ms);
  console.log(
    `  assessment time per 2048 px photograph: median ${median(times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`,
  );

  console.log(
    `\nDegradations of the ${drive.length} DRIVE and ${good.length} EyeQ-Good photographs (EyePACS at 1024 px):`,
  );
  for (const degradation of degradations) {
    const assessments = [...drive, ...good].map((frame) => assessFundusQuality(degradation.apply(frame)));
    const detected = assessments.filter(
      (assessment) => assessment.verdict === 'ungradable' && assessment.reasons.includes(degradation.reason),
    ).length;
    console.log(
      `  ${degradation.name.padEnd(48)} ${detected}/${assessments.length} ungradable with '${degradation.reason}'`,
    );
  }
} else {
  console.log('\nthe real fundus data (../shared/data) is not present: accuracy figures skipped');
}

console.log('\n2000 × 2000 synthetic OP photograph (decode + assessment, best and median of 5 warm runs):');
for (const transferSyntax of ['explicit-le', 'jpeg-baseline'] as const) {
  const fundus = await generateFundus({ seed: 'bench', eye: 'R', width: 2000, height: 2000, transferSyntax });
  const decodeTimes: number[] = [];
  const assessTimes: number[] = [];
  for (let run = 0; run <= 5; run++) {
    const started = performance.now();
    const frame = await decodeFrame(fundus.part10);
    const decoded = performance.now();
    assessFundusQuality(frame);
    if (run > 0) {
      decodeTimes.push(decoded - started);
      assessTimes.push(performance.now() - decoded);
    }
  }
  console.log(
    `  ${transferSyntax.padEnd(14)} decode best ${Math.min(...decodeTimes).toFixed(0)} ms, median ${median(decodeTimes).toFixed(0)} ms; ` +
      `assess best ${Math.min(...assessTimes).toFixed(0)} ms, median ${median(assessTimes).toFixed(0)} ms`,
  );
}
