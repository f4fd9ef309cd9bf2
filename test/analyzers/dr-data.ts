/**
 * Shared helpers of the dr-screening validation: the real data sets under ../shared/data (never copied here),
 * synthetic phantoms as decoded frames, and the figures the tests and the benchmark print (confusion matrix,
 * sensitivity, specificity, ROC AUC from score histograms).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  analyzePhotograph,
  gradeEye,
  gradeOptions,
  type EyeEvidence,
  type EyeGrade,
} from '../../src/analyzers/dr-screening/index.ts';
import { assessFundusQuality } from '../../src/analyzers/fundus-quality/index.ts';
import type { DecodedFrame } from '../../src/imaging/index.ts';
import { generateFundusPixels } from '../../src/synth/index.ts';
import type { FundusPixels } from '../../src/synth/fundus-image.ts';
import { sharedDataDir } from './fundus-quality-data.ts';

export const driveDir = join(sharedDataDir, 'fundus-drive/training');
export const heimedDir = join(sharedDataDir, 'fundus-heimed');

/** Whether a data folder is present. */
export function present(path: string): boolean {
  return existsSync(path);
}

/** A single-channel image file (GIF, PNG) as bytes, optionally resized (nearest neighbour) to `width`. */
export async function readLabelImage(
  path: string,
  width?: number,
): Promise<{ data: Uint8Array; width: number; height: number }> {
  let pipeline = sharp(path).greyscale();
  if (width !== undefined) {
    pipeline = pipeline.resize({ width, kernel: 'nearest' });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
  };
}

/** One HEI-MED image with its labels. */
export interface HeimedImage {
  readonly image: string;
  readonly mask: string;
  readonly width: number;
  readonly hasExudate: boolean;
  readonly discRow: number;
  readonly discColumn: number;
}

/** The HEI-MED labels (labels.csv). */
export function heimedImages(): HeimedImage[] {
  const [header, ...lines] = readFileSync(join(heimedDir, 'labels.csv'), 'utf8').trim().split(/\r?\n/u);
  const columns = header!.split(',');
  const at = (name: string): number => columns.indexOf(name);
  return lines.map((line) => {
    const cells = line.split(',');
    return {
      image: join(heimedDir, cells[at('image')]!),
      mask: join(heimedDir, cells[at('mask')]!),
      width: Number(cells[at('width')]),
      hasExudate: cells[at('has_exudate')] === '1',
      discRow: Number(cells[at('optic_nerve_row')]),
      discColumn: Number(cells[at('optic_nerve_col')]),
    };
  });
}

/** A phantom's pixels as a decoded frame. */
export function phantomFrame(pixels: FundusPixels): DecodedFrame {
  return {
    rows: pixels.height,
    columns: pixels.width,
    samplesPerPixel: 3,
    bitsAllocated: 8,
    photometricInterpretation: 'RGB',
    data: pixels.rgb,
  };
}

/** One graded phantom: its truth, the grade and the evidence behind it. */
export interface PhantomOutcome {
  readonly truthIcdr: number;
  readonly truthReferable: boolean;
  readonly truthGradable: boolean;
  readonly grade: EyeGrade;
  readonly evidence: EyeEvidence;
}

/**
 * Analyses and grades one photograph with a combined gradability verdict: the fundus-quality analyzer's (a test
 * may use both analyzers; dr-screening itself never imports it) and dr-screening's own checks.
 */
export function gradeFrame(frame: DecodedFrame): { grade: EyeGrade; evidence: EyeEvidence } {
  const quality = assessFundusQuality(frame);
  const analysis = analyzePhotograph(frame);
  const reasons = [...quality.reasons, ...analysis.ownQuality.reasons];
  const grade = gradeEye(
    analysis.evidence,
    { verdict: reasons.length > 0 ? 'ungradable' : 'gradable', reasons, score: quality.score },
    gradeOptions,
  );
  return { grade, evidence: analysis.evidence };
}

