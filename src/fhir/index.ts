/**
 * FHIR R4: the resources Fovea writes for its results (Observations, DiagnosticReport, algorithm Device,
 * review Provenance) and the transaction that writes them idempotently.
 * @see https://hl7.org/fhir/R4/
 */
export { resultTransaction, type TransactionBundle } from './bundle.ts';
export { codingOf, eyeBodySite, systems, type Coding } from './codes.ts';
export {
  algorithmDevice,
  buildResultResources,
  fhirIdFromName,
  type FhirResource,
  type FhirResultInput,
  type FhirResultResources,
  type FhirResultStatus,
  type FhirResultSubject,
  type FhirReviewer,
} from './result-resources.ts';
export {
  conditionContext,
  FhirContextClient,
  observationContext,
  type FhirContextClientOptions,
} from './context-client.ts';
