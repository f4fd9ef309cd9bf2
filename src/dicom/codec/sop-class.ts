/**
 * The storage SOP classes Fovea accepts: every ophthalmic storage class plus the objects that travel with
 * ophthalmic studies (SR, SEG, KO, presentation states, encapsulated PDF).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part04.html#sect_B.5 (Standard SOP classes)
 * @see ../../../docs/conformance/dicom.md
 */

/** A storage SOP class and the Modality its IOD uses. */
export interface SopClassInfo {
  readonly uid: string;
  /** The name as in PS3.6. */
  readonly name: string;
  readonly modality: string;
  /** What kind of object it is, for routing and display. */
  readonly kind:
    'image' | 'measurements' | 'sr' | 'segmentation' | 'presentation-state' | 'key-objects' | 'document';
  /** An ophthalmic class (the ones an ophthalmic study is made of). */
  readonly ophthalmic: boolean;
}

/** Verification SOP class (C-ECHO). */
export const VerificationSopClass = '1.2.840.10008.1.1';

/** UIDs by PS3.6 keyword, for the classes Fovea refers to in code. */
export const SopClass = {
  OphthalmicPhotography8BitImage: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
  OphthalmicPhotography16BitImage: '1.2.840.10008.5.1.4.1.1.77.1.5.2',
  StereometricRelationship: '1.2.840.10008.5.1.4.1.1.77.1.5.3',
  OphthalmicTomographyImage: '1.2.840.10008.5.1.4.1.1.77.1.5.4',
  WideFieldOphthalmicPhotographyStereographicProjectionImage: '1.2.840.10008.5.1.4.1.1.77.1.5.5',
  WideFieldOphthalmicPhotography3DCoordinatesImage: '1.2.840.10008.5.1.4.1.1.77.1.5.6',
  OphthalmicOpticalCoherenceTomographyEnFaceImage: '1.2.840.10008.5.1.4.1.1.77.1.5.7',
  OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysis: '1.2.840.10008.5.1.4.1.1.77.1.5.8',
  MacularGridThicknessAndVolumeReport: '1.2.840.10008.5.1.4.1.1.79.1',
  OphthalmicVisualFieldStaticPerimetryMeasurements: '1.2.840.10008.5.1.4.1.1.80.1',
  OphthalmicThicknessMap: '1.2.840.10008.5.1.4.1.1.81.1',
  CornealTopographyMap: '1.2.840.10008.5.1.4.1.1.82.1',
  OphthalmicAxialMeasurements: '1.2.840.10008.5.1.4.1.1.78.7',
  VLPhotographicImage: '1.2.840.10008.5.1.4.1.1.77.1.4',
  SecondaryCaptureImage: '1.2.840.10008.5.1.4.1.1.7',
  BasicTextSR: '1.2.840.10008.5.1.4.1.1.88.11',
  EnhancedSR: '1.2.840.10008.5.1.4.1.1.88.22',
  ComprehensiveSR: '1.2.840.10008.5.1.4.1.1.88.33',
  Comprehensive3DSR: '1.2.840.10008.5.1.4.1.1.88.34',
  KeyObjectSelectionDocument: '1.2.840.10008.5.1.4.1.1.88.59',
  Segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
  GrayscaleSoftcopyPresentationState: '1.2.840.10008.5.1.4.1.1.11.1',
  ColorSoftcopyPresentationState: '1.2.840.10008.5.1.4.1.1.11.2',
  EncapsulatedPDF: '1.2.840.10008.5.1.4.1.1.104.1',
} as const;

