/**
 * The transaction Bundle that writes an analysis's resources: one PUT per resource at its deterministic id
 * (update-as-create), so a retry or a later version (final, amended, entered-in-error) updates the same
 * resources and never duplicates them; the server applies all or none.
 * @see https://hl7.org/fhir/R4/http.html#transaction
 * @see https://hl7.org/fhir/R4/http.html#upsert
 */
import type { FhirResource, FhirResultResources } from './result-resources.ts';

/** A transaction Bundle. */
export interface TransactionBundle {
  readonly resourceType: 'Bundle';
  readonly type: 'transaction';
  readonly entry: readonly {
    readonly fullUrl: string;
    readonly resource: FhirResource;
    readonly request: { readonly method: 'PUT'; readonly url: string };
  }[];
}

/** The transaction writing the resources: the Device, the Observations, the DiagnosticReport, the Provenance. */
export function resultTransaction(resources: FhirResultResources): TransactionBundle {
  const all: FhirResource[] = [
    resources.device,
    ...resources.observations,
    resources.report,
    ...(resources.provenance === undefined ? [] : [resources.provenance]),
  ];
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: all.map((resource) => ({
      fullUrl: `${resource.resourceType}/${resource.id}`,
      resource,
      request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` },
    })),
  };
}
