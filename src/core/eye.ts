/**
 * Eyes and laterality. Results are always per eye.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.17.5 (Ocular Region Imaged)
 */

/** One eye: right or left. */
export type Eye = 'R' | 'L';

/** The laterality Fovea records for an instance: an eye, both eyes (`B`), or unknown (`U`). */
export type InstanceEye = Eye | 'B' | 'U';

/** The eyes in display order (right first, as clinicians read them). */
export const eyes: readonly Eye[] = ['R', 'L'];

/**
 * Picks the instance laterality from the candidate attributes, most specific first:
 * Frame Laterality (0020,9072), Image Laterality (0020,0062), Measurement Laterality (0024,0113, visual
 * fields), Laterality (0020,0060).
 * Unknown or empty values give `U`; Fovea never guesses an eye.
 */
export function resolveInstanceEye(candidates: readonly (string | undefined)[]): InstanceEye {
  for (const raw of candidates) {
    const value = raw?.trim().toUpperCase();
    if (value === 'R' || value === 'L' || value === 'B') {
      return value;
    }
  }
  return 'U';
}
