/**
 * The analyze step hands priors to the analyzers whose manifest asks for them (and only to those), records the
 * current study's instances (not the priors') as the inputs, and is idempotent on retry. Real PGlite store; the
 * runner is a recorder, since what is checked is what the step gives the runner (the pool is tested in
 * `analyzers/host`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../config/index.ts';
import type { Case } from '../core/case.ts';
import type { InstanceRecord } from '../core/instance.ts';
import type { Job } from '../core/job-queue.ts';
import { silentLogger } from '../core/logger.ts';
import { newUid } from '../core/uid.ts';
import type { AnalysisCase, AnalyzerManifest, AnalyzerRunner } from '../analyzers/sdk/index.ts';
import { instanceRecord, recordRoutedStudy } from '../../test/fixtures/index-records.ts';
import { createTestDatabase, type TestDatabase } from '../../test/peers/databases.ts';
import { openStore, PgPatientContextStore, PgResultStore, type Store } from '../store/index.ts';
import { runAnalyzeJob } from './analyze-step.ts';
import { indexPriorFinder } from './priors.ts';

function photograph(studyInstanceUid: string, studyDate: string, eye: 'R' | 'L'): InstanceRecord {
  return instanceRecord(studyInstanceUid, { patientId: 'P-STEP', studyDate, eye });
}

function manifest(id: string, needsPriors: boolean): AnalyzerManifest {
  return {
    id,
    version: '1.0.0',
    displayName: id,
    intendedUse: 'test',
    useCases: ['image-quality'],
    inputs: { sopClassUids: ['1.2.840.10008.5.1.4.1.1.77.1.5.1'], modalities: ['OP'] },
    outputs: ['quality'],
    timeoutMs: 1000,
    reviewRequired: true,
    modelHash: 'b'.repeat(64),
    needsPriors,
  };
}

describe('analyze step', () => {
  let database: TestDatabase;
  let store: Store;
  const seen = new Map<string, AnalysisCase>();
  const runner: AnalyzerRunner = {
    manifests: [manifest('with-priors', true), manifest('without-priors', false)],
    run(analyzerId, analysisCase) {
      seen.set(analyzerId, analysisCase);
      return Promise.resolve({ applicability: { applicable: false, reason: 'recorded' } });
    },
    close: () => Promise.resolve(),
  };

  const routed = (instances: InstanceRecord[]): Promise<Case> => recordRoutedStudy(store.index, instances);

  before(async () => {
    database = await createTestDatabase('pglite');
    store = await openStore(database.location);
  });
  after(async () => {
    await store.close();
    await database.dispose();
  });

  it('gives priors only to analyzers that need them, the EHR context to all, and records the current inputs', async () => {
    const prior = await routed([photograph(newUid(), '20240101', 'R')]);
    const current = await routed([
      photograph(newUid(), '20260101', 'R'),
      photograph(newUid(), '20260101', 'L'),
    ]);
    const results = new PgResultStore(store.sql);
    const context = new PgPatientContextStore(store.sql);
    await context.recordObservations({ patientId: 'P-STEP' }, [
      {
        id: 'hba1c-1',
        kind: 'lab',
        system: 'http://loinc.org',
        code: '4548-4',
        value: 8.1,
        unit: '%',
        observedAt: new Date('2025-12-01T08:00:00Z'),
        source: { protocol: 'hl7v2', reference: 'MSG1' },
        receivedAt: new Date(),
      },
    ]);
    const published: string[] = [];
    const deps = {
      config: loadConfig({ env: {} }),
      index: store.index,
      results,
      runner,
      priors: indexPriorFinder(store.index),
      context,
      publish: (analysis: { id: string }) => {
        published.push(analysis.id);
        return Promise.resolve();
      },
      logger: silentLogger,
    };
    const job = (analyzerId: string): Job =>
      ({
        id: `job-${analyzerId}`,
        kind: 'analyze',
        key: `${current.studyInstanceUid}:${analyzerId}`,
        payload: {
          studyInstanceUid: current.studyInstanceUid,
          studyVersion: 3,
          analyzerId,
          useCase: 'image-quality',
        },
        state: 'running',
        attempts: 1,
        maxAttempts: 3,
        runAt: new Date(),
        createdAt: new Date(),
        updatedAt: new Date(),
      }) as Job;
    const signal = new AbortController().signal;
    await runAnalyzeJob(deps, job('with-priors'), signal);
    await runAnalyzeJob(deps, job('without-priors'), signal);
    assert.deepEqual(
      seen.get('with-priors')?.priors.map((entry) => entry.studyInstanceUid),
      [prior.studyInstanceUid],
    );
    assert.deepEqual(seen.get('without-priors')?.priors, []);
    assert.deepEqual(
      seen
        .get('without-priors')
        ?.context?.observations.map((observation) => [observation.code, observation.value]),
      [['4548-4', 8.1]],
      "the patient's EHR context travels with the Case",
    );
    const stored = await results.listAnalyses(current.studyInstanceUid);
    assert.equal(stored.length, 2);
    const inputs = current.eyes.flatMap((eye) => eye.instances.map((instance) => instance.sopInstanceUid));
    for (const analysis of stored) {
      assert.equal(analysis.status, 'not-applicable');
      assert.deepEqual([...analysis.provenance.inputSopInstanceUids].sort(), [...inputs].sort());
    }
    seen.clear();
    await runAnalyzeJob(deps, job('with-priors'), signal);
    assert.equal(seen.size, 0, 'a retried job finds its stored analysis and does not run the analyzer again');
    assert.equal(published.length, 3);
  });
});
