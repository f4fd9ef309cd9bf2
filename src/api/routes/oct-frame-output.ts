/**
 * What the review station's per-B-scan AI overlays of an OCT volume share (`oct-fluid.ts`, `oct-layers.ts`): the
 * path and query, the header of every answer (volume, eye, analysis, analyzer id@version, the AI-generated label,
 * the volume's shape, the frame), the choice of the analysis (the latest visible — assistive or integrated —
 * succeeded one that holds the output for that volume; silent-phase analyses are never shown) and the check of
 * the requested frame against the volume.
 */
import Type, { type TProperties } from 'typebox';
import { FoveaError } from '../../core/errors.ts';
import { visibleAnalysesLatestFirst, type AnalysisRecord } from '../../core/finding.ts';
import type { ResultStore } from '../../core/result-store.ts';
import { aiLabel } from '../result-views.ts';

export const OctFrameParamsSchema = Type.Object({
  StudyInstanceUID: Type.String({ pattern: '^[0-9.]{1,64}$' }),
  SOPInstanceUID: Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 }),
});

export const OctFrameQuerySchema = Type.Object(
  { frame: Type.Integer({ minimum: 1, default: 1, description: '1-based frame (B-scan) number' }) },
  { additionalProperties: false },
);

/** The answer's schema: the shared header, then the overlay's own properties. */
export function octFrameSchema<T extends TProperties>(own: T) {
  return Type.Object({
    sopInstanceUid: Type.String(),
    eye: Type.Union([Type.Literal('R'), Type.Literal('L')]),
    analysisId: Type.String(),
    analyzer: Type.String({ description: 'id@version' }),
    aiGenerated: Type.Literal(true),
    label: Type.String(),
    frames: Type.Integer(),
    rows: Type.Integer(),
    columns: Type.Integer(),
    frame: Type.Integer(),
    ...own,
  });
}

/** An overlay's output for one volume, as read from an analysis's raw output. */
export interface OctVolumeOutput {
  readonly analysis: AnalysisRecord;
  readonly eye: 'R' | 'L';
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
}

/**
 * The latest visible succeeded analysis of a study for which `read` finds the output, and that output.
 * @param read reads the output of one analysis for the volume; `undefined` when it holds none
 */
export async function latestVisibleOutput<T>(
  results: ResultStore,
  studyInstanceUid: string,
  read: (analysis: AnalysisRecord) => T | undefined,
): Promise<T | undefined> {
  for (const analysis of visibleAnalysesLatestFirst(await results.listAnalyses(studyInstanceUid))) {
    const output = read(analysis);
    if (output !== undefined) {
      return output;
    }
  }
  return undefined;
}

/** The shared header of an answer; 400 `frame` when the volume has fewer frames. */
export function octFrameHeader(output: OctVolumeOutput, sopInstanceUid: string, frame: number) {
  if (frame > output.frames) {
    throw new FoveaError('FOVEA_HTTP_BAD_REQUEST', {
      detail: `the volume has ${output.frames} frames`,
      path: 'frame',
    });
  }
  return {
    sopInstanceUid,
    eye: output.eye,
    analysisId: output.analysis.id,
    analyzer: `${output.analysis.analyzerId}@${output.analysis.analyzerVersion}`,
    aiGenerated: true as const,
    label: aiLabel,
    frames: output.frames,
    rows: output.rows,
    columns: output.columns,
    frame,
  };
}
