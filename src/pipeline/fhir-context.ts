/**
 * Patient context from a FHIR server for analyses: before a Case's context is read, the patient's HbA1c,
 * prior DR grades and diabetes Conditions are fetched (cached by the client) and recorded in the context
 * store next to what HL7 v2 delivered (idempotent by resource id), so the Case, the API and the audit see one
 * context with each item's source. A FHIR server that cannot be read never fails an analysis: the failure is
 * logged (code only, no identifiers) and the Case gets what the store already has.
 * @see https://hl7.org/fhir/R4/search.html
 */
import { toFoveaError } from '../core/errors.ts';
import { logEvents } from '../core/log-events.ts';
import type { Logger } from '../core/logger.ts';
import type { PatientContext, PatientContextStore, PatientKey } from '../core/patient-context.ts';
import type { FhirContextClient } from '../fhir/index.ts';

/** A context store whose reads first refresh the patient's context from the FHIR server. */
export function fhirBackedContext(
  store: PatientContextStore,
  client: Pick<FhirContextClient, 'fetchContext'>,
  logger: Logger,
): PatientContextStore {
  return {
    recordObservations: (patient, observations) => store.recordObservations(patient, observations),
    mergePatients: (from, to) => store.mergePatients(from, to),
    recordOrder: (order) => store.recordOrder(order),
    getOrder: (accessionNumber) => store.getOrder(accessionNumber),
    async getContext(patient: PatientKey, limit?: number): Promise<PatientContext> {
      try {
        const observations = await client.fetchContext(patient);
        const added = observations.length === 0 ? 0 : await store.recordObservations(patient, observations);
        logger.info(
          { event: logEvents.CONTEXT_FETCHED, observations: observations.length, added },
          'patient context read from FHIR',
        );
      } catch (error) {
        const failure = toFoveaError(error);
        logger.warn(
          { event: logEvents.CONTEXT_FETCH_FAILED, code: failure.code, detail: failure.detail },
          'patient context could not be read from FHIR; the Case gets what is stored',
        );
      }
      return store.getContext(patient, limit);
    },
  };
}
