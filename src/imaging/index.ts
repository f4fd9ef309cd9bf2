/**
 * Imaging: pixel decoding of DICOM frames and the numeric kernels analyzers share (typed arrays, no per-pixel
 * allocation).
 */
export type { DecodedFrame } from './frame.ts';
export {
  countFrames,
  decodeFrame,
  isDecodeFailure,
  openFrames,
  readDataset,
  readFrameFromFile,
  type FrameSource,
} from './decode-frame.ts';
export { createMask, createPlane, countMask, maxSampleValue, type Mask, type Plane } from './plane.ts';
export { extractChannel, extractGreen } from './channel.ts';
export { luminance, lumaWeights } from './luminance.ts';
export { downsampleFrame, downsamplePlane, fitSize, type Region } from './downsample.ts';
export { gaussianBlur, maskedGaussianBlur } from './gaussian-blur.ts';
export { laplacian, laplacianVariance } from './laplacian.ts';
export { tenengrad } from './tenengrad.ts';
export { histogram, maskedMeanStd, maskedPercentiles, percentile, type Histogram } from './histogram.ts';
export { dilateMask, erodeMask, openMask } from './morphology.ts';
export { fillHoles, largestComponent } from './connected-components.ts';
export {
  createCoarseScratch,
  createPathScratch,
  refineExtremum,
  coarseBands,
  coarseColumns,
  coarseRows,
  traceCoarseToFine,
  tracePath,
  type CoarseScratch,
  type PathScratch,
} from './boundary-path.ts';
export {
  boxBlurColumns,
  boxBlurRows,
  linearOfDisplay,
  smoothPlane,
  verticalGradient,
} from './bscan-filters.ts';
export {
  decodeLabelRuns,
  encodeLabelRuns,
  isEncodedLabels,
  labelRunsEncoding,
  type EncodedLabels,
} from './label-runs.ts';
export {
  blendLesionHeatmap,
  computeLesionHeatmap,
  heatmapColour,
  heatmapGridSize,
  heatmapLesionsOf,
  heatmapMaxOpacity,
  heatmapMinSigmaShare,
  heatmapVisibleFrom,
  renderLesionHeatmapRgba,
  sampleLesionHeatmap,
  type HeatmapLesion,
  type LesionHeatmap,
} from './lesion-heatmap.ts';
