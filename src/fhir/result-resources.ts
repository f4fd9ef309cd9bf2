/**
 * FHIR R4 resources of an analysis: one Observation per finding (category imaging, body site the eye, derived
 * from the ImagingStudy, device = the algorithm's Device), a DiagnosticReport grouping them, the algorithm
 * Device, and — once a clinician has reviewed the result — a Provenance of the review. Every resource has a
 * deterministic id, so delivering them again (a retry, a crash) updates the same resources: Fovea writes
 * them with PUT in one transaction Bundle (`bundle.ts`).
 *
 * Status: `preliminary` for unreviewed AI results, `final` once signed, `amended` for a later correction,
 * `entered-in-error` when the result is retracted; a finding the reviewer rejected is `entered-in-error` in
 * the final version. Patient and ImagingStudy are referenced by identifier (the EHR and the PACS own them).
 * No profile of the HL7 Eye Care IG is claimed (see `docs/conformance/fhir.md`).
 * @see https://hl7.org/fhir/R4/observation.html
 * @see https://hl7.org/fhir/R4/diagnosticreport.html
 * @see https://hl7.org/fhir/R4/provenance.html
 */
import { createHash } from 'node:crypto';
import type { AnalysisRecord, Finding } from '../core/finding.ts';
import { codingOf, eyeBodySite, systems, type Coding } from './codes.ts';

/** A FHIR resource as JSON. */
export type FhirResource = { readonly resourceType: string; readonly id: string } & Readonly<
  Record<string, unknown>
>;

/** Status of the delivered result. */
export type FhirResultStatus = 'preliminary' | 'final' | 'amended' | 'entered-in-error';

/** Who the result is about and which study it came from. */
export interface FhirResultSubject {
  /** Patient ID (DICOM 0010,0020) and its issuer (0010,0021) when known. */
  readonly patientId: string;
  readonly issuerOfPatientId?: string;
  readonly patientName?: string;
  readonly studyInstanceUid: string;
  readonly accessionNumber?: string;
  /** DICOM DA (YYYYMMDD). */
  readonly studyDate?: string;
}

/** The clinician who signed the result. */
export interface FhirReviewer {
  readonly name: string;
  readonly dateTime: Date;
}

/** What the resources are built from. */
export interface FhirResultInput {
  readonly analysis: AnalysisRecord;
  readonly subject: FhirResultSubject;
  readonly status: FhirResultStatus;
  /** When this version is issued. */
  readonly issued: Date;
  readonly reviewer?: FhirReviewer;
  /** Fovea's software version (Device.version of the installation). */
  readonly softwareVersion?: string;
}

/** The resources of one analysis. */
export interface FhirResultResources {
  readonly device: FhirResource;
  readonly observations: readonly FhirResource[];
  readonly report: FhirResource;
  readonly provenance?: FhirResource;
}

