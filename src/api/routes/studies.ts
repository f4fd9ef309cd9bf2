/**
 * Studies: `GET /api/studies` (paged, filterable), `GET /api/studies/{StudyInstanceUID}` (state, instances per
 * eye, Case, route, visible AI findings, triage), `GET /api/studies/{StudyInstanceUID}/explain` (which routing rules matched and why).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import type { PatientContextStore } from '../../core/patient-context.ts';
import type { ResultStore } from '../../core/result-store.ts';
import { findingView, triageView, visibleFindings } from '../result-views.ts';
import {
  ExplainSchema,
  ProblemSchema,
  StudyDetailSchema,
  StudyListQuerySchema,
  StudyPageSchema,
  StudyParamsSchema,
  type ExplainView,
  type InstanceView,
} from '../schemas.ts';
import { contextObservationView, instanceView, studyView } from '../views.ts';

/** What the study routes read. */
export interface StudyRouteOptions {
  readonly index: InstanceIndex;
  /** The routing explanation of a study (recorded decision, or a preview while it is still receiving). */
  readonly explain: (studyInstanceUid: string) => Promise<ExplainView | undefined>;
  /** When present, the study view carries its visible findings and triage. */
  readonly results?: ResultStore;
  /** When present, the study view carries the patient's EHR context. */
  readonly context?: PatientContextStore;
}

function notFound(): FoveaError {
  return new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such study' });
}

/** Registers the study routes. */
export function studyRoutes(options: StudyRouteOptions): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/studies',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['studies'],
          summary: 'List studies, most recently received first',
          querystring: StudyListQuerySchema,
          response: { 200: StudyPageSchema, 400: ProblemSchema },
        },
      },
      async (request) => {
        const page = await options.index.listStudies(request.query);
        return { ...page, items: page.items.map(studyView) };
      },
    );

    app.get(
      '/api/studies/:StudyInstanceUID',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['studies'],
          summary: 'One study: state, instances per eye, Case and route',
          params: StudyParamsSchema,
          response: { 200: StudyDetailSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const uid = request.params.StudyInstanceUID;
        const study = await options.index.getStudy(uid);
        if (study === undefined) {
          throw notFound();
        }
        const [instances, assembly, analyses, triage] = await Promise.all([
          options.index.listInstances(uid),
          options.index.getAssembly(uid),
          options.results?.listAnalyses(uid) ?? Promise.resolve([]),
          options.results?.getTriage(uid) ?? Promise.resolve(undefined),
        ]);
        const issuer = assembly?.case.issuerOfPatientId ?? instances[0]?.issuerOfPatientId;
        const context =
          options.context === undefined || study.patientId === undefined
            ? undefined
            : await options.context.getContext({
                patientId: study.patientId,
                ...(issuer === undefined ? {} : { issuer }),
              });
        const byEye: Record<'R' | 'L' | 'B' | 'U', InstanceView[]> = { R: [], L: [], B: [], U: [] };
        for (const instance of instances) {
          byEye[instance.eye].push(instanceView(instance));
        }
        return {
          study: studyView(study),
          instancesByEye: byEye,
          case:
            assembly === undefined
              ? null
              : (JSON.parse(JSON.stringify(assembly.case)) as Record<string, unknown>),
          route:
            assembly === undefined
              ? null
              : (JSON.parse(JSON.stringify(assembly.route)) as Record<string, unknown>),
          findings: visibleFindings(analyses).map(findingView),
          triage: triage === undefined ? null : triageView(triage),
          context: (context?.observations ?? []).map(contextObservationView),
        };
      },
    );

    app.get(
      '/api/studies/:StudyInstanceUID/explain',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['studies'],
          summary: 'Which routing rules matched the study, and why',
          params: StudyParamsSchema,
          response: { 200: ExplainSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const explanation = await options.explain(request.params.StudyInstanceUID);
        if (explanation === undefined) {
          throw notFound();
        }
        return explanation;
      },
    );
  };
}
