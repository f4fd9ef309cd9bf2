/**
 * The vf-progression analyzer on synthetic OPV series written as DICOM files: the current visit with its
 * earlier visits as priors (as the pipeline's Case assembly gives them) → per-eye verdict, MD slope and PoPLR p,
 * a referable triage suggestion for likely progression; a stable series stays unflagged; the output keeps the
 * SDK contract; and the analyzer runs in the real worker pool from the registry.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AnalyzerPool, spoolPixelAccess } from '../../src/analyzers/host/index.ts';
import { validateOutput, type AnalysisCase } from '../../src/analyzers/sdk/index.ts';
import { analyzer } from '../../src/analyzers/vf-progression/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { generateVisualFieldSeries } from '../../src/synth/index.ts';
import { assembleNewest } from './glaucoma-series.ts';

const roots: string[] = [];

/** Writes a series (one study per visit) under a spool root and assembles the newest visit with its priors. */
async function seriesCase(
  seed: number,
  mdSlopeDbPerYear: number,
  arcuate: 'superior' | 'none',
): Promise<{ root: string; current: AnalysisCase }> {
  const root = mkdtempSync(join(tmpdir(), 'fovea-vf-'));
  roots.push(root);
  const objects = generateVisualFieldSeries({
    seed,
    eye: 'R',
    visits: 7,
    intervalYears: 1,
    mdSlopeDbPerYear,
    arcuate,
  });
  return { root, current: await assembleNewest(root, objects) };
}

after(() => {
  for (const root of roots) {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('vf-progression analyzer', () => {
  it('flags a −1 dB/yr arcuate progression over 6 years as likely, with the MD slope and a referable suggestion', async () => {
    const { root, current } = await seriesCase(501, -1, 'superior');
    assert.equal(current.priors.length, 6);
    const helpers = {
      logger: silentLogger,
      signal: new AbortController().signal,
      pixels: spoolPixelAccess('/'),
      tempDir: root,
    };
    assert.equal(analyzer.isApplicable(current).applicable, true);
    const output = await analyzer.analyze(current, helpers);
    assert.deepEqual(validateOutput(analyzer.manifest, current, output), []);
    const verdict = output.findings.find((finding) => finding.key === 'verdict');
    assert.equal(verdict?.eye, 'R');
    assert.equal(verdict?.value.kind === 'classification' && verdict.value.value.value, 'vf-likely');
    assert.equal(verdict?.triage?.bucket, 'referable');
    const slope = output.findings.find((finding) => finding.key === 'md-slope');
    assert.ok(slope?.value.kind === 'measurement');
    assert.ok(Math.abs(slope.value.value - -1) < 0.35, `MD slope ${slope.value.value}`);
    assert.equal(slope.value.unit.value, 'dB/a');
    const poplr = output.findings.find((finding) => finding.key === 'poplr-p');
    assert.ok(poplr?.value.kind === 'measurement' && poplr.value.value < 0.01);
    assert.deepEqual(
      verdict.sourceSopInstanceUids,
      current.eyes[0]!.instances.map((instance) => instance.sopInstanceUid),
      'findings cite the current study’s field',
    );
    const raw = output.raw as { eyes: { tests: unknown[] }[] };
    assert.equal(raw.eyes[0]!.tests.length, 7, 'the six priors and the current test');
  });

  it('leaves a stable series unflagged', async () => {
    const { root, current } = await seriesCase(502, 0, 'none');
    const output = await analyzer.analyze(current, {
      logger: silentLogger,
      signal: new AbortController().signal,
      pixels: spoolPixelAccess('/'),
      tempDir: root,
    });
    const verdict = output.findings.find((finding) => finding.key === 'verdict');
    assert.equal(verdict?.value.kind === 'classification' && verdict.value.value.value, 'vf-stable');
    assert.equal(verdict?.triage, undefined);
  });

  it('runs from the registry in the worker pool', async () => {
    const { current } = await seriesCase(503, -1, 'superior');
    const pool = await AnalyzerPool.start({ spoolRoot: '/', logger: silentLogger });
    try {
      const outcome = await pool.run('vf-progression', current);
      assert.ok('output' in outcome);
      const verdict = outcome.output.findings.find((finding) => finding.key === 'verdict');
      assert.equal(verdict?.value.kind === 'classification' && verdict.value.value.value, 'vf-likely');
    } finally {
      await pool.close();
    }
  });
});
