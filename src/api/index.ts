/**
 * The HTTP API: Fastify app-as-plugin, problem+json errors, OpenAPI, metrics.
 */
export { buildApi, type ApiDependencies } from './app.ts';
export { createPrometheusMetrics, type PrometheusMetrics } from './metrics.ts';
export { problemFor, type Problem } from './problem.ts';
export * from './schemas.ts';
