/**
 * The outcome of routing a study: which rules matched which instances, and the use cases (with their
 * analyzers) the study goes to. Kept with the study so that `GET /api/studies/{uid}/explain` can say why.
 */

/** How one rule fared against one study. */
export interface RuleEvaluation {
  readonly ruleId: string;
  readonly matched: boolean;
  /** The instances that satisfied every criterion of the rule. */
  readonly matchedInstances: readonly string[];
  /** Why the rule matched, or for each criterion that failed, what was expected and what was seen. */
  readonly reasons: readonly string[];
  readonly useCases: readonly string[];
}

/** One use case the study is routed to. */
export interface RoutedUseCase {
  readonly useCase: string;
  readonly analyzers: readonly string[];
  readonly ruleIds: readonly string[];
  /** The instances the matching rules selected for this use case. */
  readonly sopInstanceUids: readonly string[];
}

/** The routing decision for a study. */
export interface RouteDecision {
  readonly studyInstanceUid: string;
  readonly site: string;
  readonly useCases: readonly RoutedUseCase[];
  readonly rules: readonly RuleEvaluation[];
  readonly evaluatedAt: Date;
}
