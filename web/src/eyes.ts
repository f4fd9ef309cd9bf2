/**
 * The eyes as the station names and orders them: the right eye first, shown on the left, as the clinician faces
 * the patient (OD / OS, the DICOM Laterality R / L).
 */

/** The name shown for each eye. */
export const eyeNames = { R: 'Right eye (OD)', L: 'Left eye (OS)' } as const;

/** Both eyes in the order the station lays them out: right, then left. */
export const eyesRightFirst = ['R', 'L'] as const;
