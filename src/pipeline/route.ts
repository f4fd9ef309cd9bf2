/**
 * Routing: declarative rules from the configuration, matched against each instance of a study; a study goes to
 * the union of the use cases whose rules matched at least one of its instances. Every decision says why.
 */
import type { RuleConfig, RuleMatchConfig } from '../config/index.ts';
import type { InstanceRecord } from '../core/instance.ts';
import type { RouteDecision, RoutedUseCase, RuleEvaluation } from '../core/route.ts';

/** The routing part of the configuration. */
export interface RoutingTable {
  readonly rules: readonly RuleConfig[];
  readonly useCases: Readonly<Record<string, { readonly analyzers?: readonly string[] }>>;
}

type Criterion = keyof RuleMatchConfig;

/** Checks one criterion against one instance; returns undefined when it holds, else what failed. */
function failedCriterion(
  criterion: Criterion,
  match: RuleMatchConfig,
  instance: InstanceRecord,
): { expected: string; seen: string } | undefined {
  const inList = (list: readonly string[] | undefined, value: string | undefined, caseless = false) => {
    if (list === undefined) {
      return undefined;
    }
    const normalise = (text: string) => (caseless ? text.trim().toUpperCase() : text.trim());
    const ok = value !== undefined && list.some((entry) => normalise(entry) === normalise(value));
    return ok ? undefined : { expected: list.join('|'), seen: value ?? '(none)' };
  };
  const matches = (pattern: string | undefined, value: string | undefined) => {
    if (pattern === undefined) {
      return undefined;
    }
    const ok = value !== undefined && new RegExp(pattern, 'iu').test(value);
    return ok ? undefined : { expected: `/${pattern}/i`, seen: value ?? '(none)' };
  };
  switch (criterion) {
    case 'sopClassUids':
      return inList(match.sopClassUids, instance.sopClassUid);
    case 'modalities':
      return inList(match.modalities, instance.modality, true);
    case 'eyes':
      return inList(match.eyes, instance.eye);
    case 'seriesDescription':
      return matches(match.seriesDescription, instance.seriesDescription);
    case 'manufacturer':
      return matches(match.manufacturer, instance.manufacturer);
    case 'manufacturerModelName':
      return matches(match.manufacturerModelName, instance.manufacturerModelName);
    case 'stationName':
      return matches(match.stationName, instance.stationName);
    case 'callingAeTitles':
      return inList(match.callingAeTitles, instance.origin.callingAet);
    case 'sites':
      return inList(match.sites, instance.origin.site);
  }
}

/** Evaluates one rule against the instances of a study. */
export function evaluateRule(rule: RuleConfig, instances: readonly InstanceRecord[]): RuleEvaluation {
  const criteria = (Object.keys(rule.match) as Criterion[]).filter((key) => rule.match[key] !== undefined);
  const matchedInstances: string[] = [];
  const failures = new Map<Criterion, Map<string, number>>();
  for (const instance of instances) {
    let ok = true;
    for (const criterion of criteria) {
      const failed = failedCriterion(criterion, rule.match, instance);
      if (failed !== undefined) {
        ok = false;
        const seen = failures.get(criterion) ?? new Map<string, number>();
        const key = `expected ${failed.expected}, saw ${failed.seen}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        failures.set(criterion, seen);
      }
    }
    if (ok) {
      matchedInstances.push(instance.sopInstanceUid);
    }
  }
  const matched = matchedInstances.length > 0;
  const reasons = matched
    ? [`${matchedInstances.length} of ${instances.length} instances satisfy ${criteria.join(', ')}`]
    : [...failures].flatMap(([criterion, seen]) =>
        [...seen].map(
          ([text, count]) => `${criterion}: ${text} (${count} instance${count === 1 ? '' : 's'})`,
        ),
      );
  return { ruleId: rule.id, matched, matchedInstances, reasons, useCases: [...rule.useCases] };
}

/** Routes a study: evaluates every rule and gathers the use cases of the matching ones. */
export function routeStudy(
  table: RoutingTable,
  studyInstanceUid: string,
  site: string,
  instances: readonly InstanceRecord[],
  now: Date,
): RouteDecision {
  const rules = table.rules.map((rule) => evaluateRule(rule, instances));
  const useCases = new Map<string, { ruleIds: string[]; uids: Set<string> }>();
  for (const evaluation of rules) {
    if (!evaluation.matched) {
      continue;
    }
    for (const useCase of evaluation.useCases) {
      const entry = useCases.get(useCase) ?? { ruleIds: [], uids: new Set<string>() };
      entry.ruleIds.push(evaluation.ruleId);
      for (const uid of evaluation.matchedInstances) {
        entry.uids.add(uid);
      }
      useCases.set(useCase, entry);
    }
  }
  const routed: RoutedUseCase[] = [...useCases].map(([useCase, entry]) => ({
    useCase,
    analyzers: [...(table.useCases[useCase]?.analyzers ?? [])],
    ruleIds: entry.ruleIds,
    sopInstanceUids: [...entry.uids],
  }));
  return { studyInstanceUid, site, useCases: routed, rules, evaluatedAt: now };
}
