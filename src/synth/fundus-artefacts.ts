/**
 * Acquisition artefacts of fundus photographs: defocus, under- and over-exposure, eyelash shadow and
 * small-pupil vignetting. They act on the linear RGB image after illumination, before sensor noise.
 * See standards-reference §B.7 (gradability).
 */
import type { FundusGeometry } from './fundus-anatomy.ts';
import type { Rng } from './rng.ts';

/** An acquisition artefact. */
export type FundusArtefact =
  'defocus' | 'under-exposure' | 'over-exposure' | 'eyelash-shadow' | 'small-pupil';

/** All artefacts. */
export const fundusArtefacts: readonly FundusArtefact[] = [
  'defocus',
  'under-exposure',
  'over-exposure',
  'eyelash-shadow',
  'small-pupil',
];

/** Artefacts that make an image ungradable by themselves (an eyelash shadow at the edge does not). */
export const ungradableArtefacts: readonly FundusArtefact[] = [
  'defocus',
  'under-exposure',
  'over-exposure',
  'small-pupil',
];

/** Whether an image with these artefacts is expected to be gradable. */
export function isGradable(artefacts: readonly FundusArtefact[]): boolean {
  return !artefacts.some((artefact) => ungradableArtefacts.includes(artefact));
}

/** Applies artefacts in a fixed physical order: pupil and lashes, focus, then exposure. */
export function applyArtefacts(
  rgb: Float32Array,
  geometry: FundusGeometry,
  artefacts: readonly FundusArtefact[],
  rng: Rng,
): void {
  const { width, height } = geometry;
  if (artefacts.includes('small-pupil')) {
    smallPupil(rgb, geometry, rng.fork('small-pupil'));
  }
  if (artefacts.includes('eyelash-shadow')) {
    eyelashShadow(rgb, geometry, rng.fork('eyelash'));
  }
  if (artefacts.includes('defocus')) {
    // A blur of ~0.6 % of the field diameter hides small vessels and microaneurysms.
    const radius = Math.max(2, Math.round(geometry.fieldRadius * 0.013));
    for (let pass = 0; pass < 3; pass++) {
      boxBlurRgb(rgb, width, height, radius);
    }
  }
  if (artefacts.includes('under-exposure')) {
    scaleExposure(rgb, 0.22, 0);
  }
  if (artefacts.includes('over-exposure')) {
    scaleExposure(rgb, 2.1, 0.12);
  }
}

function scaleExposure(rgb: Float32Array, gain: number, lift: number): void {
  for (let i = 0; i < rgb.length; i++) {
    rgb[i] = rgb[i]! * gain + lift;
  }
}

/** A 3 × 3 box blur of interleaved RGB in place (edges clamped): the camera's point spread at ~2000 px. */
export function blur3Rgb(rgb: Float32Array, width: number, height: number): void {
  const third = 1 / 3;
  for (let y = 0; y < height; y++) {
    const row = 3 * y * width;
    let pr = rgb[row]!;
    let pg = rgb[row + 1]!;
    let pb = rgb[row + 2]!;
    for (let x = 0; x < width; x++) {
      const i = row + 3 * x;
      const cr = rgb[i]!;
      const cg = rgb[i + 1]!;
      const cb = rgb[i + 2]!;
      const n = x + 1 < width ? i + 3 : i;
      rgb[i] = (pr + cr + rgb[n]!) * third;
      rgb[i + 1] = (pg + cg + rgb[n + 1]!) * third;
      rgb[i + 2] = (pb + cb + rgb[n + 2]!) * third;
      pr = cr;
      pg = cg;
      pb = cb;
    }
  }
  const stride = 3 * width;
  let previous = rgb.slice(0, stride);
  let current = new Float32Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    current.set(rgb.subarray(row, row + stride));
    const next = y + 1 < height ? row + stride : row;
    for (let i = 0; i < stride; i++) {
      rgb[row + i] = (previous[i]! + current[i]! + rgb[next + i]!) * third;
    }
    const swap = previous;
    previous = current;
    current = swap;
  }
}

/** One horizontal and one vertical box-blur pass over interleaved RGB (running sums, edge clamped). */
export function boxBlurRgb(rgb: Float32Array, width: number, height: number, radius: number): void {
  const line = new Float32Array(Math.max(width, height) * 3);
  const window = 2 * radius + 1;
  for (let y = 0; y < height; y++) {
    blurLine(rgb, y * width * 3, 3, width, radius, window, line);
  }
  for (let x = 0; x < width; x++) {
    blurLine(rgb, x * 3, width * 3, height, radius, window, line);
  }
}

