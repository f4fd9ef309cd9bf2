/**
 * The manifest-driven ONNX analyzer: a site plugs in a cleared model with a manifest file, no code. The
 * registry calls {@link loadOnnxAnalyzer} for every entry of the config key `analyzers.onnx`.
 */
export { analyzerManifestOf, createOnnxAnalyzer, loadOnnxAnalyzer } from './onnx-analyzer.ts';
export {
  parseOnnxManifest,
  readOnnxManifest,
  type ColourOrder,
  type IcdrClassesOutput,
  type OnnxInputSpec,
  type OnnxModelManifest,
  type OnnxOutputSpec,
  type OnnxTriageSpec,
  type ReferableProbabilityOutput,
  type ResizeMethod,
  type TensorLayout,
} from './model-manifest.ts';
export {
  drSeverityConcept,
  icdrLevels,
  isReferable,
  readOutput,
  referableDrConcept,
  sigmoid,
  softmax,
  triageSuggestion,
  yesNo,
  type IcdrLevel,
  type ImageResult,
} from './output-mapping.ts';
export {
  axisTaps,
  fieldOfViewBox,
  preprocessFrame,
  resizeFrameRegion,
  resizeRgb,
  tensorShape,
  toTensorData,
  type PixelBox,
  type RgbImage,
} from './preprocess.ts';
