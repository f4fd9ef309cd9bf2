/**
 * Cross-key rules the schema alone cannot express: references between sections, unique ids, regular
 * expressions that compile.
 */
import type { ConfigIssue } from './issue.ts';
import type { FoveaConfig } from './schema.ts';

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) {
      repeated.add(value);
    }
    seen.add(value);
  }
  return [...repeated];
}

/** Returns every cross-key problem of an otherwise schema-valid configuration. */
export function checkSemantics(config: FoveaConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const siteIds = new Set([config.defaultSite, ...config.sites.map((site) => site.id)]);
  for (const id of duplicates(config.sites.map((site) => site.id))) {
    issues.push({ path: 'sites', message: `site id "${id}" is used twice` });
  }
  config.sites.forEach((site, index) => {
    for (const pacs of site.match.pacs ?? []) {
      if (!Object.hasOwn(config.pacs, pacs)) {
        issues.push({ path: `sites.${index}.match.pacs`, message: `unknown PACS "${pacs}"` });
      }
    }
  });
  for (const id of duplicates(config.routing.rules.map((rule) => rule.id))) {
    issues.push({ path: 'routing.rules', message: `rule id "${id}" is used twice` });
  }
  config.routing.rules.forEach((rule, index) => {
    const base = `routing.rules.${index}`;
    rule.useCases.forEach((useCase, position) => {
      if (!Object.hasOwn(config.routing.useCases, useCase)) {
        issues.push({ path: `${base}.useCases.${position}`, message: `unknown use case "${useCase}"` });
      }
    });
    for (const key of [
      'seriesDescription',
      'manufacturer',
      'manufacturerModelName',
      'stationName',
    ] as const) {
      const pattern = rule.match[key];
      if (pattern !== undefined) {
        try {
          new RegExp(pattern, 'iu');
        } catch (error) {
          issues.push({
            path: `${base}.match.${key}`,
            message: `invalid regular expression: ${(error as Error).message}`,
          });
        }
      }
    }
    for (const site of rule.match.sites ?? []) {
      if (!siteIds.has(site)) {
        issues.push({ path: `${base}.match.sites`, message: `unknown site "${site}"` });
      }
    }
    if (Object.keys(rule.match).length === 0) {
      issues.push({ path: `${base}.match`, message: 'a rule must have at least one criterion' });
    }
  });
  for (const useCase of Object.keys(config.rollout.overrides)) {
    if (useCase !== '*' && !Object.hasOwn(config.routing.useCases, useCase)) {
      issues.push({ path: `rollout.overrides.${useCase}`, message: `unknown use case "${useCase}"` });
    }
  }
  for (const [id, useCase] of Object.entries(config.routing.useCases)) {
    for (const site of Object.keys(useCase.sitePhases ?? {})) {
      if (!siteIds.has(site)) {
        issues.push({ path: `routing.useCases.${id}.sitePhases`, message: `unknown site "${site}"` });
      }
    }
  }
  (config.delivery.destinations ?? []).forEach((destination, index) => {
    const base = `delivery.destinations.${index}`;
    const mllp = destination.protocol === 'mllp';
    const needed = mllp ? (['host', 'port', 'role'] as const) : (['pacs'] as const);
    const foreign = mllp
      ? (['pacs'] as const)
      : (['host', 'port', 'role', 'receivingApplication', 'receivingFacility', 'sendingFacility'] as const);
    for (const key of needed) {
      if (destination[key] === undefined) {
        issues.push({ path: `${base}.${key}`, message: `is required for protocol ${destination.protocol}` });
      }
    }
    for (const key of foreign) {
      if (destination[key] !== undefined) {
        issues.push({
          path: `${base}.${key}`,
          message: `does not apply to protocol ${destination.protocol}`,
        });
      }
    }
    if (mllp || destination.pacs === undefined) {
      return;
    }
    const pacs = config.pacs[destination.pacs];
    if (pacs === undefined) {
      issues.push({
        path: `delivery.destinations.${index}.pacs`,
        message: `unknown PACS "${destination.pacs}"`,
      });
    } else if (destination.protocol === 'dimse' && pacs.dimse === undefined) {
      issues.push({
        path: `delivery.destinations.${index}.protocol`,
        message: `PACS "${destination.pacs}" has no DIMSE peer (set pacs.${destination.pacs}.dimse or FOVEA_PACS_DIMSE)`,
      });
    } else if (destination.protocol === 'stow-rs' && pacs.dicomweb === undefined) {
      issues.push({
        path: `delivery.destinations.${index}.protocol`,
        message: `PACS "${destination.pacs}" has no DICOMweb URL`,
      });
    }
  });
  for (const id of duplicates((config.delivery.destinations ?? []).map((destination) => destination.id))) {
    issues.push({ path: 'delivery.destinations', message: `destination id "${id}" is used twice` });
  }
  const watched = config.pacs[config.watch.pacs];
  if (config.watch.enabled === true && watched?.dicomweb === undefined) {
    issues.push({
      path: 'watch.pacs',
      message: `the watcher is enabled but PACS "${config.watch.pacs}" has no DICOMweb URL (set FOVEA_PACS_DICOMWEB_URL)`,
    });
  }
  const priors = config.analysis.priors.pacs;
  if (priors !== undefined && priors !== '' && config.pacs[priors]?.dicomweb === undefined) {
    issues.push({
      path: 'analysis.priors.pacs',
      message: `priors are to be searched on PACS "${priors}", which has no DICOMweb URL`,
    });
  }
  for (const [id, pacs] of Object.entries(config.pacs)) {
    const web = pacs.dicomweb;
    if (web?.password !== undefined && web.user === undefined) {
      issues.push({ path: `pacs.${id}.dicomweb.user`, message: 'a password needs a user' });
    }
  }
  return issues;
}
