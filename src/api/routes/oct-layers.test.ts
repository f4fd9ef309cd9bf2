/**
 * Which analysis the OCT layer-lines route draws from and how it turns the raw encoding into polylines: the latest
 * visible (assistive or integrated) succeeded analysis that kept lines for the volume — never a silent one, even a
 * newer one — with a missing sample breaking a line, layers inner to outer whatever the stored key order.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AnalysisRecord, RolloutPhase } from '../../core/finding.ts';
import type { ResultStore } from '../../core/result-store.ts';
import { installProblemHandlers } from '../problem.ts';
import { registerOctLayersRoute, type LayersFrameView } from './oct-layers.ts';

const study = '2.25.100';
const volume = '2.25.101';

function analysis(
  id: string,
  phase: RolloutPhase,
  finishedAt: number,
  ilm: (number | null)[],
): AnalysisRecord {
  return {
    id,
    studyInstanceUid: study,
    analyzerId: 'oct-macula',
    analyzerVersion: '0.3.1',
    useCase: 'dme-quantification',
    phase,
    status: 'succeeded',
    findings: [],
    raw: {
      eyes: [
        {
          eye: 'L',
          sopInstanceUid: volume,
          geometry: { frames: 2, rows: 100, columns: 9 },
          layerLines: {
            encoding: 'rows-x10/1',
            aScans: [0, 4, 8],
            // Keys as PostgreSQL's jsonb returns them: shorter keys first.
            layers: { BM: [[800, 800, 800], []], ILM: [ilm, []] },
          },
        },
      ],
    },
    provenance: {
      analyzerId: 'oct-macula',
      analyzerVersion: '0.3.1',
      modelHash: 'ab',
      inputSopInstanceUids: [volume],
      startedAt: new Date(finishedAt - 1000),
      finishedAt: new Date(finishedAt),
    },
  };
}

describe('oct-layers route', () => {
  let app: FastifyInstance;

  before(async () => {
    const analyses = [
      analysis('assistive-old', 'assistive', 1_000, [100, 105, 110]),
      analysis('assistive-new', 'assistive', 2_000, [200, null, 210]),
      analysis('silent-newest', 'silent', 3_000, [300, 300, 300]),
      { ...analysis('failed-newest', 'integrated', 4_000, [400, 400, 400]), status: 'failed' as const },
    ];
    const results = {
      listAnalyses: (uid: string) => Promise.resolve(uid === study ? analyses : []),
    } as unknown as ResultStore;
    app = Fastify();
    installProblemHandlers(app);
    registerOctLayersRoute(app, { results });
    await app.ready();
  });
  after(async () => {
    await app.close();
  });

  it('draws the latest visible analysis, never a silent one, broken at a missing sample', async () => {
    const answer = await app.inject(`/api/studies/${study}/oct-layers/${volume}?frame=1`);
    assert.equal(answer.statusCode, 200);
    const view = answer.json<LayersFrameView>();
    assert.equal(view.analysisId, 'assistive-new');
    assert.equal(view.analyzer, 'oct-macula@0.3.1');
    assert.deepEqual(
      view.layers.map((layer) => layer.name),
      ['ILM', 'BM'],
      'inner to outer',
    );
    assert.deepEqual(view.layers[0]!.segments, [[[0.5, 20]], [[8.5, 21]]]);
    assert.deepEqual(view.layers[1]!.segments, [
      [
        [0.5, 80],
        [4.5, 80],
        [8.5, 80],
      ],
    ]);
  });

  it('answers 404 for a volume without lines and 400 beyond the last frame', async () => {
    assert.equal((await app.inject(`/api/studies/${study}/oct-layers/2.25.999?frame=1`)).statusCode, 404);
    assert.equal((await app.inject(`/api/studies/2.25.7/oct-layers/${volume}?frame=1`)).statusCode, 404);
    assert.equal((await app.inject(`/api/studies/${study}/oct-layers/${volume}?frame=3`)).statusCode, 400);
  });
});
