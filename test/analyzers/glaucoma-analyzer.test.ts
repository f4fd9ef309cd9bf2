/**
 * The vf-progression analyzer on a synthetic glaucoma patient with yearly circle scans and visual fields
 * written as DICOM files: the progressing eye is likely progression with structure and function agreeing, its
 * RNFL slope within 0.3 µm/yr of the truth's; the stable eye is not flagged; a single-frame OCT that is not a
 * circle scan is reported, not measured; circle scans alone give a structure-only verdict.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spoolPixelAccess } from '../../src/analyzers/host/index.ts';
import { validateOutput, type AnalyzerOutput, type FindingDraft } from '../../src/analyzers/sdk/index.ts';
import { analyzer } from '../../src/analyzers/vf-progression/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { generateOctVolume } from '../../src/synth/index.ts';
import { assembleNewest, generateGlaucomaSeries } from './glaucoma-series.ts';

const roots: string[] = [];
after(() => {
  for (const root of roots) {
    rmSync(root, { recursive: true, force: true });
  }
});

async function run(objects: Parameters<typeof assembleNewest>[1]): Promise<AnalyzerOutput> {
  const root = mkdtempSync(join(tmpdir(), 'fovea-glaucoma-'));
  roots.push(root);
  const current = await assembleNewest(root, objects);
  assert.equal(analyzer.isApplicable(current).applicable, true);
  const output = await analyzer.analyze(current, {
    logger: silentLogger,
    signal: new AbortController().signal,
    pixels: spoolPixelAccess('/'),
    tempDir: root,
  });
  assert.deepEqual(validateOutput(analyzer.manifest, current, output), []);
  return output;
}

function value(findings: readonly FindingDraft[], eye: 'R' | 'L', key: string): string | number | undefined {
  const finding = findings.find((f) => f.eye === eye && f.key === key);
  if (finding?.value.kind === 'classification') {
    return finding.value.value.value;
  }
  return finding?.value.kind === 'measurement' ? finding.value.value : undefined;
}

function truthSlope(points: readonly { date: string; globalUm: number }[]): number {
  const xs = points.map(
    (p) =>
      (Date.parse(p.date.replace(/(\d{4})(\d{2})(\d{2})/, '$1-$2-$3')) -
        Date.parse(points[0]!.date.replace(/(\d{4})(\d{2})(\d{2})/, '$1-$2-$3'))) /
      86_400_000 /
      365.25,
  );
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = points.reduce((a, p) => a + p.globalUm, 0) / n;
  const sxy = xs.reduce((a, x, i) => a + (x - mx) * (points[i]!.globalUm - my), 0);
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  return sxy / sxx;
}

describe('vf-progression analyzer with circle scans', () => {
  it('finds structure and function progressing in the worse eye, with the RNFL slope of the truth', async (t) => {
    const series = await generateGlaucomaSeries({ seed: 'glaucoma-analyzer-1', visits: 6 });
    const output = await run(series.objects);
    const f = output.findings;
    assert.equal(value(f, 'R', 'verdict'), 'vf-likely');
    assert.equal(value(f, 'R', 'structure-function'), 'sf-both');
    assert.equal(f.find((x) => x.eye === 'R' && x.key === 'verdict')?.triage?.bucket, 'referable');
    const slope = value(f, 'R', 'rnfl-slope') as number;
    const expected = truthSlope(series.rnflTruth.R);
    t.diagnostic(`RNFL slope R: measured ${slope.toFixed(3)} µm/yr, truth ${expected.toFixed(3)} µm/yr`);
    assert.ok(Math.abs(slope - expected) <= 0.3, `${slope} vs ${expected}`);
    assert.ok((value(f, 'R', 'rnfl-slope-ci-lower') as number) < slope);
    assert.ok((value(f, 'R', 'rnfl-slope-ci-upper') as number) > slope);
    assert.ok((value(f, 'R', 'rnfl-slope-p') as number) < 0.05);
    assert.ok((value(f, 'R', 'md-slope-p') as number) < 0.05);
    assert.equal(
      value(f, 'R', 'fast-progressor'),
      slope <= -2 || (value(f, 'R', 'md-slope') as number) <= -1 ? 'yes' : 'no',
    );
    const currentGlobal = series.rnflTruth.R[series.rnflTruth.R.length - 1]!.globalUm;
    assert.ok(Math.abs((value(f, 'R', 'rnfl-global') as number) - currentGlobal) < 1.5);
    assert.notEqual(value(f, 'L', 'verdict'), 'vf-likely');
    assert.ok(Math.abs(value(f, 'L', 'rnfl-slope') as number) < 0.5);
    const verdictR = f.find((x) => x.eye === 'R' && x.key === 'verdict')!;
    assert.equal(verdictR.sourceSopInstanceUids.length, 2, 'the current field and circle scan');
    const raw = output.raw as { eyes: { eye: string; rnfl: { scans: unknown[] } | null }[] };
    assert.equal(raw.eyes.find((e) => e.eye === 'R')?.rnfl?.scans.length, 6);
  });

  it('judges structure alone from circle scans, and reports a single-frame OCT that is not a circle', async () => {
    const series = await generateGlaucomaSeries({ seed: 'glaucoma-analyzer-2', visits: 4, fields: false });
    const current = series.studies[series.studies.length - 1]!;
    const line = await generateOctVolume({
      seed: 'line',
      eye: 'L',
      study: current,
      frames: 1,
      columns: 256,
      rows: 256,
    });
    const output = await run([...series.objects, line.oct]);
    assert.equal(value(output.findings, 'R', 'structure-function'), 'sf-na');
    assert.notEqual(value(output.findings, 'R', 'verdict'), 'vf-stable');
    assert.equal(value(output.findings, 'R', 'md-slope'), undefined);
    const problems = (output.raw as { problems: string[] }).problems;
    assert.ok(
      problems.some((p) => p.includes(line.oct.sopInstanceUid) && p.includes('not a circle scan')),
      problems.join('; '),
    );
  });
});
