/**
 * `vf-progression`: glaucoma progression from serial 24-2 visual fields — a pure core (CSV and OPV-content
 * readers, an age-adjusted normative model derived from healthy eyes, per-test indices, MD/VFI trends,
 * pointwise linear regression, PoPLR, GPA-style events and a verdict) with the conventions of the R package
 * visualFields; RNFL thickness from peripapillary OCT circle scans with its trend and event; and the SDK
 * analyzer over a Case's current and prior OPV and circle-scan instances (`analyzer.ts`).
 * @see https://cran.r-project.org/package=visualFields
 */
export { readVfCsv, type VfCsvReadResult } from './csv.ts';
export {
  convertOpv,
  opvSopClassUid,
  seriesFromOpv,
  type OpvConversion,
  type OpvDataset,
  type OpvDeviceIndices,
} from './opv.ts';
export { isComplete242, sortTests, type VfSeries, type VfTest } from './series.ts';
export { locationAt, locationCount, locations242, nonBlindSpot, type VfLocation } from './locations.ts';
export {
  fitNormativeModel,
  generalHeight,
  probabilityLevels,
  type NormativeLocation,
  type NormativeModel,
  type ProbabilityLevel,
} from './normative-model.ts';
export { normativeModel } from './normative-values.ts';
export { computeIndices, totalDeviation, type VfIndices } from './indices.ts';
export {
  fitLine,
  invariantSd,
  quantileSorted,
  seededRandom,
  studentTCdf,
  studentTQuantile,
  yearsBetween,
  type LinearFit,
} from './statistics.ts';
export {
  allOrders,
  permutationP,
  poplr,
  sampledOrders,
  type PoplrOptions,
  type PoplrResult,
} from './poplr.ts';
export { gpaEvents, hensonRetestSd, type GpaResult, type GpaStatus } from './gpa.ts';
export {
  analyzeVfSeries,
  verdictRules,
  type VfProgression,
  type VfProgressionOptions,
  type VfTestSummary,
  type VfVerdict,
} from './progression.ts';
export { analyzer, manifest, modelHash } from './analyzer.ts';
export {
  clockHourOf,
  rnflParameters,
  rnflRegions,
  segmentCircleScan,
  tsnitAngle,
  type RnflCircleScan,
  type RnflThickness,
} from './rnfl-circle-scan.ts';
export {
  analyzeRnflSeries,
  combineVerdicts,
  rnflRules,
  type RnflEvent,
  type RnflMeasurement,
  type RnflProgression,
  type StructureFunction,
} from './rnfl-progression.ts';
export { isCircleScanCandidate, readCircleScan, type CircleScanMeasurement } from './circle-scans.ts';
