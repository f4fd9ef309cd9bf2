/**
 * `GET /metrics`: Prometheus exposition format.
 */
import type { FastifyPluginAsync } from 'fastify';

/** What the metrics route reads. */
export interface MetricsRouteOptions {
  readonly registry: { readonly contentType: string; metrics(): Promise<string> };
}

/** Registers the metrics route. */
export function metricsRoutes(options: MetricsRouteOptions): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/metrics',
      { config: { role: 'integration' }, schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
      async (_request, reply) =>
        reply.type(options.registry.contentType).send(await options.registry.metrics()),
    );
  };
}
