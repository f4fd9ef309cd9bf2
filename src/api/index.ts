/**
 * The HTTP API: Fastify app-as-plugin, problem+json errors, OpenAPI, metrics.
 */
export { buildApi, type ApiDependencies, type RouteRole } from './app.ts';
export { createAccount, sessionCookie, type AuthOptions, type ConfiguredToken } from './auth.ts';
export { createPrometheusMetrics, type PrometheusMetrics } from './metrics.ts';
export { problemFor, type Problem } from './problem.ts';
export { RenderedImages, stationFundusSize, type WarmRequest } from './rendered-images.ts';
export * from './schemas.ts';
