/**
 * Ophthalmic Visual Field Static Perimetry Measurements writer: test parameters, reliability, per-point
 * measurements (sensitivity, age-corrected deviation) and the global results (MD, PSD).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.65 (OPV IOD)
 */
import type { NaturalDataset } from 'dcmjs';
import { code, commonModules, synthVersion } from './dicom-modules.ts';
import type { ObjectIdentity, SynthDevice } from './dicom-modules.ts';
import { transferSyntaxUids, writePart10 } from './dicom-part10.ts';
import type { VfTestValues } from './visual-field.ts';

/** SOP Class UID of Ophthalmic Visual Field Static Perimetry Measurements Storage. */
export const visualFieldSopClassUid = '1.2.840.10008.5.1.4.1.1.80.1';

/** What {@link writeVisualField} needs. */
export interface VisualFieldWriteOptions {
  readonly identity: ObjectIdentity;
  readonly device: SynthDevice;
  readonly values: VfTestValues;
}

function f32(value: number): number {
  return Math.fround(value);
}

/** Algorithm Identification: a private (99FOVEA) family code, since no standard code names these models. */
function algorithm(family: string, name: string): NaturalDataset {
  return {
    AlgorithmFamilyCodeSequence: [code(family, '99FOVEA', name)],
    AlgorithmName: name,
    AlgorithmVersion: synthVersion,
    AlgorithmSource: 'Fovea Synth',
  };
}

function numeric(meaning: ReturnType<typeof code>, value: number): NaturalDataset {
  return {
    DataObservationSequence: [
      {
        ValueType: 'NUMERIC',
        ConceptNameCodeSequence: [meaning],
        NumericValue: String(Math.round(value * 100) / 100),
        MeasurementUnitsCodeSequence: [code('dB', 'UCUM', 'dB')],
      },
    ],
    IndexNormalsFlag: 'NO',
  };
}

/**
 * Builds the OPV dataset of one test.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.65
 */
