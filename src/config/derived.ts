/**
 * Values derived from the configuration, computed in one place.
 */
import type { DestinationConfig, FoveaConfig } from './schema.ts';

/** A rollout phase. */
export type Phase = 'off' | 'silent' | 'assistive' | 'integrated';

/** The triage policy of a site: its release threshold and the measurement rules. */
export function triagePolicy(
  config: FoveaConfig,
  site: string,
): { releaseConfidence: number; measurementRules: FoveaConfig['triage']['measurementRules'] } {
  return {
    releaseConfidence: config.triage.siteReleaseConfidence[site] ?? config.triage.releaseConfidence,
    measurementRules: config.triage.measurementRules,
  };
}

/** A PACS destination of the DICOM result objects, or the FHIR server of `fhir.baseUrl` (`pacs` empty). */
export interface DicomOrFhirDestination {
  readonly id: string;
  readonly pacs: string;
  /** `fhir`: the FHIR server of `fhir.baseUrl` (results as a transaction Bundle); `pacs` is then empty. */
  readonly protocol: 'dimse' | 'stow-rs' | 'fhir';
}

/** What an MLLP destination receives. */
export type MllpRole = 'results' | 'alerts' | 'orders';

/** An HL7 v2 receiver over MLLP (see `docs/conformance/hl7.md`). */
export interface MllpDestination {
  readonly id: string;
  readonly protocol: 'mllp';
  readonly host: string;
  readonly port: number;
  readonly role: MllpRole;
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  readonly sendingFacility?: string;
}

/** Where results are delivered. */
export type DeliveryDestination = DicomOrFhirDestination | MllpDestination;

/** Whether the PACS watcher runs: explicitly set, or on when the watched PACS has a DICOMweb URL. */
export function watchEnabled(config: FoveaConfig): boolean {
  return config.watch.enabled ?? config.pacs[config.watch.pacs]?.dicomweb !== undefined;
}

/**
 * The rollout phase of a use case at a site: `FOVEA_PHASES` overrides (the use case, then `*`), the use
 * case's phase for the site, its phase, then the profile's default — `assistive` in the demo profile,
 * `silent` in production (a use case nobody has set a phase for never reaches clinicians).
 */
export function phaseFor(config: FoveaConfig, useCase: string, site: string): Phase {
  const entry = config.routing.useCases[useCase];
  return (
    config.rollout.overrides[useCase] ??
    config.rollout.overrides['*'] ??
    entry?.sitePhases?.[site] ??
    entry?.phase ??
    (config.profile === 'demo' ? 'assistive' : 'silent')
  );
}

/** A validated configured destination as its protocol's type (`semantics.ts` checked the keys it needs). */
function destinationOf(entry: DestinationConfig): DeliveryDestination {
  if (entry.protocol !== 'mllp') {
    return { id: entry.id, pacs: entry.pacs ?? '', protocol: entry.protocol };
  }
  return {
    id: entry.id,
    protocol: 'mllp',
    host: entry.host ?? '',
    port: entry.port ?? 0,
    role: entry.role ?? 'results',
    ...(entry.receivingApplication === undefined ? {} : { receivingApplication: entry.receivingApplication }),
    ...(entry.receivingFacility === undefined ? {} : { receivingFacility: entry.receivingFacility }),
    ...(entry.sendingFacility === undefined ? {} : { sendingFacility: entry.sendingFacility }),
  };
}

/** The delivery destinations: configured, or the default PACS (DIMSE when it has a DIMSE peer, else STOW-RS). */
export function deliveryDestinations(config: FoveaConfig): DeliveryDestination[] {
  const fhir: DeliveryDestination[] =
    config.fhir.baseUrl !== undefined && config.fhir.deliverResults
      ? [{ id: 'fhir', pacs: '', protocol: 'fhir' }]
      : [];
  if (config.delivery.destinations !== undefined) {
    return [...config.delivery.destinations.map(destinationOf), ...fhir];
  }
  const pacs = config.pacs.default;
  if (pacs?.dimse !== undefined) {
    return [{ id: 'default-pacs', pacs: 'default', protocol: 'dimse' }, ...fhir];
  }
  if (pacs?.dicomweb !== undefined) {
    return [{ id: 'default-pacs', pacs: 'default', protocol: 'stow-rs' }, ...fhir];
  }
  return fhir;
}

/**
 * The PACS searched for priors with QIDO-RS: `analysis.priors.pacs`, else `default` when it has a DICOMweb URL;
 * `undefined` when priors come from Fovea's index only.
 */
export function priorsPacs(config: FoveaConfig): string | undefined {
  const id = config.analysis.priors.pacs ?? 'default';
  return id !== '' && config.pacs[id]?.dicomweb !== undefined ? id : undefined;
}
