/**
 * Prometheus metrics: the {@link Metrics} port on prom-client, with the process's default metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../core/metrics.ts';

/** A registry plus the Metrics port writing into it. */
export interface PrometheusMetrics {
  readonly registry: Registry;
  readonly metrics: Metrics;
}

/** Creates a fresh registry (one per gateway, never a module-level singleton). */
export function createPrometheusMetrics(): PrometheusMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'fovea_process_' });
  const instances = new Counter({
    name: 'fovea_instances_received_total',
    help: 'Instances received, by protocol and outcome',
    labelNames: ['protocol', 'outcome'] as const,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'fovea_received_bytes_total',
    help: 'Bytes of received instances, by protocol',
    labelNames: ['protocol'] as const,
    registers: [registry],
  });
  const indexed = new Counter({
    name: 'fovea_instances_indexed_total',
    help: 'Instances newly indexed',
    registers: [registry],
  });
  const indexBatch = new Histogram({
    name: 'fovea_index_batch_seconds',
    help: 'Time to place and index one batch',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  const queue = new Gauge({
    name: 'fovea_index_queue_depth',
    help: 'Committed instances waiting to be indexed',
    registers: [registry],
  });
  const studies = new Counter({
    name: 'fovea_study_transitions_total',
    help: 'Study state transitions',
    labelNames: ['state'] as const,
    registers: [registry],
  });
  const polls = new Counter({
    name: 'fovea_watch_polls_total',
    help: 'PACS watcher polls, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const fetched = new Counter({
    name: 'fovea_watch_studies_fetched_total',
    help: 'Studies fetched by the PACS watcher',
    registers: [registry],
  });
  const associations = new Counter({
    name: 'fovea_dimse_associations_total',
    help: 'DIMSE associations, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return {
    registry,
    metrics: {
      instanceReceived(protocol, outcome, size) {
        instances.inc({ protocol, outcome });
        bytes.inc({ protocol }, size);
      },
      instancesIndexed(count, seconds) {
        indexed.inc(count);
        indexBatch.observe(seconds);
      },
      indexQueueDepth(depth) {
        queue.set(depth);
      },
      studyTransition(state) {
        studies.inc({ state });
      },
      watchPoll(outcome, studiesFetched) {
        polls.inc({ outcome });
        fetched.inc(studiesFetched);
      },
      dimseAssociation(outcome) {
        associations.inc({ outcome });
      },
    },
  };
}
