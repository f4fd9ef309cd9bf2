/**
 * Deterministic UIDs for synthetic objects: the same seed and labels always give the same UID, so a
 * regenerated study is the same study.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part05.html#sect_B.2
 */
import { hashParts } from './rng.ts';
import type { Seed } from './rng.ts';

/** A UID under the 2.25 root derived from a seed and labels (128 bits of SHA-256). */
export function deriveUid(seed: Seed, ...labels: readonly (string | number)[]): string {
  const bytes = hashParts(['fovea-synth-uid', seed, ...labels]);
  const value = BigInt(`0x${bytes.toString('hex')}`);
  return `2.25.${(value === 0n ? 1n : value).toString(10)}`;
}