export function buildVisualFieldDataset(options: VisualFieldWriteOptions): NaturalDataset {
  const { identity, values } = options;
  const reliability = values.reliability;
  const catchTrials = 12;
  const common = commonModules(identity, 'OPV', options.device);
  // The OPV IOD has no General Image module.
  delete common.ContentDate;
  delete common.ContentTime;
  const temporal = identity.eye === 'R' ? 1 : -1;
  const fovea = values.points.length > 0 ? Math.max(...values.points.map((p) => p.normalDb)) + 1.5 : 35;
  const dataset: NaturalDataset = {
    ...common,
    MeasurementLaterality: identity.eye,
    VisualFieldHorizontalExtent: f32(values.pattern === '24-2' ? 54 : 20),
    VisualFieldVerticalExtent: f32(values.pattern === '24-2' ? 42 : 20),
    VisualFieldShape: values.pattern === '24-2' ? 'RECTANGLE' : 'CIRCLE',
    ScreeningTestModeCodeSequence: [code('111817', 'DCM', 'Threshold')],
    MaximumStimulusLuminance: f32(3183),
    BackgroundLuminance: f32(10),
    StimulusColorCodeSequence: [code('29', 'SCT', 'White')],
    BackgroundIlluminationColorCodeSequence: [code('29', 'SCT', 'White')],
    StimulusArea: f32(0.43),
    StimulusPresentationTime: f32(200),
    FixationSequence: [
      {
        FixationMonitoringCodeSequence: [code('111845', 'DCM', 'Blind Spot Monitoring')],
        FixationCheckedQuantity: reliability.fixationChecks,
        PatientNotProperlyFixatedQuantity: reliability.fixationLosses,
        ExcessiveFixationLossesDataFlag: 'YES',
        ExcessiveFixationLosses: reliability.fixationLosses / reliability.fixationChecks > 0.2 ? 'YES' : 'NO',
      },
    ],
    VisualFieldCatchTrialSequence: [
      {
        CatchTrialsDataFlag: 'YES',
        NegativeCatchTrialsQuantity: catchTrials,
        FalseNegativesQuantity: Math.round(reliability.falseNegatives * catchTrials),
        ExcessiveFalseNegativesDataFlag: 'YES',
        ExcessiveFalseNegatives: reliability.falseNegatives > 0.33 ? 'YES' : 'NO',
        PositiveCatchTrialsQuantity: catchTrials,
        FalsePositivesQuantity: Math.round(reliability.falsePositives * catchTrials),
        ExcessiveFalsePositivesDataFlag: 'YES',
        ExcessiveFalsePositives: reliability.falsePositives > 0.15 ? 'YES' : 'NO',
        FalseNegativesEstimateFlag: 'YES',
        FalseNegativesEstimate: f32(100 * reliability.falseNegatives),
        FalsePositivesEstimateFlag: 'YES',
        FalsePositivesEstimate: f32(100 * reliability.falsePositives),
      },
    ],
    VisualFieldTestDuration: f32(reliability.durationSeconds),
    PresentedVisualStimuliDataFlag: 'YES',
    NumberOfVisualStimuli: values.points.length * 4,
    ScreeningBaselineMeasured: 'NO',
    BlindSpotLocalized: 'YES',
    BlindSpotXCoordinate: f32(15 * temporal),
    BlindSpotYCoordinate: f32(-1.5),
    MinimumSensitivityValue: f32(0),
    FovealSensitivityMeasured: 'YES',
    FovealSensitivity: f32(Math.round(fovea)),
    FovealPointNormativeDataFlag: 'NO',
    TestPointNormalsDataFlag: 'YES',
    TestPointNormalsSequence: [
      {
        DataSetName: 'Fovea Synth normal model',
        DataSetVersion: synthVersion,
        DataSetSource: 'Fovea Synth',
        DataSetDescription: 'Synthetic hill of vision, age-corrected',
      },
    ],
    AgeCorrectedSensitivityDeviationAlgorithmSequence: [algorithm('VF-TD', 'Total deviation')],
    GeneralizedDefectSensitivityDeviationAlgorithmSequence: [algorithm('VF-PD', 'Pattern deviation')],
    VisualFieldTestPointSequence: values.points.map((point) => ({
      VisualFieldTestPointXCoordinate: f32(point.x),
      VisualFieldTestPointYCoordinate: f32(point.y),
      StimulusResults: point.measuredDb > 0 ? 'SEEN' : 'NOT SEEN',
      SensitivityValue: f32(point.measuredDb),
      VisualFieldTestPointNormalsSequence: [
        {
          AgeCorrectedSensitivityDeviationValue: f32(point.totalDeviationDb),
          AgeCorrectedSensitivityDeviationProbabilityValue: f32(deviationProbability(point.totalDeviationDb)),
          GeneralizedDefectCorrectedSensitivityDeviationFlag: 'NO',
        },
      ],
    })),
    VisualFieldTestNormalsFlag: 'NO',
    ShortTermFluctuationCalculated: 'NO',
    ShortTermFluctuationProbabilityCalculated: 'NO',
    CorrectedLocalizedDeviationFromNormalCalculated: 'NO',
    CorrectedLocalizedDeviationFromNormalProbabilityCalculated: 'NO',
    VisualFieldGlobalResultsIndexSequence: [
      numeric(code('111864', 'DCM', 'Mean Deviation'), values.meanDeviationDb),
      numeric(code('111865', 'DCM', 'Pattern Standard Deviation'), values.patternStandardDeviationDb),
    ],
  };
  const clinical =
    identity.eye === 'R'
      ? 'OphthalmicPatientClinicalInformationRightEyeSequence'
      : 'OphthalmicPatientClinicalInformationLeftEyeSequence';
  dataset[clinical] = [
    { RefractiveParametersUsedOnPatientSequence: [], PupilSize: f32(4), PupilDilated: 'NO' },
  ];
  return dataset;
}

/**
 * Rough probability level (%) of a total deviation under a normal distribution with SD 2.5 dB, reported
 * in the perimeters' steps (0.5, 1, 2, 5, 100 = within normal limits).
 */
function deviationProbability(totalDeviationDb: number): number {
  const z = totalDeviationDb / 2.5;
  const p = 50 * (1 + erf(z / Math.SQRT2));
  for (const step of [0.5, 1, 2, 5]) {
    if (p < step) {
      return step;
    }
  }
  return 100;
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26.
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

/**
 * Writes an OPV object as a Part 10 file (explicit VR little endian).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_A.65
 */
export function writeVisualField(options: VisualFieldWriteOptions): Buffer {
  return writePart10(buildVisualFieldDataset(options), transferSyntaxUids['explicit-le']);
}
