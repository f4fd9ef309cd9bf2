/**
 * Seeded pseudo-random numbers for the synthetic data generator. Every generator draws from an `Rng` forked
 * by a label, so adding a lesion never changes the vessel tree drawn from the same seed.
 */
import { createHash } from 'node:crypto';

/** A seed: any integer or string. The same seed always gives the same objects. */
export type Seed = number | string;

/** Hashes a seed and labels into 16 bytes (SHA-256, truncated). */
export function hashParts(parts: readonly (string | number)[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(String(part));
    hash.update('\u0000');
  }
  return hash.digest().subarray(0, 16);
}

/**
 * A small fast generator (sfc32) seeded from SHA-256 of the seed and labels. Not cryptographic.
 */
export class Rng {
  readonly #key: string;
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare: number | undefined;

  constructor(seed: Seed, ...labels: readonly (string | number)[]) {
    this.#key = [String(seed), ...labels.map(String)].join('/');
    const bytes = hashParts([this.#key]);
    this.#a = bytes.readUInt32LE(0);
    this.#b = bytes.readUInt32LE(4);
    this.#c = bytes.readUInt32LE(8);
    this.#d = bytes.readUInt32LE(12) | 1;
    this.#spare = undefined;
    for (let i = 0; i < 12; i++) {
      this.next();
    }
  }

  /** The key this generator was seeded from (seed and labels). */
  get key(): string {
    return this.#key;
  }

  /** An independent generator for a labelled sub-task; does not advance this one. */
  fork(...labels: readonly (string | number)[]): Rng {
    return new Rng(this.#key, ...labels);
  }

  /** The next unsigned 32-bit integer. */
  next(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** A float in [low, high). */
  range(low: number, high: number): number {
    return low + (high - low) * this.float();
  }

  /** An integer in [low, high], both inclusive. */
  int(low: number, high: number): number {
    return low + Math.floor(this.float() * (high - low + 1));
  }

  /** A normal deviate (Box–Muller). */
  normal(mean = 0, sd = 1): number {
    const spare = this.#spare;
    if (spare !== undefined) {
      this.#spare = undefined;
      return mean + sd * spare;
    }
    let u = this.float();
    while (u <= Number.EPSILON) {
      u = this.float();
    }
    const v = this.float();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.#spare = radius * Math.sin(2 * Math.PI * v);
    return mean + sd * radius * Math.cos(2 * Math.PI * v);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One item of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) {
      throw new RangeError('pick from an empty list');
    }
    return item;
  }

  /** Shuffles a list in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}

/**
 * A table of standard normal deviates for per-pixel noise: indexing it with random bits is several times
 * faster than Box–Muller in a pixel loop. The size is a power of two.
 */
export function normalTable(rng: Rng, size = 1 << 16): Float32Array {
  const table = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    table[i] = rng.normal();
  }
  return table;
}
