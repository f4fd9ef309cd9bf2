/**
 * Colour fundus photographs among a study's instances: the SOP class the station shows in its fundus viewer and
 * which photograph of an eye to show first.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part04/sect_B.5.html (SOP classes)
 */
import type { InstanceView } from './api.ts';
import type { RegionMark } from './findings.ts';

/** SOP Class UID of Ophthalmic Photography 8 Bit Image Storage. */
export const photographSopClass = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

/** The photograph to show first: the one the AI marked, else the first. */
export function chosenPhotograph(
  photographs: readonly InstanceView[],
  marks: readonly RegionMark[],
): InstanceView | undefined {
  return (
    photographs.find((photo) => marks.some((mark) => mark.sopInstanceUid === photo.sopInstanceUid)) ??
    photographs[0]
  );
}