/** Generates and grades one phantom (`gradeFrame`). */
export function gradePhantom(spec: Parameters<typeof generateFundusPixels>[0]): PhantomOutcome {
  const pixels = generateFundusPixels(spec);
  return {
    truthIcdr: pixels.truth.icdr,
    truthReferable: pixels.truth.referable,
    truthGradable: pixels.truth.gradable,
    ...gradeFrame(phantomFrame(pixels)),
  };
}

/** A grade's column in the confusion matrix: the ICDR level, or U when ungradable. */
export function label(grade: EyeGrade): string {
  return grade.gradable ? String(grade.icdr) : 'U';
}

/** The phantom set: every ICDR level, DME on a third of levels ≥ 2, and ungradable artefacts. */
export function phantomSpecs(count: number, prefix: string): Parameters<typeof generateFundusPixels>[0][] {
  const artefacts = ['defocus', 'under-exposure', 'over-exposure', 'small-pupil'] as const;
  return Array.from({ length: count }, (_, k) => {
    const icdr = (k % 5) as 0 | 1 | 2 | 3 | 4;
    const withArtefact = k % 8 === 7;
    return {
      seed: `${prefix}-${k}`,
      eye: k % 2 === 0 ? 'R' : 'L',
      icdr,
      dme: icdr >= 2 && k % 3 === 0,
      ...(withArtefact ? { artefacts: [artefacts[(k >> 3) % artefacts.length]!] } : {}),
    };
  });
}

/** Confusion matrix lines: rows truth, columns prediction (`labels`), with row totals. */
export function confusionLines(
  pairs: readonly (readonly [string, string])[],
  truthLabels: readonly string[],
  predictedLabels: readonly string[],
): string[] {
  const lines = [`truth \\ predicted ${predictedLabels.map((label) => label.padStart(6)).join('')}`];
  for (const truth of truthLabels) {
    const row = predictedLabels.map(
      (predicted) => pairs.filter(([t, p]) => t === truth && p === predicted).length,
    );
    lines.push(`${truth.padEnd(17)} ${row.map((count) => String(count).padStart(6)).join('')}`);
  }
  return lines;
}

/** Sensitivity and specificity of binary predictions. */
export function sensitivitySpecificity(pairs: readonly (readonly [boolean, boolean])[]): {
  sensitivity: number;
  specificity: number;
  positives: number;
  negatives: number;
} {
  const positives = pairs.filter(([truth]) => truth);
  const negatives = pairs.filter(([truth]) => !truth);
  return {
    sensitivity: positives.filter(([, predicted]) => predicted).length / Math.max(1, positives.length),
    specificity: negatives.filter(([, predicted]) => !predicted).length / Math.max(1, negatives.length),
    positives: positives.length,
    negatives: negatives.length,
  };
}

/** Binned score counts for a pixel-level ROC (scores clipped to [min, max]). */
export class RocAccumulator {
  readonly positives: Float64Array;
  readonly negatives: Float64Array;
  readonly min: number;
  readonly max: number;
  readonly bins: number;
  constructor(min: number, max: number, bins = 2000) {
    this.min = min;
    this.max = max;
    this.bins = bins;
    this.positives = new Float64Array(bins);
    this.negatives = new Float64Array(bins);
  }
  add(score: number, positive: boolean): void {
    const t = (score - this.min) / (this.max - this.min);
    const bin = Math.min(this.bins - 1, Math.max(0, Math.floor(t * this.bins)));
    (positive ? this.positives : this.negatives)[bin]!++;
  }
  /** Area under the ROC curve (ties within a bin count half). */
  auc(): number {
    let negativesBelow = 0;
    let wins = 0;
    let totalPositives = 0;
    let totalNegatives = 0;
    for (let bin = 0; bin < this.bins; bin++) {
      const p = this.positives[bin]!;
      const n = this.negatives[bin]!;
      wins += p * (negativesBelow + n / 2);
      negativesBelow += n;
      totalPositives += p;
      totalNegatives += n;
    }
    return wins / Math.max(1, totalPositives * totalNegatives);
  }
}
