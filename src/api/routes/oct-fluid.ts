/**
 * The AI's fluid mask on one OCT B-scan for the review station's overlay:
 * `GET /api/studies/{uid}/oct-fluid/{SOPInstanceUID}?frame=N` (role `integration`, like the findings) answers the
 * mask of that frame as horizontal runs (`row`, `column`, `length`, label IRF / SRF / PED) in source pixels, with
 * the volume's shape and the frames that hold any fluid, from the raw output (`raw.eyes[].fluidLabels`, encoding
 * `label-runs/1`, labels 1 IRF, 2 SRF, 3 PED as RETOUCH) of the latest visible (assistive or integrated)
 * analysis that masked this volume — the same mask the fluid Segmentation is written from. Silent-phase analyses
 * are never shown. Labelled AI-generated. Decoded masks are kept in memory (the last few volumes), so paging
 * through a volume decodes it once.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type Static } from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import type { AnalysisRecord } from '../../core/finding.ts';
import type { ResultStore } from '../../core/result-store.ts';
import { decodeLabelRuns, isEncodedLabels } from '../../imaging/index.ts';
import { ProblemSchema } from '../schemas.ts';
import {
  latestVisibleOutput,
  octFrameHeader,
  OctFrameParamsSchema,
  OctFrameQuerySchema,
  octFrameSchema,
  type OctVolumeOutput,
} from './oct-frame-output.ts';

/** The fluid labels of the mask, by label byte. */
const fluidNames = ['', 'IRF', 'SRF', 'PED'] as const;

const FluidFrameSchema = octFrameSchema({
  framesWithFluid: Type.Array(Type.Integer(), { description: '1-based frame numbers with any fluid' }),
  runs: Type.Array(
    Type.Object({
      fluid: Type.Union([Type.Literal('IRF'), Type.Literal('SRF'), Type.Literal('PED')]),
      row: Type.Integer({ description: '0-based pixel row' }),
      column: Type.Integer({ description: '0-based first pixel column' }),
      length: Type.Integer({ minimum: 1 }),
    }),
  ),
});

/** One B-scan's fluid as the API answers it. */
export type FluidFrameView = Static<typeof FluidFrameSchema>;

/** A decoded mask of one volume. */
interface DecodedMask extends OctVolumeOutput {
  readonly key: string;
  readonly labels: Uint8Array;
  readonly framesWithFluid: number[];
}

/** The raw eye entry of an analysis that masked a volume, when there is one. */
function maskedEye(
  analysis: AnalysisRecord,
  sopInstanceUid: string,
): { eye: 'R' | 'L'; fluidLabels: unknown } | undefined {
  const eyes = (analysis.raw as { eyes?: unknown } | null | undefined)?.eyes;
  if (!Array.isArray(eyes)) {
    return undefined;
  }
  const entry = (eyes as Record<string, unknown>[]).find(
    (candidate) => candidate.sopInstanceUid === sopInstanceUid && isEncodedLabels(candidate.fluidLabels),
  );
  return entry !== undefined && (entry.eye === 'R' || entry.eye === 'L')
    ? { eye: entry.eye, fluidLabels: entry.fluidLabels }
    : undefined;
}

function decodeMask(analysis: AnalysisRecord, sopInstanceUid: string): DecodedMask | undefined {
  const entry = maskedEye(analysis, sopInstanceUid);
  if (entry === undefined || !isEncodedLabels(entry.fluidLabels) || entry.fluidLabels.shape.length !== 3) {
    return undefined;
  }
  const [frames, rows, columns] = entry.fluidLabels.shape as [number, number, number];
  const labels = decodeLabelRuns(entry.fluidLabels);
  const perFrame = rows * columns;
  const framesWithFluid: number[] = [];
  for (let frame = 0; frame < frames; frame++) {
    if (labels.subarray(frame * perFrame, (frame + 1) * perFrame).some((label) => label !== 0)) {
      framesWithFluid.push(frame + 1);
    }
  }
  return {
    key: `${analysis.id}:${sopInstanceUid}`,
    eye: entry.eye,
    analysis,
    frames,
    rows,
    columns,
    labels,
    framesWithFluid,
  };
}

/** The horizontal runs of fluid on one frame (0-based pixel rows and columns). */
function frameRuns(mask: DecodedMask, frame: number): FluidFrameView['runs'] {
  const runs: FluidFrameView['runs'][number][] = [];
  const offset = (frame - 1) * mask.rows * mask.columns;
  for (let row = 0; row < mask.rows; row++) {
    const start = offset + row * mask.columns;
    let column = 0;
    while (column < mask.columns) {
      const label = mask.labels[start + column]!;
      let end = column + 1;
      while (end < mask.columns && mask.labels[start + end] === label) {
        end++;
      }
      const fluid = fluidNames[label];
      if (label !== 0 && fluid !== undefined && fluid !== '') {
        runs.push({ fluid, row, column, length: end - column });
      }
      column = end;
    }
  }
  return runs;
}

/**
 * Registers the OCT fluid overlay route on an app (called by the review routes, which hold the result store).
 * @param keep how many decoded volumes to keep in memory
 */
export function registerOctFluidRoute(
  base: FastifyInstance,
  options: { readonly results: ResultStore; readonly keep?: number },
): void {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const keep = options.keep ?? 4;
  const cache: DecodedMask[] = [];

  const maskOf = async (
    studyInstanceUid: string,
    sopInstanceUid: string,
  ): Promise<DecodedMask | undefined> => {
    const latest = await latestVisibleOutput(options.results, studyInstanceUid, (analysis) =>
      maskedEye(analysis, sopInstanceUid) === undefined ? undefined : analysis,
    );
    if (latest === undefined) {
      return undefined;
    }
    const key = `${latest.id}:${sopInstanceUid}`;
    const cached = cache.find((entry) => entry.key === key);
    if (cached !== undefined) {
      return cached;
    }
    const decoded = decodeMask(latest, sopInstanceUid);
    if (decoded !== undefined) {
      cache.unshift(decoded);
      cache.splice(keep);
    }
    return decoded;
  };

  app.get(
    '/api/studies/:StudyInstanceUID/oct-fluid/:SOPInstanceUID',
    {
      config: { role: 'integration' },
      schema: {
        tags: ['results'],
        summary:
          "The AI's fluid mask (IRF, SRF, PED) on one B-scan of an OCT volume, as pixel runs, with the frames " +
          'that hold fluid (AI-generated)',
        params: OctFrameParamsSchema,
        querystring: OctFrameQuerySchema,
        response: { 200: FluidFrameSchema, 400: ProblemSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const { StudyInstanceUID: uid, SOPInstanceUID: sop } = request.params;
      const mask = await maskOf(uid, sop);
      if (mask === undefined) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no visible fluid mask for this volume' });
      }
      const frame = request.query.frame;
      return {
        ...octFrameHeader(mask, sop, frame),
        framesWithFluid: mask.framesWithFluid,
        runs: frameRuns(mask, frame),
      };
    },
  );
}
