/**
 * `GET /api/health`: liveness and readiness of the gateway's parts. Public.
 */
import type { FastifyPluginAsync } from 'fastify';
import { HealthSchema, type HealthView } from '../schemas.ts';

/** Health route options. */
export interface HealthRouteOptions {
  readonly health: () => Promise<HealthView>;
}

/** Registers the health route. */
export function healthRoutes(options: HealthRouteOptions): FastifyPluginAsync {
  return async (app) => {
    app.get(
      '/api/health',
      {
        config: { role: 'public' },
        schema: {
          tags: ['operations'],
          summary: 'Health of the gateway',
          response: { 200: HealthSchema, 503: HealthSchema },
        },
      },
      async (_request, reply) => {
        const report = await options.health();
        return reply.code(report.status === 'ok' ? 200 : 503).send(report);
      },
    );
  };
}
