/**
 * The AI's retinal layer lines on one OCT B-scan for the review station's overlay:
 * `GET /api/studies/{uid}/oct-layers/{SOPInstanceUID}?frame=N` (role `integration`, like the findings and the
 * fluid) answers each boundary the analysis kept (`raw.eyes[].layerLines`, encoding `rows-x10/1`: ILM, OPL/ONL,
 * RPE, BM every 4th A-scan), inner to outer, as polylines in B-scan pixel coordinates (x = column + 0.5, the A-scan's centre;
 * y = row, 0 at the top edge of the first pixel row), broken where a boundary is missing, from the latest visible
 * (assistive or integrated) analysis that kept lines for this volume. Silent-phase analyses are never shown.
 * Labelled AI-generated.
 * @see https://doi.org/10.1364/OE.18.019413 (Chiu et al. 2010, the boundaries; standards-reference §D.1)
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import type { AnalysisRecord } from '../../core/finding.ts';
import type { ResultStore } from '../../core/result-store.ts';
import { ProblemSchema } from '../schemas.ts';
import {
  latestVisibleOutput,
  octFrameHeader,
  OctFrameParamsSchema,
  OctFrameQuerySchema,
  octFrameSchema,
  type OctVolumeOutput,
} from './oct-frame-output.ts';

const point = Type.Tuple([Type.Number(), Type.Number()], {
  description: 'x (column), y (row) in B-scan pixels',
});

const LayersFrameSchema = octFrameSchema({
  layers: Type.Array(
    Type.Object({
      name: Type.String({ description: 'ILM, OPL-ONL, RPE or BM (the analyzer README names them)' }),
      segments: Type.Array(Type.Array(point), {
        description: 'polylines, broken where the boundary is missing',
      }),
    }),
  ),
});

/** One B-scan's layer lines as the API answers them. */
export type LayersFrameView = Static<typeof LayersFrameSchema>;

/** An analysis's lines for one volume, as read from its raw output. */
interface VolumeLines extends OctVolumeOutput {
  readonly aScans: readonly number[];
  readonly layers: readonly { name: string; perFrame: readonly (readonly (number | null)[])[] }[];
}

/** The boundaries from the vitreous outwards (PostgreSQL's jsonb does not keep the keys' order). */
const depthOrder = ['ILM', 'RNFL-GCL', 'IPL-INL', 'INL-OPL', 'OPL-ONL', 'ELM', 'EZ', 'RPE', 'BM'];

function depthRank(name: string): number {
  const rank = depthOrder.indexOf(name);
  return rank < 0 ? depthOrder.length : rank;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntegerArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((entry) => Number.isInteger(entry));
}

/** The lines an analysis kept for a volume, when it kept any in the known encoding. */
export function volumeLinesOf(analysis: AnalysisRecord, sopInstanceUid: string): VolumeLines | undefined {
  const eyes = isRecord(analysis.raw) ? analysis.raw.eyes : undefined;
  const entry = Array.isArray(eyes)
    ? (eyes as unknown[]).find(
        (candidate): candidate is Record<string, unknown> =>
          isRecord(candidate) &&
          candidate.sopInstanceUid === sopInstanceUid &&
          isRecord(candidate.layerLines),
      )
    : undefined;
  const lines = entry?.layerLines;
  const geometry = entry?.geometry;
  if (
    entry === undefined ||
    (entry.eye !== 'R' && entry.eye !== 'L') ||
    !isRecord(lines) ||
    lines.encoding !== 'rows-x10/1' ||
    !isIntegerArray(lines.aScans) ||
    !isRecord(lines.layers) ||
    !isRecord(geometry)
  ) {
    return undefined;
  }
  const { frames, rows, columns } = geometry;
  if (!Number.isInteger(frames) || !Number.isInteger(rows) || !Number.isInteger(columns)) {
    return undefined;
  }
  const layers = Object.entries(lines.layers)
    .filter((layer): layer is [string, (number | null)[][]] => Array.isArray(layer[1]))
    .map(([name, perFrame]) => ({ name, perFrame }))
    .sort((a, b) => depthRank(a.name) - depthRank(b.name));
  return {
    eye: entry.eye,
    analysis,
    frames: frames as number,
    rows: rows as number,
    columns: columns as number,
    aScans: lines.aScans,
    layers,
  };
}

/** One layer of one frame as polylines (x = A-scan centre, y = row), broken at missing samples. */
function segmentsOf(
  aScans: readonly number[],
  rowsX10: readonly (number | null)[] | undefined,
): [number, number][][] {
  const segments: [number, number][][] = [];
  let current: [number, number][] = [];
  for (const [index, column] of aScans.entries()) {
    const value = rowsX10?.[index];
    if (typeof value === 'number' && Number.isFinite(value)) {
      current.push([column + 0.5, value / 10]);
    } else if (current.length > 0) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) {
    segments.push(current);
  }
  return segments;
}

/** Registers the OCT layer-lines route on an app. */
export function registerOctLayersRoute(
  base: FastifyInstance,
  options: { readonly results: ResultStore },
): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/studies/:StudyInstanceUID/oct-layers/:SOPInstanceUID',
    {
      config: { role: 'integration' },
      schema: {
        tags: ['results'],
        summary:
          "The AI's retinal layer boundaries (ILM, OPL/ONL, RPE, BM) on one B-scan of an OCT volume, as polylines " +
          'in B-scan pixels (AI-generated)',
        params: OctFrameParamsSchema,
        querystring: OctFrameQuerySchema,
        response: { 200: LayersFrameSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request): Promise<LayersFrameView> => {
      const { StudyInstanceUID: uid, SOPInstanceUID: sop } = request.params;
      const lines = await latestVisibleOutput(options.results, uid, (analysis) =>
        volumeLinesOf(analysis, sop),
      );
      if (lines === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no visible layer lines for this volume' });
      }
      const frame = request.query.frame;
      return {
        ...octFrameHeader(lines, sop, frame),
        layers: lines.layers.map(({ name, perFrame }) => ({
          name,
          segments: segmentsOf(lines.aScans, perFrame[frame - 1]),
        })),
      };
    },
  );
}
