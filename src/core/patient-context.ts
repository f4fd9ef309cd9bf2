/**
 * Patient context: what the EHR says about a patient that analyses and readers use — lab results such as
 * HbA1c, conditions such as diabetes, the prior DR grade — each kept with its source (HL7 v2 message or FHIR
 * resource) and dates, and the imaging orders that link accession numbers to studies. Received over HL7 v2
 * (ADT, ORU, ORM/OMI) or fetched from a FHIR server; stored by the `PatientContextStore` port.
 *
 * Patients are matched by Patient ID and, when both sides carry one, its issuer (assigning authority): two
 * different issuers never match, so IDs from different hospitals cannot be confused; a side without an issuer
 * matches any (single-domain installations rarely send one).
 * @see https://hl7.org/fhir/R4/observation.html
 */

/** A patient identifier with its assigning authority. */
export interface PatientKey {
  readonly patientId: string;
  /** Issuer of Patient ID (DICOM 0010,0021) / PID-3.4 / Identifier.system. */
  readonly issuer?: string;
}

/** What kind of context an observation is. */
export type ContextKind = 'lab' | 'condition' | 'grade';

/** One coded statement about the patient from the EHR. */
export interface ContextObservation {
  /** Stable id: the same source item always gives the same id, so a resent message adds nothing. */
  readonly id: string;
  readonly kind: ContextKind;
  /** Code system URI or HL7 table name (`http://loinc.org`, `LN`, `http://snomed.info/sct`, `I10` …). */
  readonly system: string;
  readonly code: string;
  readonly display?: string;
  readonly value?: number | string;
  /** UCUM where the source says so (`%`, `mmol/mol`). */
  readonly unit?: string;
  /** For a grade: the eye it is about. */
  readonly eye?: 'R' | 'L';
  readonly observedAt?: Date;
  /** Result status as sent (HL7 OBX-11 or FHIR Observation.status). */
  readonly status?: string;
  readonly source: { readonly protocol: 'hl7v2' | 'fhir'; readonly reference?: string };
  readonly receivedAt: Date;
}

/** An imaging order: links an accession number (and, when known, a study) to a patient. */
export interface ImagingOrder {
  readonly accessionNumber: string;
  readonly patient: PatientKey;
  readonly placerOrderNumber?: string;
  readonly fillerOrderNumber?: string;
  readonly studyInstanceUid?: string;
  readonly procedure?: string;
  /** As sent (ORC-7/TQ1-9: S stat, A ASAP, R routine). */
  readonly priority?: string;
  /** NW new, XO changed, CA cancelled, SC status changed … (ORC-1). */
  readonly control?: string;
  readonly source: { readonly protocol: 'hl7v2' | 'fhir'; readonly reference?: string };
  readonly receivedAt: Date;
}

/** The context of one patient as a Case carries it. */
export interface PatientContext {
  readonly patient: PatientKey;
  /** Newest first (by observation time, then receipt). */
  readonly observations: readonly ContextObservation[];
}

/** LOINC codes of HbA1c (percent, IFCC mmol/mol, and the NGSP-method code). */
export const hba1cLoincCodes: readonly string[] = ['4548-4', '17856-6', '59261-8'];

/** Whether two patient keys denote the same patient (see the module comment). */
export function samePatient(a: PatientKey, b: PatientKey): boolean {
  return (
    a.patientId === b.patientId &&
    (a.issuer === undefined ||
      b.issuer === undefined ||
      a.issuer === '' ||
      b.issuer === '' ||
      a.issuer === b.issuer)
  );
}

/** The newest observation with one of `codes` (any system), or `undefined`. */
export function latestObservation(
  context: PatientContext | undefined,
  codes: readonly string[],
): ContextObservation | undefined {
  return context?.observations.find((observation) => codes.includes(observation.code));
}

/** The store of patient context and imaging orders. */
export interface PatientContextStore {
  /** Stores observations (idempotent by id); returns how many were new. */
  recordObservations(patient: PatientKey, observations: readonly ContextObservation[]): Promise<number>;
  /** The patient's context, newest first, at most `limit` observations. */
  getContext(patient: PatientKey, limit?: number): Promise<PatientContext>;
  /** Moves everything known under `from` to `to` (HL7 ADT^A40), and remembers the merge. */
  mergePatients(from: PatientKey, to: PatientKey): Promise<void>;
  /** Stores or updates an order (by accession number). */
  recordOrder(order: ImagingOrder): Promise<void>;
  getOrder(accessionNumber: string): Promise<ImagingOrder | undefined>;
}
