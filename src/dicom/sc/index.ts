/**
 * DICOM derived-image writers for AI results: the lesion heatmap of a colour fundus photograph as a Secondary
 * Capture Image.
 */
export {
  buildDerivedHeatmapImage,
  buildDerivedHeatmapImageDataset,
  heatmapNotReviewedStatement,
  heatmapReviewedStatement,
  scCodes,
  scFoveaScheme,
  secondaryCaptureImageSopClassUid,
  type DerivedHeatmapImageInput,
  type ScAlgorithm,
  type ScDevice,
  type ScSourceImage,
  type ScSourceStudy,
} from './secondary-capture-image.ts';
