/**
 * The coded concepts Fovea's SR writers use, in one table. Standard codes (DCM, SCT, UCUM, RADLEX) come from
 * PS3.16; the few concepts the standard has no code for use Fovea's local scheme `99FOVEA`, which every
 * object declares in its Coding Scheme Identification Sequence.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_D.html (DCM codes)
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_8.html (coding schemes)
 */
import type { CodedConcept } from '../../core/finding.ts';
import type { UngradableReason } from '../../core/finding.ts';

function concept(value: string, scheme: string, meaning: string): CodedConcept {
  return { value, scheme, meaning };
}

/** Fovea's local coding scheme designator (private schemes start with `99`, PS3.16 §8.2). */
export const foveaScheme = '99FOVEA';

/** The Coding Scheme Identification Sequence entry for {@link foveaScheme}. */
export const foveaSchemeIdentification = {
  designator: foveaScheme,
  name: 'Fovea local codes',
  responsibleOrganization: 'Fovea project',
} as const;

/** Codes used in the content trees, named by their meaning. */
export const codes = {
  // TID 1500 and its included templates
  imagingMeasurementReport: concept('126000', 'DCM', 'Imaging Measurement Report'),
  languageOfContent: concept('121049', 'DCM', 'Language of Content Item and Descendants'),
  english: concept('en', 'RFC5646', 'English'),
  observerType: concept('121005', 'DCM', 'Observer Type'),
  device: concept('121007', 'DCM', 'Device'),
  deviceObserverUid: concept('121012', 'DCM', 'Device Observer UID'),
  deviceObserverName: concept('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: concept('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: concept('121015', 'DCM', 'Device Observer Model Name'),
  deviceObserverSerialNumber: concept('121016', 'DCM', 'Device Observer Serial Number'),
  deviceObserverPhysicalLocation: concept(
    '121017',
    'DCM',
    'Device Observer Physical Location During Observation',
  ),
  procedureReported: concept('121058', 'DCM', 'Procedure reported'),
  /** CID 100 (Quantitative Diagnostic Imaging Procedure), the default Procedure reported. */
  imagingProcedure: concept('363679005', 'SCT', 'Imaging procedure'),
  imageLibrary: concept('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: concept('126200', 'DCM', 'Image Library Group'),
  imageLaterality: concept('111027', 'DCM', 'Image Laterality'),
  imagingMeasurements: concept('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: concept('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: concept('112039', 'DCM', 'Tracking Identifier'),
  trackingUniqueIdentifier: concept('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: concept('121071', 'DCM', 'Finding'),
  findingSite: concept('363698007', 'SCT', 'Finding Site'),
  laterality: concept('272741003', 'SCT', 'Laterality'),
  topographicalModifier: concept('106233006', 'SCT', 'Topographical modifier'),
  eye: concept('81745001', 'SCT', 'Eye'),
  right: concept('24028007', 'SCT', 'Right'),
  left: concept('7771000', 'SCT', 'Left'),
  bilateral: concept('51440002', 'SCT', 'Bilateral'),
  source: concept('260753009', 'SCT', 'Source'),
  imageRegion: concept('111030', 'DCM', 'Image Region'),
  comment: concept('121106', 'DCM', 'Comment'),
  // TID 4019 Algorithm Identification
  algorithmName: concept('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: concept('111003', 'DCM', 'Algorithm Version'),
  algorithmParameters: concept('111002', 'DCM', 'Algorithm Parameters'),
  // Finding values
  certaintyOfFinding: concept('111012', 'DCM', 'Certainty of Finding'),
  imageSetQualityRating: concept('111694', 'DCM', 'Image Set Quality Rating'),
  /** CID 7036 Image Quality Assessment. */
  diagnosticQuality: concept('RID12', 'RADLEX', 'Diagnostic quality'),
  nonDiagnosticQuality: concept('RID14', 'RADLEX', 'Non-diagnostic quality'),
  imageQualityScore: concept('QSCORE', foveaScheme, 'Image quality score'),
  ungradableReason: concept('QREASON', foveaScheme, 'Reason image is ungradable'),
  qualityComponent: concept('QCOMPONENT', foveaScheme, 'Image quality component'),
  qualityComponentName: concept('QCOMPNAME', foveaScheme, 'Image quality component name'),
  // Units (UCUM)
  noUnits: concept('1', 'UCUM', 'no units'),
  percent: concept('%', 'UCUM', 'Percent'),
  // TID 2010 Key Object Selection (IOCM rejection notes), CID 7010 titles
  keyObjectDescription: concept('113012', 'DCM', 'Key Object Description'),
  rejectedForQualityReasons: concept('113001', 'DCM', 'Rejected for Quality Reasons'),
  rejectedForPatientSafetyReasons: concept('113037', 'DCM', 'Rejected for Patient Safety Reasons'),
  incorrectModalityWorklistEntry: concept('113038', 'DCM', 'Incorrect Modality Worklist Entry'),
  dataRetentionPolicyExpired: concept('113039', 'DCM', 'Data Retention Policy Expired'),
} as const satisfies Record<string, CodedConcept>;

/** The Fovea code for each ungradable reason (values of {@link codes.ungradableReason}). */
export const ungradableReasonCodes: Readonly<Record<UngradableReason, CodedConcept>> = {
  blur: concept('blur', foveaScheme, 'Image blurred'),
  underexposed: concept('underexposed', foveaScheme, 'Image underexposed'),
  overexposed: concept('overexposed', foveaScheme, 'Image overexposed'),
  'low-contrast': concept('low-contrast', foveaScheme, 'Low image contrast'),
  'field-of-view': concept('field-of-view', foveaScheme, 'Inadequate field of view'),
  'optic-disc-not-visible': concept('disc-not-visible', foveaScheme, 'Optic disc not visible'),
  'macula-not-visible': concept('macula-not-vis', foveaScheme, 'Macula not visible'),
  'low-signal': concept('low-signal', foveaScheme, 'Low signal strength'),
  unreadable: concept('unreadable', foveaScheme, 'Image unreadable'),
};

/** Whether two coded concepts name the same concept (value and scheme; the meaning is display text). */
export function sameConcept(a: CodedConcept | undefined, b: CodedConcept): boolean {
  return a !== undefined && a.value === b.value && a.scheme === b.scheme;
}
