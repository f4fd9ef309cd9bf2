/**
 * Fovea Synth: realistic synthetic ophthalmic DICOM studies with ground truth — colour fundus photographs
 * (OP), OCT cubes and circle scans with their SLO images (OPT + OP), visual fields (OPV), patients, visits
 * and cohorts. Every object is deterministic for its seed and comes with a `*.truth.json`.
 */
export type { Seed } from './rng.ts';
export { Rng } from './rng.ts';
export { deriveUid } from './uids.ts';

export type {
  SynthPatient,
  SynthSeriesRef,
  SynthStudyRef,
  MakePatientOptions,
  MakeStudyOptions,
} from './patients.ts';
export { addDays, makePatient, makeSeries, makeStudy, patientAge, yearsBetween } from './patients.ts';

export type { SynthTransferSyntax } from './dicom-part10.ts';
export { transferSyntaxUids } from './dicom-part10.ts';
export { ophthalmicPhotography8BitSopClassUid } from './dicom-op.ts';
export { ophthalmicTomographySopClassUid } from './dicom-opt.ts';
export { visualFieldSopClassUid } from './dicom-opv.ts';

export type { SynthContext, SynthObject } from './objects.ts';
export { seriesNumbers, writeObjects } from './objects.ts';

export type { FundusQuadrant } from './fundus-anatomy.ts';
export { fundusQuadrants } from './fundus-anatomy.ts';
export type { FundusArtefact } from './fundus-artefacts.ts';
export { fundusArtefacts, isGradable } from './fundus-artefacts.ts';
export type {
  FundusLesion,
  FundusLesionType,
  IcdrLevel,
  SevereCriterion,
  VenousBeading,
  VitreousHaemorrhage,
} from './fundus-lesions.ts';
export { lesionLabels } from './fundus-lesions.ts';
export type { FundusPixelOptions, FundusPixels } from './fundus-image.ts';
export { generateFundusPixels } from './fundus-image.ts';
export type { FundusOptions } from './generate-fundus.ts';
export { generateFundus } from './generate-fundus.ts';

export type { BoundaryName, LayerThickness } from './oct-layers.ts';
export { boundaryNames } from './oct-layers.ts';
export type { FluidType } from './oct-pathology.ts';
export { fluidLabels, fluidTypes } from './oct-pathology.ts';
export type { OctVolumeOptions, OctVolumePixels } from './oct-volume.ts';
export { etdrsFromBoundaries, etdrsSubfield, generateOctVolumePixels } from './oct-volume.ts';
export type { OctCircleScanOptions, OctCircleScanPixels } from './oct-circle-scan.ts';
export {
  generateOctCircleScanPixels,
  rnflClockHour,
  rnflQuadrant,
  rnflSector,
  tsnitAngle,
} from './oct-circle-scan.ts';
export type { SloPixels } from './slo-image.ts';
export type { OctCircleScanObjectOptions, OctObjects, OctVolumeObjectOptions } from './generate-oct.ts';
export { generateOctCircleScan, generateOctVolume } from './generate-oct.ts';

export type { ArcuateDefect, VfLocation, VfPattern, VfPointValue, VfTestValues } from './visual-field.ts';
export { generateVisualFieldValues, normalSensitivity, retestSd, vfLocations } from './visual-field.ts';
export type { VfSeriesOptions, VfSeriesTruth } from './vf-series.ts';
export { generateVisualFieldSeriesValues, olsSlope } from './vf-series.ts';
export type { VisualFieldOptions, VisualFieldSeriesOptions } from './generate-vf.ts';
export { generateVisualField, generateVisualFieldSeries } from './generate-vf.ts';

export type { EyeFindings, PatientStudy, PatientStudyOptions, VisitContent } from './patient-study.ts';
export { generatePatientStudy } from './patient-study.ts';
export type {
  Cohort,
  CohortCase,
  CohortCaseType,
  CohortEyeTruth,
  CohortManifest,
  CohortOptions,
  ExpectedTriage,
} from './cohort.ts';
export { cohortCaseTypes, generateCohort } from './cohort.ts';

export type {
  CircleScanTruth,
  EtdrsThickness,
  FluidVolume,
  FundusTruth,
  OctVolumeTruth,
  RleMask,
  RnflSectors,
  SloTruth,
  TruthHeader,
  TruthKind,
  VisualFieldTruth,
} from './truth.ts';
export { decodeRle, encodeRle, truthSchema, truthToJson } from './truth.ts';
export type { ContactSheetOptions, SheetTile } from './contact-sheet.ts';
export { renderContactSheet, visualFieldGreyscale } from './contact-sheet.ts';
