/**
 * Every registered analyzer passes the SDK contract (`checkAnalyzerContract`) on synthetic studies that hold
 * every ophthalmic modality for both eyes, in this thread and in the worker pool; and a registration error
 * (bad manifest, missing export) stops the pool from starting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnalyzerPool, spoolPixelAccess } from '../../src/analyzers/host/index.ts';
import { builtInAnalyzers, loadRegistry } from '../../src/analyzers/registry.ts';
import { checkAnalyzerContract, type AnalysisCase } from '../../src/analyzers/sdk/index.ts';
import { FoveaError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { assembleCase } from '../../src/pipeline/assemble.ts';
import { readInstanceFiles } from '../../src/pipeline/offline-analysis.ts';
import { generatePatientStudy, writeObjects } from '../../src/synth/index.ts';

describe('analyzer contract', () => {
  let directory: string;
  let applicable: AnalysisCase;
  const empty: AnalysisCase = {
    studyInstanceUid: '1.2.3',
    site: 'test',
    eyes: [
      { eye: 'R', instances: [] },
      { eye: 'L', instances: [] },
    ],
    bothEyes: [],
    unknownEye: [],
    assembledAt: new Date(),
    priors: [],
  };

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'fovea-contract-'));
    const study = await generatePatientStudy({
      seed: 77,
      eyes: ['R', 'L'],
      content: { fundus: true, octVolume: true, visualField: true },
      fundusSize: { width: 640, height: 640 },
      octSize: { frames: 9, columns: 256, rows: 256 },
    });
    const files = (await writeObjects(directory, study.objects)).filter((file) => file.endsWith('.dcm'));
    const records = await readInstanceFiles(files);
    applicable = { ...assembleCase(study.study.studyInstanceUid, 'test', records, new Date()), priors: [] };
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('holds for every registered analyzer, in this thread', async () => {
    const registry = await loadRegistry();
    assert.ok(registry.size >= 1);
    for (const [id, analyzer] of registry) {
      const problems = await checkAnalyzerContract(analyzer, {
        applicable,
        notApplicable: empty,
        pixels: spoolPixelAccess('/'),
        tempDir: directory,
      });
      assert.deepEqual(problems, [], `${id} breaks the contract`);
    }
  });

  it('runs every registered analyzer in a worker thread with the same findings', async () => {
    const registry = await loadRegistry();
    const pool = await AnalyzerPool.start({ spoolRoot: '/', logger: silentLogger, size: 1 });
    try {
      for (const [id, analyzer] of registry) {
        const outcome = await pool.run(id, applicable);
        assert.ok('output' in outcome, `${id} applies`);
        const inThread = await analyzer.analyze(applicable, {
          logger: silentLogger,
          signal: new AbortController().signal,
          pixels: spoolPixelAccess('/'),
          tempDir: directory,
        });
        assert.deepEqual(
          JSON.parse(JSON.stringify(outcome.output.findings)),
          JSON.parse(JSON.stringify(inThread.findings)),
        );
        const declined = await pool.run(id, empty);
        assert.equal(declined.applicability.applicable, false);
      }
    } finally {
      await pool.close();
    }
  });

  it('stops an analyzer that overruns its timeout, even one that ignores the abort, and keeps serving', async () => {
    const slow = join(directory, 'slow-analyzer.ts');
    const sdk = new URL('../../src/analyzers/sdk/index.ts', import.meta.url).href;
    writeFileSync(
      slow,
      `import type { Analyzer } from '${sdk}';
export const analyzer: Analyzer = {
  manifest: {
    id: 'slow', version: '1.0.0', displayName: 'Slow', intendedUse: 'Testing timeouts.',
    useCases: ['image-quality'], inputs: { sopClassUids: ['1.2.840.10008.5.1.4.1.1.77.1.5.1'] },
    outputs: ['quality'], timeoutMs: 300, reviewRequired: true, modelHash: '${'0'.repeat(64)}',
  },
  isApplicable: () => ({ applicable: true, reason: 'always' }),
  analyze: async () => {
    const until = Date.now() + 60_000;
    while (Date.now() < until) { /* ignores the abort signal on purpose */ }
    return { findings: [], raw: null };
  },
};
`,
    );
    const pool = await AnalyzerPool.start({
      spoolRoot: '/',
      logger: silentLogger,
      modules: { ...builtInAnalyzers, slow: new URL(`file://${slow}`) },
      abortGraceMs: 200,
    });
    try {
      const started = Date.now();
      await assert.rejects(
        pool.run('slow', applicable),
        (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_ANALYZER_TIMEOUT',
      );
      assert.ok(Date.now() - started < 5000);
      const outcome = await pool.run('fundus-quality', applicable);
      assert.ok('output' in outcome, 'the pool replaced the stopped worker');
    } finally {
      await pool.close();
    }
  });

  it('refuses to start with an analyzer whose manifest is invalid', async () => {
    const bad = join(directory, 'bad-analyzer.ts');
    writeFileSync(
      bad,
      `export const analyzer = {
  manifest: { id: 'bad', version: 'one', displayName: '', intendedUse: 'x', useCases: [], inputs: { sopClassUids: [] },
    outputs: ['quality'], timeoutMs: 10, reviewRequired: true, modelHash: 'nope' },
  isApplicable: () => ({ applicable: false, reason: 'never' }),
  analyze: async () => ({ findings: [], raw: null }),
};
`,
    );
    await assert.rejects(
      AnalyzerPool.start({
        spoolRoot: '/',
        logger: silentLogger,
        modules: { bad: new URL(`file://${bad}`) },
      }),
      (error: unknown) =>
        error instanceof FoveaError &&
        error.code === 'FOVEA_ANALYZER_REGISTRATION' &&
        /version/u.test(error.detail ?? '') &&
        /modelHash/u.test(error.detail ?? ''),
    );
    await assert.rejects(
      loadRegistry({ missing: new URL(`file://${join(directory, 'nowhere.ts')}`) }),
      (error: unknown) => error instanceof FoveaError && error.code === 'FOVEA_ANALYZER_REGISTRATION',
    );
  });
});
