/**
 * Coded concepts of the DR screening findings: LOINC "Diabetic retinopathy severity level by Ophthalmoscopy"
 * per eye with SNOMED CT disorders for levels 1–4 and the LOINC answer for "no apparent retinopathy" (SNOMED CT
 * has no concept for ICDR level 0), LOINC "Macular edema by Ophthalmoscopy" per eye with SNOMED CT macular
 * oedema due to diabetes, and private codes (`99FOVEA`) for the lesion types of the region findings.
 * @see ../../../../shared/docs/standards-reference.md §B.5 (codes as verified there)
 * @see https://loinc.org/71491-5 and https://loinc.org/LL2117-1
 */
import type { CodedConcept, Eye } from '../sdk/index.ts';
import type { IcdrLevel } from './grade.ts';
import type { LesionType } from './lesions.ts';

/** LOINC DR severity per eye (71491-5 right, 71490-7 left). */
export function severityConcept(eye: Eye): CodedConcept {
  return eye === 'R'
    ? {
        value: '71491-5',
        scheme: 'LN',
        meaning: 'Right eye Diabetic retinopathy severity level by Ophthalmoscopy',
      }
    : {
        value: '71490-7',
        scheme: 'LN',
        meaning: 'Left eye Diabetic retinopathy severity level by Ophthalmoscopy',
      };
}

/** LOINC macular oedema per eye (71489-9 right, 71488-1 left). */
export function macularEdemaConcept(eye: Eye): CodedConcept {
  return eye === 'R'
    ? { value: '71489-9', scheme: 'LN', meaning: 'Right eye Macular edema by Ophthalmoscopy' }
    : { value: '71488-1', scheme: 'LN', meaning: 'Left eye Macular edema by Ophthalmoscopy' };
}

/** The coded value of an ICDR level (SNOMED CT for 1–4; LOINC answer LA18643-9 for 0). */
export const icdrCodes: Readonly<Record<IcdrLevel, CodedConcept>> = {
  0: { value: 'LA18643-9', scheme: 'LN', meaning: 'No apparent retinopathy' },
  1: {
    value: '312903003',
    scheme: 'SCT',
    meaning: 'Mild nonproliferative retinopathy due to diabetes mellitus',
  },
  2: {
    value: '312904009',
    scheme: 'SCT',
    meaning: 'Moderate nonproliferative retinopathy due to diabetes mellitus',
  },
  3: {
    value: '312905005',
    scheme: 'SCT',
    meaning: 'Severe nonproliferative retinopathy due to diabetes mellitus',
  },
  4: { value: '59276001', scheme: 'SCT', meaning: 'Proliferative retinopathy due to diabetes mellitus' },
};

/** SNOMED CT macular oedema due to diabetes (the DME suspicion's value). */
export const macularEdemaCode: CodedConcept = {
  value: '312912001',
  scheme: 'SCT',
  meaning: 'Macular edema due to diabetes mellitus',
};

/** Private codes for the lesion types (no verified standard code for each is at hand). */
export const lesionCodes: Readonly<Record<LesionType, CodedConcept>> = {
  microaneurysm: { value: 'DRS-MA', scheme: '99FOVEA', meaning: 'Microaneurysm' },
  haemorrhage: { value: 'DRS-HEM', scheme: '99FOVEA', meaning: 'Intraretinal haemorrhage' },
  'hard-exudate': { value: 'DRS-EX', scheme: '99FOVEA', meaning: 'Hard exudate' },
  'cotton-wool-spot': { value: 'DRS-CWS', scheme: '99FOVEA', meaning: 'Cotton-wool spot' },
  'new-vessels-disc': { value: 'DRS-NVD', scheme: '99FOVEA', meaning: 'New vessels at the disc' },
  'new-vessels-elsewhere': { value: 'DRS-NVE', scheme: '99FOVEA', meaning: 'New vessels elsewhere' },
  'preretinal-haemorrhage': { value: 'DRS-PRH', scheme: '99FOVEA', meaning: 'Pre-retinal haemorrhage' },
};
