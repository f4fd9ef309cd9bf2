/**
 * FHIR R4 client for patient context: finds the Patient by identifier, then reads their HbA1c Observations,
 * prior diabetic-retinopathy grades (LOINC 71491-5 right / 71490-7 left) and diabetes Conditions, and turns
 * them into the context observations every Case carries (`core/patient-context.ts`, source `fhir`). Answers
 * are cached per patient for `cacheSeconds`; bearer-token authentication; each request has a timeout.
 * @see https://hl7.org/fhir/R4/search.html
 * @see https://hl7.org/fhir/R4/patient.html#search
 */
import { FoveaError } from '../core/errors.ts';
import { hba1cLoincCodes, type ContextObservation, type PatientKey } from '../core/patient-context.ts';
import { systems } from './codes.ts';

/** How to reach the FHIR server. */
export interface FhirContextClientOptions {
  /** Base URL, e.g. `https://ehr.example/fhir/R4` (no trailing slash needed). */
  readonly baseUrl: string;
  /** Bearer token sent as `Authorization: Bearer …`. */
  readonly token?: string;
  /**
   * Identifier system of Patient IDs when the study carries no issuer (or the issuer is not a URI);
   * without it the Patient is searched by identifier value alone.
   */
  readonly identifierSystem?: string;
  readonly timeoutMs?: number;
  readonly cacheSeconds?: number;
  /** Cached patients at most (the oldest is dropped first). */
  readonly cacheEntries?: number;
  readonly now?: () => Date;
}

/** The DR grade codes (LOINC) and the eye each is about. */
const drGradeEye: Readonly<Record<string, 'R' | 'L'>> = { '71491-5': 'R', '71490-7': 'L' };

/** Diabetes mellitus: SNOMED CT concepts and ICD-10 categories E10–E14. */
const diabetesSnomed = new Set(['73211009', '44054006', '46635009', '199230006', '11530004']);
const icd10Systems = new Set(['http://hl7.org/fhir/sid/icd-10', 'http://hl7.org/fhir/sid/icd-10-cm']);

interface Coding {
  readonly system?: string;
  readonly code?: string;
  readonly display?: string;
}
interface Resource {
  readonly resourceType?: string;
  readonly id?: string;
  readonly meta?: { readonly versionId?: string };
  readonly status?: string;
  readonly code?: { readonly coding?: readonly Coding[]; readonly text?: string };
  readonly valueQuantity?: { readonly value?: number; readonly unit?: string; readonly code?: string };
  readonly valueCodeableConcept?: { readonly coding?: readonly Coding[]; readonly text?: string };
  readonly valueString?: string;
  readonly effectiveDateTime?: string;
  readonly issued?: string;
  readonly onsetDateTime?: string;
  readonly recordedDate?: string;
  readonly clinicalStatus?: { readonly coding?: readonly Coding[] };
  readonly verificationStatus?: { readonly coding?: readonly Coding[] };
}
interface Bundle {
  readonly resourceType?: string;
  readonly entry?: readonly { readonly resource?: Resource }[];
}

function isDiabetes(coding: Coding): boolean {
  if (coding.system === systems.snomed) {
    return diabetesSnomed.has(coding.code ?? '');
  }
  return icd10Systems.has(coding.system ?? '') && /^E1[0-4]/u.test(coding.code ?? '');
}

function dateOf(value: string | undefined): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function referenceOf(resource: Resource): string {
  const version = resource.meta?.versionId === undefined ? '' : `/_history/${resource.meta.versionId}`;
  return `${resource.resourceType ?? '?'}/${resource.id ?? '?'}${version}`;
}

/** The context observation of an Observation (HbA1c or a DR grade), undefined for anything else. */
export function observationContext(resource: Resource, receivedAt: Date): ContextObservation | undefined {
  const coding = resource.code?.coding?.find(
    (entry) =>
      entry.system === systems.loinc &&
      (hba1cLoincCodes.includes(entry.code ?? '') || drGradeEye[entry.code ?? ''] !== undefined),
  );
  if (coding?.code === undefined || resource.id === undefined) {
    return undefined;
  }
  if (resource.status === 'entered-in-error' || resource.status === 'cancelled') {
    return undefined;
  }
  const eye = drGradeEye[coding.code];
  const gradeValue = resource.valueCodeableConcept?.coding?.[0];
  const value =
    resource.valueQuantity?.value ??
    gradeValue?.code ??
    resource.valueCodeableConcept?.text ??
    resource.valueString;
  const unit = resource.valueQuantity?.code ?? resource.valueQuantity?.unit;
  const observedAt = dateOf(resource.effectiveDateTime ?? resource.issued);
  return {
    id: `fhir:Observation/${resource.id}`,
    kind: eye === undefined ? 'lab' : 'grade',
    system: systems.loinc,
    code: coding.code,
    ...(coding.display === undefined ? {} : { display: coding.display }),
    ...(value === undefined ? {} : { value }),
    ...(unit === undefined ? {} : { unit }),
    ...(eye === undefined ? {} : { eye }),
    ...(observedAt === undefined ? {} : { observedAt }),
    ...(resource.status === undefined ? {} : { status: resource.status }),
    source: { protocol: 'fhir', reference: referenceOf(resource) },
    receivedAt,
  };
}