function blurLine(
  data: Float32Array,
  start: number,
  stride: number,
  count: number,
  radius: number,
  window: number,
  line: Float32Array,
): void {
  for (let i = 0; i < count; i++) {
    const at = start + i * stride;
    line[3 * i] = data[at]!;
    line[3 * i + 1] = data[at + 1]!;
    line[3 * i + 2] = data[at + 2]!;
  }
  let r = 0;
  let g = 0;
  let b = 0;
  for (let k = -radius; k <= radius; k++) {
    const j = 3 * Math.min(count - 1, Math.max(0, k));
    r += line[j]!;
    g += line[j + 1]!;
    b += line[j + 2]!;
  }
  for (let i = 0; i < count; i++) {
    const at = start + i * stride;
    data[at] = r / window;
    data[at + 1] = g / window;
    data[at + 2] = b / window;
    const add = 3 * Math.min(count - 1, i + radius + 1);
    const remove = 3 * Math.max(0, i - radius);
    r += line[add]! - line[remove]!;
    g += line[add + 1]! - line[remove + 1]!;
    b += line[add + 2]! - line[remove + 2]!;
  }
}

/** A small pupil: strong, slightly off-centre vignetting that leaves a dim periphery and a hazy centre. */
function smallPupil(rgb: Float32Array, geometry: FundusGeometry, rng: Rng): void {
  const { width, height, fieldRadius } = geometry;
  const cx = geometry.fieldCentreX + rng.normal(0, 0.06) * fieldRadius;
  const cy = geometry.fieldCentreY + rng.normal(0, 0.06) * fieldRadius;
  const inner = fieldRadius * rng.range(0.3, 0.42);
  const outer = fieldRadius * rng.range(0.78, 0.9);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const d = Math.hypot(x - cx, y - cy);
      const t = Math.min(1, Math.max(0, (d - inner) / (outer - inner)));
      const keep = 1 - 0.93 * t * t * (3 - 2 * t);
      const haze = 0.06 * (1 - t);
      const i = 3 * (y * width + x);
      rgb[i] = rgb[i]! * keep + haze;
      rgb[i + 1] = rgb[i + 1]! * keep + haze * 0.8;
      rgb[i + 2] = rgb[i + 2]! * keep + haze * 0.7;
    }
  }
}

/** Dark blurred curved bands entering the field from its upper edge. */
function eyelashShadow(rgb: Float32Array, geometry: FundusGeometry, rng: Rng): void {
  const { width, height, fieldRadius } = geometry;
  const shadow = new Float32Array(width * height);
  const lashes = rng.int(3, 6);
  const top = geometry.fieldCentreY - fieldRadius;
  for (let l = 0; l < lashes; l++) {
    let x = geometry.fieldCentreX + rng.range(-0.6, 0.6) * fieldRadius;
    let y = top - 0.05 * fieldRadius;
    let angle = Math.PI / 2 + rng.normal(0, 0.35);
    const bend = rng.normal(0, 1.2) / fieldRadius;
    const halfWidth = fieldRadius * rng.range(0.025, 0.05);
    const length = fieldRadius * rng.range(0.35, 0.7);
    const strength = rng.range(0.45, 0.7);
    const step = Math.max(1, halfWidth / 2);
    for (let travelled = 0; travelled < length; travelled += step) {
      const fade = 1 - travelled / length;
      stampShadow(shadow, width, height, x, y, halfWidth * (0.6 + 0.4 * fade), strength * (0.4 + 0.6 * fade));
      angle += bend * step;
      x += step * Math.cos(angle);
      y += step * Math.sin(angle);
    }
  }
  for (let i = 0; i < shadow.length; i++) {
    const keep = 1 - Math.min(0.85, shadow[i]!);
    rgb[3 * i] = rgb[3 * i]! * keep;
    rgb[3 * i + 1] = rgb[3 * i + 1]! * keep;
    rgb[3 * i + 2] = rgb[3 * i + 2]! * keep;
  }
}

function stampShadow(
  shadow: Float32Array,
  width: number,
  height: number,
  cx: number,
  cy: number,
  radius: number,
  strength: number,
): void {
  const reach = Math.ceil(radius * 2);
  for (let y = Math.max(0, Math.floor(cy - reach)); y <= Math.min(height - 1, cy + reach); y++) {
    for (let x = Math.max(0, Math.floor(cx - reach)); x <= Math.min(width - 1, cx + reach); x++) {
      const d = Math.hypot(x - cx, y - cy) / radius;
      const value = strength * Math.exp(-d * d);
      const index = y * width + x;
      if (value > shadow[index]!) {
        shadow[index] = value;
      }
    }
  }
}
