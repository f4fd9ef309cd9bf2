/**
 * FHIR code systems and the mapping of Fovea's coded concepts (DICOM coding scheme designators) to them.
 * @see https://hl7.org/fhir/R4/terminologies-systems.html
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part16/chapter_8.html (designators)
 */
import type { CodedConcept } from '../core/finding.ts';

/** FHIR system URIs used by Fovea. */
export const systems = {
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  ucum: 'http://unitsofmeasure.org',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  radlex: 'http://radlex.org',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  v2Diagnostic: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  interpretation: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  provenanceActivity: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
  provenanceAgentType: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  /** DICOM UIDs as identifiers (`urn:oid:…`). */
  dicomUid: 'urn:dicom:uid',
  /** Fovea's local concepts (the `99FOVEA` designator of the DICOM objects). */
  fovea: 'urn:fovea:codes',
  /** Fovea's identifiers of findings, analyses and algorithms. */
  foveaFinding: 'urn:fovea:finding',
  foveaAnalysis: 'urn:fovea:analysis',
  foveaAlgorithm: 'urn:fovea:algorithm',
  /** Patients without an issuer: Fovea's default patient identifier namespace. */
  localPatientId: 'urn:fovea:patient-id',
} as const;

const bySchemeDesignator: Readonly<Record<string, string>> = {
  LN: systems.loinc,
  SCT: systems.snomed,
  UCUM: systems.ucum,
  DCM: systems.dicom,
  RADLEX: systems.radlex,
  '99FOVEA': systems.fovea,
};

/** A FHIR Coding. */
export interface Coding {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
}

/** The FHIR Coding of a DICOM-style coded concept (unknown designators become `urn:dicom:designator:<d>`). */
export function codingOf(concept: CodedConcept): Coding {
  return {
    system: bySchemeDesignator[concept.scheme] ?? `urn:dicom:designator:${concept.scheme}`,
    code: concept.value,
    display: concept.meaning,
  };
}

/** SNOMED CT body sites of the two eyes (entire right / left eye). */
export const eyeBodySite = {
  R: { system: systems.snomed, code: '362503005', display: 'Entire right eye' },
  L: { system: systems.snomed, code: '362502000', display: 'Entire left eye' },
} as const;
