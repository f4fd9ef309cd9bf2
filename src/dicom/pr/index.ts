/**
 * DICOM presentation state writers for AI results: the Color Softcopy Presentation State that marks lesion
 * detections on a colour fundus photograph, its sRGB ICC profile and the CIELab colours of its layers.
 */
export {
  aiNotReviewedStatement,
  aiReviewedStatement,
  buildColorPresentationState,
  buildColorPresentationStateDataset,
  circleGraphicData,
  colorSoftcopyPresentationStateSopClassUid,
  maxPresentationLayers,
  type ColorPresentationStateInput,
  type PrAlgorithm,
  type PrCircleMarker,
  type PrDevice,
  type PrLayer,
  type PrPoint,
  type PrSourceImage,
  type PrSourceStudy,
  type PrTextLabel,
} from './color-presentation-state.ts';
export { buildSrgbIccProfile, parseIccProfile, type IccProfileSummary, type IccTag } from './icc-profile.ts';
export { readPresentationStatePart10 } from './part10.ts';
export {
  decodeDicomCielab,
  encodeDicomCielab,
  srgbHexToCielab,
  srgbHexToDicomCielab,
  type CieLab,
  type WhitePoint,
} from './srgb.ts';