const classes: readonly SopClassInfo[] = [
  {
    uid: SopClass.OphthalmicPhotography8BitImage,
    name: 'Ophthalmic Photography 8 Bit Image Storage',
    modality: 'OP',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.OphthalmicPhotography16BitImage,
    name: 'Ophthalmic Photography 16 Bit Image Storage',
    modality: 'OP',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.StereometricRelationship,
    name: 'Stereometric Relationship Storage',
    modality: 'SMR',
    kind: 'measurements',
    ophthalmic: true,
  },
  {
    uid: SopClass.OphthalmicTomographyImage,
    name: 'Ophthalmic Tomography Image Storage',
    modality: 'OPT',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.WideFieldOphthalmicPhotographyStereographicProjectionImage,
    name: 'Wide Field Ophthalmic Photography Stereographic Projection Image Storage',
    modality: 'OP',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.WideFieldOphthalmicPhotography3DCoordinatesImage,
    name: 'Wide Field Ophthalmic Photography 3D Coordinates Image Storage',
    modality: 'OP',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.OphthalmicOpticalCoherenceTomographyEnFaceImage,
    name: 'Ophthalmic Optical Coherence Tomography En Face Image Storage',
    modality: 'OPTENF',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.OphthalmicOpticalCoherenceTomographyBscanVolumeAnalysis,
    name: 'Ophthalmic Optical Coherence Tomography B-scan Volume Analysis Storage',
    modality: 'OPTBSV',
    kind: 'measurements',
    ophthalmic: true,
  },
  {
    uid: SopClass.MacularGridThicknessAndVolumeReport,
    name: 'Macular Grid Thickness and Volume Report Storage',
    modality: 'SR',
    kind: 'sr',
    ophthalmic: true,
  },
  {
    uid: SopClass.OphthalmicVisualFieldStaticPerimetryMeasurements,
    name: 'Ophthalmic Visual Field Static Perimetry Measurements Storage',
    modality: 'OPV',
    kind: 'measurements',
    ophthalmic: true,
  },
  {
    uid: SopClass.OphthalmicThicknessMap,
    name: 'Ophthalmic Thickness Map Storage',
    modality: 'OPM',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.CornealTopographyMap,
    name: 'Corneal Topography Map Storage',
    modality: 'OPM',
    kind: 'image',
    ophthalmic: true,
  },
  {
    uid: SopClass.OphthalmicAxialMeasurements,
    name: 'Ophthalmic Axial Measurements Storage',
    modality: 'OAM',
    kind: 'measurements',
    ophthalmic: true,
  },
  {
    uid: SopClass.VLPhotographicImage,
    name: 'VL Photographic Image Storage',
    modality: 'XC',
    kind: 'image',
    ophthalmic: false,
  },
  {
    uid: SopClass.SecondaryCaptureImage,
    name: 'Secondary Capture Image Storage',
    modality: 'OT',
    kind: 'image',
    ophthalmic: false,
  },
  { uid: SopClass.BasicTextSR, name: 'Basic Text SR Storage', modality: 'SR', kind: 'sr', ophthalmic: false },
  { uid: SopClass.EnhancedSR, name: 'Enhanced SR Storage', modality: 'SR', kind: 'sr', ophthalmic: false },
  {
    uid: SopClass.ComprehensiveSR,
    name: 'Comprehensive SR Storage',
    modality: 'SR',
    kind: 'sr',
    ophthalmic: false,
  },
  {
    uid: SopClass.Comprehensive3DSR,
    name: 'Comprehensive 3D SR Storage',
    modality: 'SR',
    kind: 'sr',
    ophthalmic: false,
  },
  {
    uid: SopClass.KeyObjectSelectionDocument,
    name: 'Key Object Selection Document Storage',
    modality: 'KO',
    kind: 'key-objects',
    ophthalmic: false,
  },
  {
    uid: SopClass.Segmentation,
    name: 'Segmentation Storage',
    modality: 'SEG',
    kind: 'segmentation',
    ophthalmic: false,
  },
  {
    uid: SopClass.GrayscaleSoftcopyPresentationState,
    name: 'Grayscale Softcopy Presentation State Storage',
    modality: 'PR',
    kind: 'presentation-state',
    ophthalmic: false,
  },
  {
    uid: SopClass.ColorSoftcopyPresentationState,
    name: 'Color Softcopy Presentation State Storage',
    modality: 'PR',
    kind: 'presentation-state',
    ophthalmic: false,
  },
  {
    uid: SopClass.EncapsulatedPDF,
    name: 'Encapsulated PDF Storage',
    modality: 'DOC',
    kind: 'document',
    ophthalmic: false,
  },
];

const byUid = new Map(classes.map((info) => [info.uid, info]));

/** Looks up an accepted storage SOP class. */
export function sopClassInfo(uid: string): SopClassInfo | undefined {
  return byUid.get(uid);
}

/** Every storage SOP class Fovea accepts by default. */
export const acceptedStorageSopClasses: readonly SopClassInfo[] = classes;