/** The context observation of a diabetes Condition (not refuted or entered in error), else undefined. */
export function conditionContext(resource: Resource, receivedAt: Date): ContextObservation | undefined {
  const coding = resource.code?.coding?.find(isDiabetes);
  const verification = resource.verificationStatus?.coding?.[0]?.code;
  if (
    coding?.code === undefined ||
    resource.id === undefined ||
    verification === 'refuted' ||
    verification === 'entered-in-error'
  ) {
    return undefined;
  }
  const clinical = resource.clinicalStatus?.coding?.[0]?.code;
  const observedAt = dateOf(resource.onsetDateTime ?? resource.recordedDate);
  return {
    id: `fhir:Condition/${resource.id}`,
    kind: 'condition',
    system: coding.system ?? '',
    code: coding.code,
    ...(coding.display === undefined ? {} : { display: coding.display }),
    ...(observedAt === undefined ? {} : { observedAt }),
    ...(clinical === undefined ? {} : { status: clinical }),
    source: { protocol: 'fhir', reference: referenceOf(resource) },
    receivedAt,
  };
}

/** A client that reads a patient's context from a FHIR server. */
export class FhirContextClient {
  readonly #options: FhirContextClientOptions;
  readonly #cache = new Map<string, { readonly at: number; readonly observations: ContextObservation[] }>();

  constructor(options: FhirContextClientOptions) {
    this.#options = { ...options, baseUrl: options.baseUrl.replace(/\/+$/u, '') };
  }

  /** GET a search and return its Bundle's resources. */
  async #search(path: string, signal?: AbortSignal): Promise<Resource[]> {
    const timeout = AbortSignal.timeout(this.#options.timeoutMs ?? 10_000);
    const response = await fetch(`${this.#options.baseUrl}/${path}`, {
      headers: {
        accept: 'application/fhir+json',
        ...(this.#options.token === undefined ? {} : { authorization: `Bearer ${this.#options.token}` }),
      },
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    }).catch((error: unknown) => {
      throw new FoveaError('FOVEA_FHIR_UNAVAILABLE', {
        detail: 'the FHIR server did not answer',
        cause: error,
      });
    });
    if (!response.ok) {
      throw new FoveaError('FOVEA_FHIR_UNAVAILABLE', {
        detail: `the FHIR server answered ${response.status} to a ${path.split('?')[0] ?? ''} search`,
      });
    }
    const bundle = (await response.json()) as Bundle;
    if (bundle.resourceType !== 'Bundle') {
      throw new FoveaError('FOVEA_FHIR_UNAVAILABLE', { detail: 'the FHIR server did not answer a Bundle' });
    }
    return (bundle.entry ?? []).flatMap((entry) => (entry.resource === undefined ? [] : [entry.resource]));
  }

  /** The identifier search value for a patient key (`system|value`, or the value alone). */
  identifierToken(patient: PatientKey): string {
    const issuer = patient.issuer ?? '';
    const system = /^(urn:|https?:\/\/)/u.test(issuer) ? issuer : this.#options.identifierSystem;
    return system === undefined ? patient.patientId : `${system}|${patient.patientId}`;
  }

  /**
   * The patient's context from the FHIR server (cached); empty when no Patient has the identifier, and
   * when several do (an ambiguous identifier is never guessed).
   * @throws FoveaError `FOVEA_FHIR_UNAVAILABLE` when the server cannot be read.
   */
  async fetchContext(patient: PatientKey, signal?: AbortSignal): Promise<ContextObservation[]> {
    const now = (this.#options.now ?? (() => new Date()))();
    const token = this.identifierToken(patient);
    const cached = this.#cache.get(token);
    if (cached !== undefined && now.getTime() - cached.at < (this.#options.cacheSeconds ?? 300) * 1000) {
      return cached.observations;
    }
    const patients = await this.#search(`Patient?identifier=${encodeURIComponent(token)}`, signal);
    let observations: ContextObservation[] = [];
    if (patients.length === 1 && patients[0]!.id !== undefined) {
      const subject = encodeURIComponent(`Patient/${patients[0]!.id}`);
      const codes = [...hba1cLoincCodes, ...Object.keys(drGradeEye)]
        .map((code) => `${systems.loinc}|${code}`)
        .join(',');
      const [labs, conditions] = await Promise.all([
        this.#search(`Observation?subject=${subject}&code=${encodeURIComponent(codes)}&_count=100`, signal),
        this.#search(`Condition?subject=${subject}&_count=100`, signal),
      ]);
      observations = [
        ...labs.map((resource) => observationContext(resource, now)),
        ...conditions.map((resource) => conditionContext(resource, now)),
      ].filter((entry): entry is ContextObservation => entry !== undefined);
    }
    this.#cache.set(token, { at: now.getTime(), observations });
    const limit = this.#options.cacheEntries ?? 1000;
    while (this.#cache.size > limit) {
      this.#cache.delete(this.#cache.keys().next().value!);
    }
    return observations;
  }
}