/** A FHIR id (≤ 64 of `[A-Za-z0-9.-]`) derived from a name. */
export function fhirIdFromName(prefix: string, name: string): string {
  return `${prefix}-${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

const aiStatement = 'AI-generated result; not a diagnosis until reviewed and signed by a clinician.';

function patientReference(subject: FhirResultSubject): Record<string, unknown> {
  const system =
    subject.issuerOfPatientId === undefined || subject.issuerOfPatientId === ''
      ? systems.localPatientId
      : `urn:fovea:issuer:${encodeURIComponent(subject.issuerOfPatientId)}`;
  return {
    type: 'Patient',
    identifier: { system, value: subject.patientId },
    ...(subject.patientName === undefined || subject.patientName === ''
      ? {}
      : { display: subject.patientName }),
  };
}

function studyReference(subject: FhirResultSubject): Record<string, unknown> {
  return {
    type: 'ImagingStudy',
    identifier: { system: systems.dicomUid, value: `urn:oid:${subject.studyInstanceUid}` },
  };
}

function fhirDate(da: string | undefined, fallback: Date): string {
  if (da !== undefined && /^\d{8}$/u.test(da)) {
    return `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}`;
  }
  return fallback.toISOString();
}

function concept(coding: Coding, text?: string): Record<string, unknown> {
  return { coding: [coding], text: text ?? coding.display ?? coding.code };
}

const accessionType: Coding = {
  system: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  code: 'ACSN',
  display: 'Accession ID',
};
const qualityCode: Coding = { system: systems.dicom, code: '111694', display: 'Image Set Quality Rating' };
const diagnosticQuality: Coding = { system: systems.radlex, code: 'RID12', display: 'Diagnostic quality' };
const nonDiagnosticQuality: Coding = {
  system: systems.radlex,
  code: 'RID14',
  display: 'Non-diagnostic quality',
};

/** The value[x] and components of a finding; undefined for region findings (their points stay in DICOM). */
function valueOf(finding: Finding): Record<string, unknown> | undefined {
  const value = finding.value;
  switch (value.kind) {
    case 'measurement':
      return {
        valueQuantity: {
          value: value.value,
          unit: value.unit.meaning,
          system: systems.ucum,
          code: value.unit.value,
        },
        ...(value.qualifier === undefined ? {} : { method: concept(codingOf(value.qualifier)) }),
      };
    case 'classification':
      return {
        valueCodeableConcept: concept(codingOf(value.value)),
        ...(value.confidence === undefined
          ? {}
          : {
              component: [
                {
                  code: concept({ system: systems.fovea, code: 'CONFIDENCE', display: 'AI confidence' }),
                  valueQuantity: { value: value.confidence, unit: '1', system: systems.ucum, code: '1' },
                },
              ],
            }),
      };
    case 'quality':
      return {
        valueCodeableConcept: concept(
          value.verdict === 'gradable' ? diagnosticQuality : nonDiagnosticQuality,
        ),
        component: [
          {
            code: concept({ system: systems.fovea, code: 'QSCORE', display: 'Image quality score' }),
            valueQuantity: { value: value.score, unit: '1', system: systems.ucum, code: '1' },
          },
          ...value.reasons.map((reason) => ({
            code: concept({ system: systems.fovea, code: 'QREASON', display: 'Reason image is ungradable' }),
            valueCodeableConcept: { text: reason },
          })),
        ],
      };
    case 'region':
      return undefined;
  }
}

function codeOf(finding: Finding): Record<string, unknown> {
  const value = finding.value;
  if (value.kind === 'quality') {
    return concept(qualityCode);
  }
  if (value.kind === 'region') {
    return concept(codingOf(value.concept));
  }
  return concept(codingOf(value.concept));
}

function observationStatus(finding: Finding, status: FhirResultStatus): FhirResultStatus {
  if (status === 'entered-in-error' || (status !== 'preliminary' && finding.status === 'rejected')) {
    return 'entered-in-error';
  }
  return status;
}

function interpretationOf(finding: Finding): Record<string, unknown>[] {
  const bucket = finding.triage?.bucket;
  if (bucket === 'stat') {
    return [concept({ system: systems.interpretation, code: 'AA', display: 'Critical abnormal' })];
  }
  if (bucket === 'referable') {
    return [concept({ system: systems.interpretation, code: 'A', display: 'Abnormal' })];
  }
  return [];
}

/**
 * The algorithm as a Device: name `analyzer id`, version, the model hash as an identifier. The same
 * algorithm version always gives the same Device id.
 * @see https://hl7.org/fhir/R4/device.html
 */
export function algorithmDevice(analysis: AnalysisRecord): FhirResource {
  const { analyzerId, analyzerVersion, modelHash } = analysis.provenance;
  return {
    resourceType: 'Device',
    id: fhirIdFromName('algorithm', `${analyzerId}@${analyzerVersion}#${modelHash}`),
    identifier: [
      { system: systems.foveaAlgorithm, value: `${analyzerId}@${analyzerVersion}#sha256:${modelHash}` },
    ],
    status: 'active',
    manufacturer: 'Fovea',
    deviceName: [{ name: analyzerId, type: 'model-name' }],
    type: { text: 'AI algorithm (software)' },
    version: [{ value: analyzerVersion }],
    note: [{ text: `Model hash SHA-256 ${modelHash}` }],
  };
}

