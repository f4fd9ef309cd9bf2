/**
 * Smooth random fields (value noise) for textures: choroidal mottling, illumination, speckle envelopes.
 * Fields are computed on a coarse lattice and interpolated, so a full-resolution field costs a few
 * nanoseconds per pixel.
 */
import type { Rng } from './rng.ts';

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/**
 * Adds `amplitude` × a smooth random field with features about `cellPx` pixels wide to `out` (values of the
 * field lie in [-1, 1]).
 */
export function addSmoothField(
  out: Float32Array,
  width: number,
  height: number,
  cellPx: number,
  amplitude: number,
  rng: Rng,
): void {
  const cell = Math.max(1, cellPx);
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) {
    grid[i] = rng.float() * 2 - 1;
  }
  const x0s = new Int32Array(width);
  const wxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const gx = x / cell;
    const ix = Math.floor(gx);
    x0s[x] = ix;
    wxs[x] = smooth(gx - ix);
  }
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const iy = Math.floor(gy);
    const wy = smooth(gy - iy);
    const row0 = iy * gw;
    const row1 = row0 + gw;
    const base = y * width;
    for (let x = 0; x < width; x++) {
      const ix = x0s[x]!;
      const wx = wxs[x]!;
      const top = grid[row0 + ix]! + (grid[row0 + ix + 1]! - grid[row0 + ix]!) * wx;
      const bottom = grid[row1 + ix]! + (grid[row1 + ix + 1]! - grid[row1 + ix]!) * wx;
      out[base + x]! += amplitude * (top + (bottom - top) * wy);
    }
  }
}

/**
 * Fractal (multi-octave) smooth noise: octaves of halving feature size and amplitude `persistence`^k.
 * The result is roughly in [-1, 1].
 */
export function fractalField(
  width: number,
  height: number,
  baseCellPx: number,
  octaves: number,
  rng: Rng,
  persistence = 0.5,
): Float32Array {
  const out = new Float32Array(width * height);
  let amplitude = 1;
  let total = 0;
  let cell = baseCellPx;
  for (let octave = 0; octave < octaves && cell >= 1; octave++) {
    addSmoothField(out, width, height, cell, amplitude, rng);
    total += amplitude;
    amplitude *= persistence;
    cell /= 2;
  }
  if (total > 0) {
    for (let i = 0; i < out.length; i++) {
      out[i]! /= total;
    }
  }
  return out;
}

/** A value-noise sampler at arbitrary coordinates (lattice spacing 1), in [-1, 1]. */
export type NoiseSampler = (x: number, y: number) => number;

/** Makes a 2-D value-noise sampler from a hashed lattice (no tables, any coordinate range). */
export function valueNoise(rng: Rng): NoiseSampler {
  const seed = rng.next() | 0;
  function lattice(ix: number, iy: number): number {
    let h = Math.imul(ix, 374761393) ^ Math.imul(iy, 668265263) ^ seed;
    h = Math.imul(h ^ (h >>> 13), 1274126177);
    h ^= h >>> 16;
    return (h & 0xffff) / 32767.5 - 1;
  }
  return (x: number, y: number): number => {
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    const fx = smooth(x - ix);
    const fy = smooth(y - iy);
    const a = lattice(ix, iy);
    const b = lattice(ix + 1, iy);
    const c = lattice(ix, iy + 1);
    const d = lattice(ix + 1, iy + 1);
    const top = a + (b - a) * fx;
    return top + (c + (d - c) * fx - top) * fy;
  };
}

/**
 * Cellular (Worley) noise: one random feature point with a random radius per unit cell; returns the
 * distance to the nearest feature minus its radius (negative inside a blob). Gives round, irregularly
 * sized blobs, e.g. choroidal vessel lumens.
 */
export function cellularNoise(rng: Rng): NoiseSampler {
  const seed = rng.next() | 0;
  return (x: number, y: number): number => {
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    let best = Infinity;
    for (let oy = -1; oy <= 1; oy++) {
      for (let ox = -1; ox <= 1; ox++) {
        const cx = ix + ox;
        const cy = iy + oy;
        let h = Math.imul(cx, 374761393) ^ Math.imul(cy, 668265263) ^ seed;
        h = Math.imul(h ^ (h >>> 13), 1274126177);
        h ^= h >>> 16;
        // One hash gives the feature position (10 bits each) and its radius.
        const dx = x - (cx + (h & 1023) / 1024);
        const dy = y - (cy + ((h >>> 10) & 1023) / 1024);
        const d = Math.sqrt(dx * dx + dy * dy) - (0.2 + (0.35 * ((h >>> 20) & 1023)) / 1024);
        if (d < best) {
          best = d;
        }
      }
    }
    return best;
  };
}
