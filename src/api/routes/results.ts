/**
 * Results: the reading worklist (`GET /api/worklist`, triaged studies most urgent first; live changes as
 * server-sent events on `GET /api/worklist/events`), a study's findings
 * (`GET /api/studies/{uid}/findings`, silent-phase ones never included), its
 * glaucoma trend plot (`GET /api/studies/{uid}/trend-plot?eye=R|L`, SVG), its
 * result objects and deliveries, the governance view of every analysis (silent ones included; admin), and
 * the jobs with their dead-letter state (`GET /api/jobs`, `POST /api/jobs/{id}/requeue`; admin).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import type { JobQueue } from '../../core/job-queue.ts';
import type { ResultStore } from '../../core/result-store.ts';
import type { ClaimStore } from '../../core/study-claim.ts';
import { claimView } from '../claim-schemas.ts';
import {
  AnalysisViewSchema,
  DeliveryListSchema,
  FindingListSchema,
  JobListQuerySchema,
  JobPageSchema,
  JobParamsSchema,
  JobViewSchema,
  WorklistQuerySchema,
  WorklistSchema,
} from '../result-schemas.ts';
import {
  analysisView,
  deliveryView,
  findingView,
  jobView,
  resultObjectView,
  visibleFindings,
  worklistEntryView,
  worklistFilterOf,
} from '../result-views.ts';
import { progressionPlotInput, renderProgressionPlotSvg } from '../progression-plot.ts';
import { latestVisibleAnalysis } from '../visual-field-views.ts';
import { ProblemSchema, StudyParamsSchema } from '../schemas.ts';

/** Subscribes to worklist changes (a Study Instance UID per change); resolves to the unsubscribe function. */
export type WorklistEvents = (listener: (studyInstanceUid: string) => void) => Promise<() => Promise<void>>;

/** What the result routes read. */
export interface ResultRouteOptions {
  readonly index: InstanceIndex;
  readonly results: ResultStore;
  readonly jobs: JobQueue;
  /** Live worklist changes for `GET /api/worklist/events` (absent: the route is not offered). */
  readonly worklistEvents?: WorklistEvents;
  /** Seconds between keep-alive comments on the event stream (default 15). */
  readonly keepAliveSeconds?: number;
  /** Worklist claims: when given, each worklist entry shows who holds it. */
  readonly claims?: ClaimStore;
}