/** Builds the Observations, the DiagnosticReport, the Device and (when reviewed) the Provenance of an analysis. */
export function buildResultResources(input: FhirResultInput): FhirResultResources {
  const { analysis, subject, status, issued } = input;
  const device = algorithmDevice(analysis);
  const deviceReference = {
    reference: `Device/${device.id}`,
    display: `${analysis.analyzerId}@${analysis.analyzerVersion}`,
  };
  const effective = fhirDate(subject.studyDate, analysis.provenance.finishedAt);
  const observations: FhirResource[] = [];
  for (const finding of analysis.findings) {
    const value = valueOf(finding);
    if (value === undefined) {
      continue;
    }
    const interpretation = interpretationOf(finding);
    observations.push({
      resourceType: 'Observation',
      id: fhirIdFromName('finding', finding.id),
      identifier: [{ system: systems.foveaFinding, value: finding.id }],
      status: observationStatus(finding, status),
      category: [concept({ system: systems.observationCategory, code: 'imaging', display: 'Imaging' })],
      code: codeOf(finding),
      subject: patientReference(subject),
      effectiveDateTime: effective,
      issued: issued.toISOString(),
      bodySite: concept(eyeBodySite[finding.eye]),
      derivedFrom: [studyReference(subject)],
      device: deviceReference,
      ...value,
      ...(interpretation.length === 0 ? {} : { interpretation }),
      note: [
        {
          text:
            `${aiStatement} ${analysis.analyzerId}@${analysis.analyzerVersion}, use case ${finding.useCase}, ` +
            `finding ${finding.key}; source SOP Instance UIDs ${finding.sourceSopInstanceUids.join(', ')}.` +
            (finding.triage === undefined
              ? ''
              : ` Worklist: ${finding.triage.bucket} (${finding.triage.reason}).`),
        },
      ],
    });
  }
  const report: FhirResource = {
    resourceType: 'DiagnosticReport',
    id: fhirIdFromName('report', analysis.id),
    identifier: [
      { system: systems.foveaAnalysis, value: analysis.id },
      ...(subject.accessionNumber === undefined || subject.accessionNumber === ''
        ? []
        : [{ type: concept(accessionType), value: subject.accessionNumber }]),
    ],
    status,
    category: [concept({ system: systems.observationCategory, code: 'imaging', display: 'Imaging' })],
    code: concept({
      system: systems.fovea,
      code: analysis.useCase,
      display: `AI ${analysis.useCase} report`,
    }),
    subject: patientReference(subject),
    effectiveDateTime: effective,
    issued: issued.toISOString(),
    ...(input.reviewer === undefined ? {} : { resultsInterpreter: [{ display: input.reviewer.name }] }),
    result: observations.map((observation) => ({ reference: `Observation/${observation.id}` })),
    imagingStudy: [studyReference(subject)],
    conclusion:
      `${aiStatement} ${analysis.analyzerId}@${analysis.analyzerVersion}` +
      (status === 'preliminary' ? ' (preliminary, unreviewed).' : '.'),
  };
  const provenance: FhirResource | undefined =
    input.reviewer === undefined
      ? undefined
      : {
          resourceType: 'Provenance',
          id: fhirIdFromName('review', `${analysis.id}:${status}:${input.reviewer.dateTime.toISOString()}`),
          target: [
            { reference: `DiagnosticReport/${report.id}` },
            ...observations.map((observation) => ({ reference: `Observation/${observation.id}` })),
          ],
          recorded: input.reviewer.dateTime.toISOString(),
          activity: concept({
            system: systems.provenanceActivity,
            code: status === 'entered-in-error' ? 'NULLIFY' : 'UPDATE',
            display: status === 'entered-in-error' ? 'nullify' : 'revise',
          }),
          agent: [
            {
              type: concept({ system: systems.provenanceAgentType, code: 'verifier', display: 'Verifier' }),
              who: { display: input.reviewer.name },
            },
            {
              type: concept({ system: systems.provenanceAgentType, code: 'assembler', display: 'Assembler' }),
              who: deviceReference,
            },
          ],
        };
  return { device, observations, report, ...(provenance === undefined ? {} : { provenance }) };
}
