/**
 * The HTTP API as a Fastify app: health, studies, OpenAPI, Prometheus metrics and DICOMweb STOW-RS. Every route
 * declares the role it needs (`config.role`); a route without one stops boot, so access control is a switch
 * (`review-station`), not a rewrite.
 */
import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { roles, type Role } from '../core/roles.ts';
import { deferExpectContinue, stowRsRoutes, type StowRouteOptions } from '../dicom/dicomweb/index.ts';
import { installProblemHandlers } from './problem.ts';
import { healthRoutes, type HealthRouteOptions } from './routes/health.ts';
import { imageRoutes, type ImageRouteOptions } from './routes/images.ts';
import { registerLesionHeatmapRoute } from './routes/lesion-heatmap.ts';
import { metricsRoutes, type MetricsRouteOptions } from './routes/metrics.ts';
import { registerOctLayersRoute } from './routes/oct-layers.ts';
import { registerOctSloRoute } from './routes/oct-slo.ts';
import { resultRoutes, type ResultRouteOptions } from './routes/results.ts';
import { reviewRoutes, type ReviewRouteOptions } from './routes/review.ts';
import type { AuditLog } from '../core/audit.ts';
import { installAuditHook } from './audit-hook.ts';
import { auditRoutes } from './routes/audit.ts';
import { installAuth, type AuthOptions } from './auth.ts';
import { studyRoutes, type StudyRouteOptions } from './routes/studies.ts';
import { webRoutes, type WebRouteOptions } from './routes/web.ts';
import { priorVisitRoutes } from './routes/prior-visit.ts';
import { visualFieldRoutes } from './routes/visual-fields.ts';
import type { FieldDeviationsOf } from './visual-field-views.ts';

/** A route and the role it needs (for the access-control matrix test and the documentation). */
export interface RouteRole {
  readonly method: string;
  readonly url: string;
  readonly role: Role;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route with its role, filled as routes are added. */
    routeTable: readonly RouteRole[];
  }
}

/** Everything the API reads or calls. */
export interface ApiDependencies extends Omit<StudyRouteOptions, 'results'> {
  readonly version: string;
  readonly logger: FastifyBaseLogger;
  readonly health: HealthRouteOptions['health'];
  readonly metricsRegistry: MetricsRouteOptions['registry'];
  readonly stow: Omit<StowRouteOptions, 'role'>;
  /** Access control: accounts, sessions, tokens (deny by default). */
  readonly auth: AuthOptions;
  /** The audit log: every request of a known caller and every sign-in is recorded. */
  readonly audit?: AuditLog;
  /** Findings, deliveries and jobs (absent in tools that run without the analysis pipeline). */
  readonly results?: Omit<ResultRouteOptions, 'index'>;
  /** Clinician review and sign-off (absent in tools without the pipeline). */
  readonly review?: Omit<ReviewRouteOptions, 'index' | 'results'>;
  /** Rendered frames of received instances for the viewer (absent in tools without a spool). */
  readonly images?: ImageRouteOptions;
  /** Fovea's per-point deviations of a visual field for the station (absent: the perimeter's only). */
  readonly visualFieldDeviations?: FieldDeviationsOf;
  /** Where the review station's static shell is (default: the repository's `web/dist`). */
  readonly web?: WebRouteOptions;
}

/** Builds the app (not listening yet). */
export async function buildApi(deps: ApiDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // Fastify's request lines carry the raw URL, whose query may hold patient identifiers: no PHI in logs.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: () => randomBytes(8).toString('hex'),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
  });
  deferExpectContinue(app);
  const routeTable: RouteRole[] = [];
  app.addHook('onRoute', (route) => {
    const role = route.config?.role;
    if (role === undefined || !roles.includes(role)) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no role`);
    }
    for (const method of [route.method].flat()) {
      routeTable.push({ method, url: route.url, role });
    }
  });
  app.decorate('routeTable', routeTable);
  installProblemHandlers(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Fovea API',
        version: deps.version,
        description: 'Ophthalmic AI orchestration gateway: studies, findings, worklist and DICOMweb ingest.',
      },
      tags: [
        { name: 'studies', description: 'Received studies, their Case and routing' },
        { name: 'results', description: 'AI findings per eye, result objects and deliveries' },
        { name: 'governance', description: 'Every analysis, silent phase included (admin)' },
        { name: 'dicomweb', description: 'DICOMweb STOW-RS (PS3.18 §10.5)' },
        { name: 'operations', description: 'Health and metrics' },
        { name: 'session', description: 'Sign-in, the caller, sign-out' },
        { name: 'audit', description: 'The hash-chained audit trail' },
      ],
    },
  });
  await installAuth(app, deps.auth);
  if (deps.audit !== undefined) {
    installAuditHook(app, deps.audit);
    await app.register(auditRoutes({ audit: deps.audit }));
  }
  await app.register(healthRoutes({ health: deps.health }));
  await app.register(
    studyRoutes({
      index: deps.index,
      explain: deps.explain,
      ...(deps.results === undefined ? {} : { results: deps.results.results }),
      ...(deps.context === undefined ? {} : { context: deps.context }),
    }),
  );
  if (deps.results !== undefined) {
    await app.register(resultRoutes({ ...deps.results, index: deps.index }));
    if (deps.review !== undefined) {
      await app.register(reviewRoutes({ ...deps.review, index: deps.index, results: deps.results.results }));
    }
    await app.register(priorVisitRoutes({ index: deps.index, results: deps.results.results }));
    if (deps.images !== undefined) {
      await app.register(
        visualFieldRoutes({
          index: deps.index,
          results: deps.results.results,
          instanceFile: deps.images.instanceFile,
          ...(deps.visualFieldDeviations === undefined ? {} : { deviationsOf: deps.visualFieldDeviations }),
        }),
      );
    }
  }
  if (deps.images !== undefined) {
    await app.register(imageRoutes(deps.images));
    registerOctSloRoute(app, { index: deps.index, instanceFile: deps.images.instanceFile });
  }
  if (deps.results !== undefined) {
    registerOctLayersRoute(app, { results: deps.results.results });
    registerLesionHeatmapRoute(app, { index: deps.index, results: deps.results.results });
  }
  await app.register(webRoutes(deps.web));
  await app.register(metricsRoutes({ registry: deps.metricsRegistry }));
  await app.register(stowRsRoutes({ ...deps.stow, role: 'ingest' }), { prefix: '/dicomweb' });
  app.get('/api/openapi.json', { config: { role: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  return app;
}
