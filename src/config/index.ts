/**
 * Configuration: one schema, defaults < file < environment < flags, validated at boot with every error and
 * its path.
 */
export {
  ConfigError,
  configEnvironmentVariables,
  configFlags,
  loadConfig,
  mergeConfig,
  redactConfig,
  validateConfig,
  type ConfigSources,
} from './load.ts';
export type { ConfigIssue } from './issue.ts';
export {
  ConfigSchema,
  type FoveaConfig,
  type PacsConfig,
  type RuleConfig,
  type RuleMatchConfig,
  type SiteConfig,
} from './schema.ts';
export {
  deliveryDestinations,
  priorsPacs,
  triagePolicy,
  phaseFor,
  watchEnabled,
  type DeliveryDestination,
  type DicomOrFhirDestination,
  type MllpDestination,
  type MllpRole,
  type Phase,
} from './derived.ts';
