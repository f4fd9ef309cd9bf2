/**
 * Real fundus photographs for the fundus-quality validation test and benchmark: the public DRIVE and EyePACS
 * samples under ../shared/data (never copied into the repository), read with sharp into decoded frames, the
 * degradations the validation applies, and the figures it reports (confusion matrix, ROC AUC).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { gaussianBlur, type DecodedFrame } from '../../src/imaging/index.ts';

/** The shared data folder (`../shared/data` from the repository root). */
export const sharedDataDir = resolve(import.meta.dirname, '../../../shared/data');
export const driveImagesDir = join(sharedDataDir, 'fundus-drive/training/images');
export const eyepacsDir = join(sharedDataDir, 'fundus-eyepacs');

/** Whether the real data sets are present. */
export function realDataPresent(): boolean {
  return existsSync(driveImagesDir) && existsSync(join(eyepacsDir, 'labels.csv'));
}

/** Paths of the 20 DRIVE training images. */
export function driveImages(): string[] {
  return readdirSync(driveImagesDir)
    .filter((name) => name.endsWith('.tif'))
    .sort()
    .map((name) => join(driveImagesDir, name));
}

/** EyeQ quality grade of an EyePACS image (`unlabelled` where EyeQ did not grade it). */
export type EyeqQuality = 'Good' | 'Usable' | 'Reject' | 'unlabelled';

/** One EyePACS image with its labels. */
export interface EyepacsImage {
  readonly name: string;
  readonly path: string;
  readonly quality: EyeqQuality;
  readonly drLevel: number;
}

/** The EyePACS sample with its EyeQ quality labels (labels.csv). */
export function eyepacsImages(): EyepacsImage[] {
  const [header, ...lines] = readFileSync(join(eyepacsDir, 'labels.csv'), 'utf8').trim().split(/\r?\n/u);
  const columns = header!.split(',');
  const at = (name: string): number => columns.indexOf(name);
  return lines.map((line) => {
    const cells = line.split(',');
    const quality = cells[at('eyeq_quality')]?.trim() ?? '';
    return {
      name: cells[at('image')]!,
      path: join(eyepacsDir, 'images', cells[at('image')]!),
      quality: quality === 'Good' || quality === 'Usable' || quality === 'Reject' ? quality : 'unlabelled',
      drLevel: Number(cells[at('dr_level')]),
    };
  });
}

