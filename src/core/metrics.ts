/**
 * The metrics port: the counters and gauges the pipeline reports. `api/metrics.ts` exposes them to Prometheus;
 * tests use {@link noMetrics}.
 */
import type { OriginProtocol } from './origin.ts';

/** Outcome of one received instance. */
export type IngestOutcome = 'stored' | 'duplicate' | 'rejected';

/** What the pipeline measures. */
export interface Metrics {
  instanceReceived(protocol: OriginProtocol, outcome: IngestOutcome, bytes: number): void;
  instancesIndexed(count: number, seconds: number): void;
  indexQueueDepth(depth: number): void;
  studyTransition(state: 'stable' | 'routed' | 'reopened'): void;
  watchPoll(outcome: 'ok' | 'failed', studiesFetched: number): void;
  dimseAssociation(outcome: 'accepted' | 'rejected'): void;
}

/** Metrics that go nowhere. */
export const noMetrics: Metrics = {
  instanceReceived() {},
  instancesIndexed() {},
  indexQueueDepth() {},
  studyTransition() {},
  watchPoll() {},
  dimseAssociation() {},
};
