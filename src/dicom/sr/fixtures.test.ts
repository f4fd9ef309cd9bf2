/**
 * Test support (no tests of its own): a synthetic two-eye fundus study and report inputs that use every
 * finding kind for both eyes. Named `*.test.ts` so that the import rule keeps applying to production files.
 */
import type { FindingProvenance } from '../../core/finding.ts';
import { generateFundus, generateOctVolume, makePatient, makeStudy } from '../../synth/index.ts';
import type { SynthObject } from '../../synth/index.ts';
import type { DeviceIdentity, EvaluatedInstance } from './document.ts';
import { readSourceStudyContext } from './source-study.ts';
import type { SourceStudyContext } from './source-study.ts';
import type { MeasurementReportInput, ReportFinding } from './tid1500-measurement-report.ts';

/** A small synthetic study: a fundus photograph per eye and a left OCT volume, all in one study. */
export interface SampleStudy {
  readonly objects: readonly SynthObject[];
  readonly context: SourceStudyContext;
  readonly sources: readonly EvaluatedInstance[];
  readonly fundusR: SynthObject;
  readonly fundusL: SynthObject;
  readonly octL: SynthObject;
}

let cached: Promise<SampleStudy> | undefined;

/** The sample study (generated once per process). */
export function sampleStudy(): Promise<SampleStudy> {
  cached ??= (async () => {
    const patient = makePatient({ seed: 'sr-fixture' });
    const study = makeStudy({ seed: 'sr-fixture' });
    const fundusR = await generateFundus({ seed: 'sr-r', eye: 'R', patient, study, width: 128, height: 128 });
    const fundusL = await generateFundus({ seed: 'sr-l', eye: 'L', patient, study, width: 128, height: 128 });
    const cube = await generateOctVolume({ seed: 'sr-oct', eye: 'L', patient, study, frames: 3 });
    const octL = cube.oct;
    const objects = [fundusR, fundusL, octL];
    return {
      objects,
      context: readSourceStudyContext(fundusR.part10),
      sources: objects.map((object) => ({
        sopClassUid: object.sopClassUid,
        sopInstanceUid: object.sopInstanceUid,
        seriesInstanceUid: object.seriesInstanceUid,
        eye: object.eye,
      })),
      fundusR,
      fundusL,
      octL,
    };
  })();
  return cached;
}

/** The Fovea installation used in the tests. */
export const testDevice: DeviceIdentity = {
  uid: '2.25.95308216133416152212390786386358163233',
  name: 'FOVEA-TEST',
  softwareVersion: '0.1.0',
  serialNumber: 'SN-0001',
  institutionName: 'Test Eye Hospital',
};

function provenance(analyzerId: string, inputs: readonly string[]): FindingProvenance {
  return {
    analyzerId,
    analyzerVersion: '1.2.0',
    modelHash: 'a3f5c2d1e0b9a8f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d',
    inputSopInstanceUids: inputs,
    startedAt: new Date('2026-01-10T09:00:00Z'),
    finishedAt: new Date('2026-01-10T09:00:02Z'),
  };
}