/** Registers the result routes. */
export function resultRoutes(options: ResultRouteOptions): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    const requireStudy = async (uid: string): Promise<void> => {
      if ((await options.index.getStudy(uid)) === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such study' });
      }
    };

    app.get(
      '/api/studies/:StudyInstanceUID/findings',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['results'],
          summary: "A study's AI findings per eye, with provenance (silent-phase findings are never shown)",
          params: StudyParamsSchema,
          response: { 200: FindingListSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const uid = request.params.StudyInstanceUID;
        await requireStudy(uid);
        const findings = visibleFindings(await options.results.listAnalyses(uid));
        return { studyInstanceUid: uid, findings: findings.map(findingView) };
      },
    );

    app.get(
      '/api/studies/:StudyInstanceUID/trend-plot',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['results'],
          summary:
            "One eye's glaucoma trend plot (MD and global RNFL over time with the fitted lines), SVG; from the " +
            'latest vf-progression analysis that is not silent',
          params: StudyParamsSchema,
          querystring: Type.Object({ eye: Type.Union([Type.Literal('R'), Type.Literal('L')]) }),
          response: { 200: Type.String({ description: 'image/svg+xml' }), 404: ProblemSchema },
        },
      },
      async (request, reply) => {
        const uid = request.params.StudyInstanceUID;
        await requireStudy(uid);
        const latest = latestVisibleAnalysis(await options.results.listAnalyses(uid), 'vf-progression');
        const input =
          latest === undefined
            ? undefined
            : progressionPlotInput(
                latest.raw,
                request.query.eye,
                `${latest.analyzerId}@${latest.analyzerVersion}`,
              );
        if (input === undefined) {
          throw new FoveaError('FOVEA_HTTP_NOT_FOUND', {
            detail: 'no visible glaucoma progression analysis with a series for this eye',
          });
        }
        return reply
          .header('content-type', 'image/svg+xml; charset=utf-8')
          .header('cache-control', 'private, no-store')
          .send(renderProgressionPlotSvg(input));
      },
    );

    app.get(
      '/api/worklist',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['results'],
          summary:
            'The reading worklist: triaged studies, most urgent first (stat, referable, recapture, routine, ' +
            'review-and-release), then the earliest received',
          querystring: WorklistQuerySchema,
          response: { 200: WorklistSchema },
        },
      },
      async (request) => {
        const { limit, offset, ...query } = request.query;
        const filter = worklistFilterOf(query);
        const [entries, total] = await Promise.all([
          options.results.listWorklist({ ...filter, limit, offset }),
          options.results.countWorklist(filter),
        ]);
        const claims = await options.claims?.listClaims(
          entries.map((entry) => entry.triage.studyInstanceUid),
        );
        return {
          entries: entries.map((entry) => {
            const claim = claims?.get(entry.triage.studyInstanceUid);
            return {
              ...worklistEntryView(entry),
              ...(claim === undefined ? {} : { claim: claimView(claim) }),
            };
          }),
          total,
        };
      },
    );

    const worklistEvents = options.worklistEvents;
    if (worklistEvents !== undefined) {
      app.get(
        '/api/worklist/events',
        {
          config: { role: 'integration' },
          schema: {
            tags: ['results'],
            summary:
              "Server-sent events: `event: worklist` with the Study Instance UID whenever a study's place on the " +
              'worklist, a review, a sign-off or its claim changes (re-read GET /api/worklist); keep-alive comments',
          },
        },
        async (_request, reply) => {
          reply.hijack();
          const raw = reply.raw;
          raw.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-store',
            connection: 'keep-alive',
            'x-accel-buffering': 'no',
          });
          raw.write('retry: 3000\n: connected\n\n');
          const unsubscribe = await worklistEvents((studyInstanceUid) => {
            raw.write(`event: worklist\ndata: ${JSON.stringify({ studyInstanceUid })}\n\n`);
          });
          const keepAlive = setInterval(
            () => {
              raw.write(': keep-alive\n\n');
            },
            (options.keepAliveSeconds ?? 15) * 1000,
          );
          keepAlive.unref();
          raw.once('close', () => {
            clearInterval(keepAlive);
            void unsubscribe();
          });
        },
      );
    }

    app.get(
      '/api/studies/:StudyInstanceUID/deliveries',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['results'],
          summary: 'The DICOM objects Fovea wrote for a study and the status of each delivery',
          params: StudyParamsSchema,
          response: { 200: DeliveryListSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const uid = request.params.StudyInstanceUID;
        await requireStudy(uid);
        const [objects, deliveries] = await Promise.all([
          options.results.listResultObjects(uid),
          options.results.listDeliveries(uid),
        ]);
        return {
          studyInstanceUid: uid,
          objects: objects.map(resultObjectView),
          deliveries: deliveries.map(deliveryView),
        };
      },
    );

    app.get(
      '/api/governance/studies/:StudyInstanceUID/analyses',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['governance'],
          summary: 'Every analysis of a study with its phase, raw output and findings (silent ones included)',
          params: StudyParamsSchema,
          response: { 200: Type.Array(AnalysisViewSchema), 404: ProblemSchema },
        },
      },
      async (request) => {
        const uid = request.params.StudyInstanceUID;
        await requireStudy(uid);
        return (await options.results.listAnalyses(uid)).map(analysisView);
      },
    );

    app.get(
      '/api/jobs',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['operations'],
          summary: 'Analysis and delivery jobs, filterable by state (dead = the dead-letter queue)',
          querystring: JobListQuerySchema,
          response: { 200: JobPageSchema, 400: ProblemSchema },
        },
      },
      async (request) => {
        const page = await options.jobs.listJobs(request.query);
        return { ...page, items: page.items.map(jobView) };
      },
    );

    app.post(
      '/api/jobs/:id/requeue',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['operations'],
          summary: 'Puts a dead job back in the queue',
          params: JobParamsSchema,
          response: { 200: JobViewSchema, 404: ProblemSchema, 409: ProblemSchema },
        },
      },
      async (request) => {
        const job = await options.jobs.getJob(request.params.id);
        if (job === undefined) {
          throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such job' });
        }
        if (!(await options.jobs.requeue(job.id))) {
          throw new FoveaError('FOVEA_HTTP_CONFLICT', { detail: 'only a dead job can be requeued' });
        }
        return jobView((await options.jobs.getJob(job.id))!);
      },
    );
  };
}
