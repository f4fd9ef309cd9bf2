/**
 * dr-screening on real photographs (../shared/data, never copied here): DRIVE vessel segmentation against the
 * manual masks inside the field of view (accuracy, sensitivity, specificity, AUC), HEI-MED optic-disc
 * localisation and exudate detection, EyePACS grading against the readers' 0–4 levels. Every figure is
 * printed; targets the method does not reach are `todo` assertions (see the README's validation section).
 * Photographs are read at a working width to keep the run short. Skipped when the data is absent, a failure
 * under CI.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzePhotograph, type PhotographWorkings } from '../../src/analyzers/dr-screening/index.ts';
import { underCi } from '../peers/peers.ts';
import {
  confusionLines,
  driveDir,
  gradeFrame,
  heimedDir,
  heimedImages,
  present,
  readLabelImage,
  RocAccumulator,
  sensitivitySpecificity,
} from './dr-data.ts';
import { driveImages, eyepacsDir, eyepacsImages, readImageFrame, summarise } from './fundus-quality-data.ts';

const available = present(driveDir) && present(heimedDir) && present(join(eyepacsDir, 'labels.csv'));
if (!available && underCi) {
  throw new Error('the real fundus data (../shared/data) is required under CI');
}
const skip = available ? false : 'the real fundus data (../shared/data) is not present';

describe('dr-screening on real photographs', { skip }, () => {
  it('segments DRIVE vessels (20 training images, inside the field of view)', async (t) => {
    const roc = new RocAccumulator(-20, 80, 20000);
    let tp = 0;
    let tn = 0;
    let fp = 0;
    let fn = 0;
    for (const path of driveImages()) {
      const id = path.split('/').at(-1)!.slice(0, 2);
      const frame = await readImageFrame(path);
      const workings: { value?: PhotographWorkings } = {};
      analyzePhotograph(frame, workings);
      const { vesselImage, vessels } = workings.value!;
      const truth = await readLabelImage(join(driveDir, '1st_manual', `${id}_manual1.gif`));
      const fov = await readLabelImage(join(driveDir, 'mask', `${id}_training_mask.gif`));
      const width = vessels.mask.width;
      for (let y = 0; y < frame.rows; y++) {
        for (let x = 0; x < frame.columns; x++) {
          const i = y * frame.columns + x;
          if (fov.data[i]! < 128) {
            continue;
          }
          const wx = Math.floor((x + 0.5 - vesselImage.offsetX) * vesselImage.scale);
          const wy = Math.floor((y + 0.5 - vesselImage.offsetY) * vesselImage.scale);
          const inside = wx >= 0 && wy >= 0 && wx < width && wy < vessels.mask.height;
          const w = wy * width + wx;
          const score = inside && vessels.extent.data[w] !== 0 ? vessels.response.data[w]! : -20;
          const predicted = inside && vessels.segmentation.data[w] === 1;
          const positive = truth.data[i]! > 128;
          roc.add(score, positive);
          if (predicted && positive) {
            tp++;
          } else if (predicted) {
            fp++;
          } else if (positive) {
            fn++;
          } else {
            tn++;
          }
        }
      }
    }
    const accuracy = (tp + tn) / (tp + tn + fp + fn);
    const auc = roc.auc();
    t.diagnostic(
      `DRIVE (20 training images, pixels inside the FOV mask): accuracy ${accuracy.toFixed(4)}, sensitivity ` +
        `${(tp / (tp + fn)).toFixed(4)}, specificity ${(tn / (tn + fp)).toFixed(4)}, AUC ${auc.toFixed(4)}`,
    );
    assert.ok(accuracy >= 0.94, `accuracy ${accuracy.toFixed(4)} (issue 6 target 0.94)`);
    assert.ok(auc >= 0.93, `AUC ${auc.toFixed(4)} (issue 6 target 0.93)`);
  });

  it('locates the optic disc and detects exudates on HEI-MED (85 images)', async (t) => {
    const width = 640;
    const errors: number[] = [];
    const perImage: [boolean, boolean][] = [];
    let exudatePixels = 0;
    let covered = 0;
    for (const image of heimedImages()) {
      const frame = await readImageFrame(image.image, width);
      const factor = frame.columns / image.width;
      const analysis = analyzePhotograph(frame);
      errors.push(
        Math.hypot(
          analysis.disc.x - (image.discColumn + 0.5) * factor,
          analysis.disc.y - (image.discRow + 0.5) * factor,
        ) / frame.columns,
      );
      const exudates = analysis.lesions.filter((lesion) => lesion.type === 'hard-exudate');
      perImage.push([image.hasExudate, exudates.length > 0]);
      const mask = await readLabelImage(image.mask, frame.columns);
      for (let y = 0; y < mask.height; y++) {
        for (let x = 0; x < mask.width; x++) {
          if (mask.data[y * mask.width + x] !== 1) {
            continue;
          }
          exudatePixels++;
          if (
            exudates.some((lesion) => Math.hypot(lesion.x - x - 0.5, lesion.y - y - 0.5) <= lesion.radius + 1)
          ) {
            covered++;
          }
        }
      }
    }
    const sorted = [...errors].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const detection = sensitivitySpecificity(perImage);
    t.diagnostic(
      `HEI-MED disc error / image width: ${summarise(errors)}; within 0.05: ${errors.filter((e) => e <= 0.05).length}/${errors.length}`,
    );
    t.diagnostic(
      `HEI-MED exudates per image: sensitivity ${detection.sensitivity.toFixed(3)} (${detection.positives}), specificity ` +
        `${detection.specificity.toFixed(3)} (${detection.negatives}); pixel-level sensitivity ${(covered / Math.max(1, exudatePixels)).toFixed(3)} (${exudatePixels} px at ${width} px wide)`,
    );
    assert.equal(errors.length, 85);
    assert.ok(median <= 0.03, `median disc error ${median.toFixed(4)} of the width`);
  });

  it('grades EyePACS photographs against the readers (confusion matrix, referable among gradable)', async (t) => {
    const pairs: [string, string][] = [];
    const referable: [boolean, boolean][] = [];
    for (const image of eyepacsImages()) {
      const frame = await readImageFrame(image.path, 640);
      const { grade } = gradeFrame(frame);
      pairs.push([String(image.drLevel), grade.gradable ? String(grade.icdr) : 'U']);
      if (grade.gradable) {
        referable.push([image.drLevel >= 2, grade.referable]);
      }
    }
    for (const line of confusionLines(pairs, ['0', '1', '2', '3', '4'], ['0', '1', '2', '3', '4', 'U'])) {
      t.diagnostic(line);
    }
    const result = sensitivitySpecificity(referable);
    t.diagnostic(
      `EyePACS referable (grade ≥ 2) among ${referable.length} gradable: sensitivity ${result.sensitivity.toFixed(3)} ` +
        `(${result.positives}), specificity ${result.specificity.toFixed(3)} (${result.negatives})`,
    );
    assert.equal(pairs.length, 68);
    await t.test(
      'referable sensitivity ≥ 0.85 with specificity ≥ 0.50',
      { todo: 'see README: classical detectors on mixed cameras' },
      () => {
        assert.ok(result.sensitivity >= 0.85 && result.specificity >= 0.5);
      },
    );
  });
});