/** Findings for both eyes covering every FindingValue kind (and both quality verdicts). */
export function sampleFindings(sample: SampleStudy): ReportFinding[] {
  const r = sample.fundusR.sopInstanceUid;
  const l = sample.fundusL.sopInstanceUid;
  const oct = sample.octL.sopInstanceUid;
  return [
    {
      eye: 'R',
      useCase: 'image-quality',
      key: 'gradability',
      sourceSopInstanceUids: [r],
      value: {
        kind: 'quality',
        verdict: 'gradable',
        score: 0.91,
        reasons: [],
        components: { sharpness: 0.93, illumination: 0.88, 'field-definition': 1 },
      },
      provenance: provenance('fundus-quality', [r]),
    },
    {
      eye: 'L',
      useCase: 'image-quality',
      key: 'gradability',
      sourceSopInstanceUids: [l],
      value: {
        kind: 'quality',
        verdict: 'ungradable',
        score: 0.21,
        reasons: ['blur', 'macula-not-visible'],
        components: { sharpness: 0.12, illumination: 0.74 },
      },
      provenance: provenance('fundus-quality', [l]),
    },
    {
      eye: 'R',
      useCase: 'dr-screening',
      key: 'icdr',
      sourceSopInstanceUids: [r],
      value: {
        kind: 'classification',
        concept: { value: '71491-5', scheme: 'LN', meaning: 'Right eye Diabetic retinopathy severity level' },
        value: { value: 'LA18645-4', scheme: 'LN', meaning: 'Moderate nonproliferative retinopathy' },
        confidence: 0.87,
      },
      provenance: provenance('dr-grader', [r]),
    },
    {
      eye: 'L',
      useCase: 'dr-screening',
      key: 'icdr',
      sourceSopInstanceUids: [l],
      value: {
        kind: 'classification',
        concept: { value: '71490-7', scheme: 'LN', meaning: 'Left eye Diabetic retinopathy severity level' },
        value: { value: 'LA18643-9', scheme: 'LN', meaning: 'No apparent retinopathy' },
      },
      provenance: provenance('dr-grader', [l]),
    },
    {
      eye: 'L',
      useCase: 'dme-quantification',
      key: 'cst',
      sourceSopInstanceUids: [oct],
      value: {
        kind: 'measurement',
        concept: { value: '57109-1', scheme: 'LN', meaning: 'Macular grid.center subfield thickness by OCT' },
        value: 312.5,
        unit: { value: 'um', scheme: 'UCUM', meaning: 'micrometer' },
        qualifier: { value: 'CSF', scheme: '99FOVEA', meaning: 'ETDRS central subfield' },
      },
      provenance: provenance('oct-thickness', [oct]),
    },
    {
      eye: 'L',
      useCase: 'dme-quantification',
      key: 'volume',
      sourceSopInstanceUids: [oct],
      value: {
        kind: 'measurement',
        concept: { value: '57118-2', scheme: 'LN', meaning: 'Macular grid.total volume by OCT' },
        value: 0.1 + 0.2,
        unit: { value: 'mm3', scheme: 'UCUM', meaning: 'cubic millimeter' },
      },
      provenance: provenance('oct-thickness', [oct]),
    },
    {
      eye: 'R',
      useCase: 'dr-screening',
      key: 'haemorrhage-1',
      sourceSopInstanceUids: [r],
      value: {
        kind: 'region',
        concept: { value: 'haemorrhage', scheme: '99FOVEA', meaning: 'Retinal haemorrhage' },
        sopInstanceUid: r,
        graphicType: 'CIRCLE',
        points: [64.5, 40.25, 70.5, 40.25],
        confidence: 0.66,
      },
      provenance: provenance('dr-grader', [r]),
    },
    {
      eye: 'R',
      useCase: 'dr-screening',
      key: 'microaneurysms',
      sourceSopInstanceUids: [r],
      value: {
        kind: 'region',
        concept: { value: 'microaneurysm', scheme: '99FOVEA', meaning: 'Retinal microaneurysm' },
        sopInstanceUid: r,
        graphicType: 'MULTIPOINT',
        points: [10, 20, 30.5, 40.5, 100, 101],
      },
      provenance: provenance('dr-grader', [r]),
    },
    {
      eye: 'L',
      useCase: 'dme-quantification',
      key: 'fluid-outline',
      sourceSopInstanceUids: [oct],
      value: {
        kind: 'region',
        concept: { value: 'srf', scheme: '99FOVEA', meaning: 'Subretinal fluid' },
        sopInstanceUid: oct,
        frame: 2,
        graphicType: 'POLYLINE',
        points: [10, 10, 20, 10, 20, 20, 10, 20, 10, 10],
        confidence: 0.5,
      },
      provenance: provenance('oct-thickness', [oct]),
    },
    {
      eye: 'R',
      useCase: 'dr-screening',
      key: 'fovea',
      sourceSopInstanceUids: [r],
      value: {
        kind: 'region',
        concept: { value: '67046006', scheme: 'SCT', meaning: 'Fovea centralis' },
        sopInstanceUid: r,
        graphicType: 'POINT',
        points: [63.5, 64],
      },
      provenance: provenance('dr-grader', [r]),
    },
  ];
}

/** A preliminary report input for the sample study. */
export function preliminaryInput(sample: SampleStudy): MeasurementReportInput {
  return {
    study: sample.context,
    sources: sample.sources,
    findings: sampleFindings(sample),
    device: testDevice,
    seriesInstanceUid: '2.25.204832658183441632081541003389178391012',
    seriesNumber: 9001,
    sopInstanceUid: '2.25.265014826040393457018113447125939063839',
    instanceNumber: 1,
    contentDateTime: new Date('2026-01-10T09:00:05Z'),
    status: { kind: 'preliminary' },
  };
}

/** A final, verified report that replaces the preliminary one. */
export function finalInput(sample: SampleStudy): MeasurementReportInput {
  const preliminary = preliminaryInput(sample);
  return {
    ...preliminary,
    seriesInstanceUid: '2.25.98150271533874102837520263950914421066',
    seriesNumber: 9002,
    sopInstanceUid: '2.25.130402934112094410585452216811001431876',
    contentDateTime: new Date('2026-01-10T11:30:00Z'),
    status: {
      kind: 'final',
      verifier: {
        name: 'Grader^Grace^^Dr',
        organization: 'Test Eye Hospital',
        dateTime: new Date('2026-01-10T11:29:40Z'),
      },
    },
    predecessors: [
      {
        seriesInstanceUid: preliminary.seriesInstanceUid,
        sopClassUid: '1.2.840.10008.5.1.4.1.1.88.34',
        sopInstanceUid: preliminary.sopInstanceUid,
      },
    ],
  };
}
