/**
 * The AI's lesion heatmap of one colour photograph for the review station:
 * `GET /api/studies/{uid}/lesion-heatmap/{SOPInstanceUID}?maxSize=PX` (role `integration`, like the rendered
 * images and the findings) answers the lesion-likelihood colour map alone as a PNG with alpha (transparent where
 * no lesion was found), stretched over the whole photograph and scaled to fit `maxSize`, so the viewer lays it
 * over the photograph it already shows. It is computed by `imaging/lesion-heatmap.ts` from the latest visible
 * (assistive or integrated) analysis with lesion findings on that photograph — the same map the derived
 * Secondary Capture is blended from, rejected findings left out. Silent-phase analyses are never shown; 404
 * without one. Not cached (a review changes it).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import sharp from 'sharp';
import Type from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import { visibleAnalysesLatestFirst } from '../../core/finding.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import type { ResultStore } from '../../core/result-store.ts';
import {
  computeLesionHeatmap,
  fitSize,
  heatmapLesionsOf,
  renderLesionHeatmapRgba,
} from '../../imaging/index.ts';
import { ProblemSchema } from '../schemas.ts';

const ParamsSchema = Type.Object({
  StudyInstanceUID: Type.String({ pattern: '^[0-9.]{1,64}$' }),
  SOPInstanceUID: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 }),
});

const QuerySchema = Type.Object(
  {
    maxSize: Type.Integer({
      minimum: 16,
      maximum: 4096,
      default: 1024,
      description: 'longer side of the PNG in pixels (never larger than the photograph)',
    }),
    v: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "the client's cache key (changed when the findings change); not used by the server",
      }),
    ),
  },
  { additionalProperties: false },
);

/** Registers the lesion heatmap route on an app (the gateway registers it with the result routes). */
export function registerLesionHeatmapRoute(
  base: FastifyInstance,
  options: { readonly index: InstanceIndex; readonly results: ResultStore },
): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/studies/:StudyInstanceUID/lesion-heatmap/:SOPInstanceUID',
    {
      config: { role: 'integration' },
      schema: {
        tags: ['results'],
        summary:
          "The AI's lesion-likelihood heatmap of one colour photograph as a PNG with alpha, to lay over the " +
          'photograph (AI-generated)',
        params: ParamsSchema,
        querystring: QuerySchema,
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'image/png' }),
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { StudyInstanceUID: uid, SOPInstanceUID: sop } = request.params;
      const instance = (await options.index.listInstances(uid)).find(
        (candidate) => candidate.sopInstanceUid === sop,
      );
      if (instance?.rows === undefined || instance.columns === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such image in this study' });
      }
      const latest = visibleAnalysesLatestFirst(await options.results.listAnalyses(uid))
        .map((analysis) => ({ analysis, lesions: heatmapLesionsOf(analysis, sop) }))
        .find((entry) => entry.lesions.length > 0);
      if (latest === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no visible lesion findings on this image' });
      }
      const map = computeLesionHeatmap(latest.lesions, instance.columns, instance.rows);
      const { width, height } = fitSize(instance.columns, instance.rows, request.query.maxSize);
      const rgba = renderLesionHeatmapRgba(map, width, height);
      const png = await sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), {
        raw: { width, height, channels: 4 },
      })
        .png()
        .toBuffer();
      return reply
        .header('content-type', 'image/png')
        .header('cache-control', 'no-store')
        .header('x-fovea-analyzer', `${latest.analysis.analyzerId}@${latest.analysis.analyzerVersion}`)
        .header('x-fovea-lesions', String(latest.lesions.length))
        .send(png);
    },
  );
}