/** Reads an image file (TIFF, JPEG, PNG) into an 8-bit RGB decoded frame, optionally no wider than `maxWidth`. */
export async function readImageFrame(path: string, maxWidth?: number): Promise<DecodedFrame> {
  let pipeline = sharp(path).removeAlpha().toColourspace('srgb');
  if (maxWidth !== undefined) {
    pipeline = pipeline.resize({ width: maxWidth, withoutEnlargement: true });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return {
    rows: info.height,
    columns: info.width,
    samplesPerPixel: 3,
    bitsAllocated: 8,
    photometricInterpretation: 'RGB',
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

function withData(
  frame: DecodedFrame,
  data: Uint8Array,
  columns = frame.columns,
  rows = frame.rows,
): DecodedFrame {
  return { ...frame, rows, columns, data };
}

/** Every sample × gain + offset (offset in 0–255 units), rounded and clipped to 8 bits: under- or over-exposure. */
export function exposeFrame(frame: DecodedFrame, gain: number, offset = 0): DecodedFrame {
  const out = new Uint8Array(frame.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.min(255, Math.max(0, Math.round(frame.data[i]! * gain + offset)));
  }
  return withData(frame, out);
}

/** Gaussian blur of every channel with standard deviation `sigma` pixels: defocus. */
export function blurFrame(frame: DecodedFrame, sigma: number): DecodedFrame {
  const { rows, columns } = frame;
  const pixels = rows * columns;
  const out = new Uint8Array(frame.data.length);
  const plane = new Float32Array(pixels);
  for (let channel = 0; channel < 3; channel++) {
    for (let i = 0; i < pixels; i++) {
      plane[i] = frame.data[3 * i + channel]!;
    }
    const blurred = gaussianBlur({ width: columns, height: rows, data: plane }, sigma).data;
    for (let i = 0; i < pixels; i++) {
      out[3 * i + channel] = Math.round(blurred[i]!);
    }
  }
  return withData(frame, out);
}

/**
 * A veil over the retina (cataract-like haze): every pixel brighter than the black surround becomes
 * `keep × pixel + (1 − keep) × the retina's mean colour`.
 */
export function hazeFrame(frame: DecodedFrame, keep: number): DecodedFrame {
  const mean = [0, 0, 0];
  let count = 0;
  const lit = (i: number): boolean => Math.max(frame.data[i]!, frame.data[i + 1]!, frame.data[i + 2]!) > 20;
  for (let i = 0; i < frame.data.length; i += 3) {
    if (lit(i)) {
      mean[0]! += frame.data[i]!;
      mean[1]! += frame.data[i + 1]!;
      mean[2]! += frame.data[i + 2]!;
      count++;
    }
  }
  const out = new Uint8Array(frame.data);
  for (let i = 0; i < out.length; i += 3) {
    if (lit(i)) {
      for (let c = 0; c < 3; c++) {
        out[i + c] = Math.round(keep * frame.data[i + c]! + ((1 - keep) * mean[c]!) / count);
      }
    }
  }
  return withData(frame, out);
}

/** The `width × height` window at (`x`, `y`) of a frame; parts outside the frame are black. */
export function cropFrame(
  frame: DecodedFrame,
  x: number,
  y: number,
  width: number,
  height: number,
): DecodedFrame {
  const out = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const sourceRow = row + y;
    if (sourceRow < 0 || sourceRow >= frame.rows) {
      continue;
    }
    for (let column = 0; column < width; column++) {
      const sourceColumn = column + x;
      if (sourceColumn < 0 || sourceColumn >= frame.columns) {
        continue;
      }
      const from = 3 * (sourceRow * frame.columns + sourceColumn);
      out.set(frame.data.subarray(from, from + 3), 3 * (row * width + column));
    }
  }
  return withData(frame, out, width, height);
}

/** A degradation of the validation, with the reason it must produce. */
export interface Degradation {
  readonly name: string;
  readonly reason: 'blur' | 'underexposed' | 'overexposed' | 'low-contrast' | 'field-of-view';
  apply(frame: DecodedFrame): DecodedFrame;
}

/** The degradations the validation applies to gradable photographs. */
export const degradations: readonly Degradation[] = [
  {
    name: 'Gaussian blur, sigma 0.6 % of the shorter side',
    reason: 'blur',
    apply: (frame) => blurFrame(frame, 0.006 * Math.min(frame.rows, frame.columns)),
  },
  { name: 'under-exposure ×0.25', reason: 'underexposed', apply: (frame) => exposeFrame(frame, 0.25) },
  {
    name: 'over-exposure ×3 + 51, clipped',
    reason: 'overexposed',
    apply: (frame) => exposeFrame(frame, 3, 51),
  },
  {
    name: 'haze: 30 % image, 70 % mean colour',
    reason: 'low-contrast',
    apply: (frame) => hazeFrame(frame, 0.3),
  },
  {
    name: 'cropped: top-left quarter kept',
    reason: 'field-of-view',
    apply: (frame) => cropFrame(frame, 0, 0, Math.floor(frame.columns / 2), Math.floor(frame.rows / 2)),
  },
  {
    name: 'field shifted right by 45 % of the width',
    reason: 'field-of-view',
    apply: (frame) => cropFrame(frame, -Math.round(0.45 * frame.columns), 0, frame.columns, frame.rows),
  },
];

/** Area under the ROC curve: the probability that a positive scores above a negative (ties count half). */
export function rocAuc(positives: readonly number[], negatives: readonly number[]): number {
  if (positives.length === 0 || negatives.length === 0) {
    return Number.NaN;
  }
  let wins = 0;
  for (const p of positives) {
    for (const n of negatives) {
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    }
  }
  return wins / (positives.length * negatives.length);
}

/** Minimum, median and maximum of some numbers, formatted. */
export function summarise(values: readonly number[]): string {
  if (values.length === 0) {
    return 'n=0';
  }
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `n=${sorted.length} min ${sorted[0]!.toFixed(3)} median ${median.toFixed(3)} max ${sorted.at(-1)!.toFixed(3)}`;
}

/** One EyePACS result for the report. */
export interface GradedResult {
  readonly quality: EyeqQuality;
  readonly verdict: 'gradable' | 'ungradable';
  readonly score: number;
}

/** The confusion matrix of EyeQ grades against verdicts, as text lines. */
export function confusionMatrix(results: readonly GradedResult[]): string[] {
  const grades: EyeqQuality[] = ['Good', 'Usable', 'Reject', 'unlabelled'];
  const lines = ['EyeQ grade   gradable  ungradable'];
  for (const grade of grades) {
    const ofGrade = results.filter((result) => result.quality === grade);
    const gradable = ofGrade.filter((result) => result.verdict === 'gradable').length;
    lines.push(
      `${grade.padEnd(12)} ${String(gradable).padStart(8)}  ${String(ofGrade.length - gradable).padStart(10)}`,
    );
  }
  return lines;
}
