/**
 * The prior visit beside the current one: `GET /api/studies/{uid}/prior-visit` (role `integration`, like the
 * findings) finds the same patient's previous routed study holding one of the current study's modalities (the
 * index's `priorStudies`, the query that gathers a Case's priors) and answers both visits with the key measures
 * of each eye and their change (`../prior-visit-views.ts`); `prior` is null when the patient has none.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import type { ResultStore } from '../../core/result-store.ts';
import type { StudySummary } from '../../core/study.ts';
import { priorVisitMeasures, type VisitResults } from '../prior-visit-views.ts';
import { ProblemSchema, StudyParamsSchema } from '../schemas.ts';
import { PriorVisitSchema } from '../visual-field-schemas.ts';

/** What the prior-visit route reads. */
export interface PriorVisitRouteOptions {
  readonly index: InstanceIndex;
  readonly results: ResultStore;
}

/** Whole days between two DA values (YYYYMMDD), or null. */
function daysBetween(from: string | undefined, to: string | undefined): number | null {
  const time = (value: string | undefined) =>
    value !== undefined && /^\d{8}$/u.test(value)
      ? Date.UTC(Number(value.slice(0, 4)), Number(value.slice(4, 6)) - 1, Number(value.slice(6, 8)))
      : undefined;
  const [a, b] = [time(from), time(to)];
  return a === undefined || b === undefined ? null : Math.round((b - a) / 86_400_000);
}

function visitOf(study: StudySummary): {
  studyInstanceUid: string;
  studyDate: string | null;
  modalities: string[];
} {
  return {
    studyInstanceUid: study.studyInstanceUid,
    studyDate: study.studyDate ?? null,
    modalities: [...study.modalities],
  };
}

/** Registers `GET /api/studies/{uid}/prior-visit`. */
export function priorVisitRoutes(options: PriorVisitRouteOptions): FastifyPluginAsync {
  const resultsOf = async (studyInstanceUid: string): Promise<VisitResults> => ({
    studyInstanceUid,
    analyses: await options.results.listAnalyses(studyInstanceUid),
    sopInstanceUids: new Set(
      (await options.index.listInstances(studyInstanceUid)).map((instance) => instance.sopInstanceUid),
    ),
  });
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/studies/:StudyInstanceUID/prior-visit',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['results'],
          summary:
            "The same patient's previous study of the same modality and the change of the key measures per eye " +
            '(MD, CST and fluid, ICDR grade; AI-generated)',
          params: StudyParamsSchema,
          response: { 200: PriorVisitSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const uid = request.params.StudyInstanceUID;
        const study = await options.index.getStudy(uid);
        if (study === undefined) {
          throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such study' });
        }
        const [priorUid] =
          study.modalities.length === 0 ? [] : await options.index.priorStudies(uid, study.modalities, 1);
        const prior = priorUid === undefined ? undefined : await options.index.getStudy(priorUid);
        const current = await resultsOf(uid);
        const previous = prior === undefined ? undefined : await resultsOf(prior.studyInstanceUid);
        return {
          studyInstanceUid: uid,
          current: visitOf(study),
          prior: prior === undefined ? null : visitOf(prior),
          intervalDays: prior === undefined ? null : daysBetween(prior.studyDate, study.studyDate),
          measures: priorVisitMeasures(current, previous),
        };
      },
    );
  };
}
