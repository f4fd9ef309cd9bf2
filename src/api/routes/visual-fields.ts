/**
 * A study's visual fields for the review station: `GET /api/studies/{uid}/visual-fields` (role `integration`,
 * like the findings) answers, per eye (right first), every OPV instance of the study read from the spool — test
 * pattern, points with sensitivity, total and pattern deviation and their probabilities as the perimeter wrote
 * them, blind spot, the perimeter's MD / PSD / VFI and reliability — with Fovea's MD and PSD of each test and
 * the eye's series, MD slope, PoPLR p and verdict from the raw output of the latest visible (assistive or
 * integrated) `vf-progression` analysis, labelled AI-generated. Silent-phase analyses are never shown.
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3
 */
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { FoveaError } from '../../core/errors.ts';
import type { InstanceIndex } from '../../core/instance-index.ts';
import type { ResultStore } from '../../core/result-store.ts';
import { readNaturalPart10 } from '../../dicom/codec/index.ts';
import { ProblemSchema, StudyParamsSchema } from '../schemas.ts';
import { VisualFieldsSchema, type VisualFieldTestView } from '../visual-field-schemas.ts';
import {
  latestVisibleAnalysis,
  withAiDeviations,
  type FieldDeviationsOf,
  opvSopClassUid,
  progressionOf,
  visualFieldTestView,
  withAiIndices,
} from '../visual-field-views.ts';

/** What the visual-field route reads. */
export interface VisualFieldRouteOptions {
  readonly index: InstanceIndex;
  readonly results: ResultStore;
  /** The spool file of an instance (absent: not received or gone). */
  readonly instanceFile: (sopInstanceUid: string) => Promise<string | undefined>;
  /** Fovea's per-point deviations of a field (absent: only the perimeter's are shown). */
  readonly deviationsOf?: FieldDeviationsOf;
}

/** Registers `GET /api/studies/{uid}/visual-fields`. */
export function visualFieldRoutes(options: VisualFieldRouteOptions): FastifyPluginAsync {
  return async (base) => {
    const app = base.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/studies/:StudyInstanceUID/visual-fields',
      {
        config: { role: 'integration' },
        schema: {
          tags: ['results'],
          summary:
            "A study's visual fields per eye from its OPV instances (sensitivities, deviations, probabilities, " +
            "global indices, reliability) with Fovea's indices and series from the latest visible " +
            'vf-progression analysis (AI-generated)',
          params: StudyParamsSchema,
          response: { 200: VisualFieldsSchema, 404: ProblemSchema },
        },
      },
      async (request) => {
        const uid = request.params.StudyInstanceUID;
        if ((await options.index.getStudy(uid)) === undefined) {
          throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such study' });
        }
        const instances = (await options.index.listInstances(uid)).filter(
          (instance) =>
            instance.sopClassUid === opvSopClassUid && (instance.eye === 'R' || instance.eye === 'L'),
        );
        const tests: VisualFieldTestView[] = [];
        for (const instance of instances) {
          const file = await options.instanceFile(instance.sopInstanceUid);
          if (file === undefined) {
            continue;
          }
          const dataset = readNaturalPart10(new Uint8Array(await readFile(file)));
          tests.push(
            withAiDeviations(
              visualFieldTestView(dataset, instance.sopInstanceUid, instance.eye as 'R' | 'L'),
              dataset,
              options.deviationsOf,
            ),
          );
        }
        const analysis = latestVisibleAnalysis(await options.results.listAnalyses(uid), 'vf-progression');
        const shown = withAiIndices(tests, analysis).sort((a, b) =>
          (a.date ?? '').localeCompare(b.date ?? ''),
        );
        return {
          studyInstanceUid: uid,
          eyes: (['R', 'L'] as const)
            .map((eye) => ({
              eye,
              tests: shown.filter((test) => test.eye === eye),
              progression: progressionOf(analysis, eye, uid),
            }))
            .filter((entry) => entry.tests.length > 0 || entry.progression !== null),
        };
      },
    );
  };
}
