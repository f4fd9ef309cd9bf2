/**
 * DICOM Segmentation writers for AI results: the binary fluid Segmentation (IRF, SRF, PED) over a
 * multi-frame Ophthalmic Tomography volume.
 */
export {
  buildOctFluidSegmentation,
  buildOctFluidSegmentationDataset,
  fluidLabelValues,
  fluidSegmentFrames,
  ophthalmicTomographySopClassUid,
  packBinaryFrames,
  segCodes,
  segmentationSopClassUid,
  unpackBinaryFrame,
  type FluidCompartment,
  type OctFluidSegmentationInput,
  type OctSourceVolume,
  type SegAlgorithm,
  type SegDevice,
  type SegFrame,
  type SegSourceStudy,
} from './oct-fluid-segmentation.ts';
export { readSegPart10 } from './part10.ts';
