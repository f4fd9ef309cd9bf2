/**
 * `fovea analyze PATH --json --out DIR` on a synthetic two-eye fundus study: one JSON object for the study with
 * a quality finding per eye and provenance, and the SR it would deliver written to DIR (passing dciodvfy).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeVfSeries, readVfCsv } from '../../src/analyzers/vf-progression/index.ts';
import { requirePeer, runAsync } from '../peers/peers.ts';
import { dciodvfyErrors, writeFundusStudy } from '../peers/results.ts';

describe('fovea analyze', () => {
  const directories: string[] = [];
  after(() => {
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('prints per-eye findings with provenance and writes the SR', async (t) => {
    const study = await writeFundusStudy(61, 512);
    const out = mkdtempSync(join(tmpdir(), 'fovea-analyze-out-'));
    directories.push(study.directory, out);
    const cli = join(import.meta.dirname, '../../src/cli/fovea.ts');
    const result = await runAsync(process.execPath, [
      cli,
      'analyze',
      study.directory,
      '--json',
      '--out',
      out,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as {
      studyInstanceUid: string;
      eyes: Record<'R' | 'L', { analyzer: string; value: { kind: string; verdict: string } }[]>;
      analyses: { status: string; provenance: { inputSopInstanceUids: string[] } }[];
      written: string[];
    }[];
    assert.equal(json.length, 1);
    const [entry] = json;
    assert.equal(entry!.studyInstanceUid, study.studyInstanceUid);
    for (const eye of ['R', 'L'] as const) {
      const quality = entry!.eyes[eye].filter((finding) => finding.analyzer.startsWith('fundus-quality'));
      assert.equal(quality.length, 1);
      assert.equal(quality[0]!.value.kind, 'quality');
      assert.equal(quality[0]!.value.verdict, 'gradable');
      assert.ok(
        entry!.eyes[eye].some(
          (finding) => finding.analyzer.startsWith('dr-screening') && finding.value.kind === 'classification',
        ),
        'and a DR grade from dr-screening',
      );
    }
    const succeeded = entry!.analyses.filter((analysis) => analysis.status === 'succeeded');
    assert.equal(succeeded.length, 2, 'fundus-quality and dr-screening');
    for (const analysis of succeeded) {
      assert.equal(analysis.provenance.inputSopInstanceUids.length, 2);
    }
    assert.ok(entry!.written.length >= 2, 'an SR per analysis (and lesion overlays)');
    if (requirePeer(t, 'dciodvfy')) {
      for (const file of entry!.written) {
        assert.deepEqual(await dciodvfyErrors(readFileSync(file)), [], file);
      }
    }
  });
  it('analyses visual-field series exported as CSV, one object per patient and eye', async (t) => {
    const csv = join(import.meta.dirname, '../../../shared/data/vf/vfpwgRetest24d2.csv');
    let text: string;
    try {
      text = readFileSync(csv, 'utf8');
    } catch {
      if (process.env.CI === 'true') {
        throw new Error('the real visual-field data (../shared/data/vf) is required under CI');
      }
      t.skip('../shared/data/vf not available');
      return;
    }
    const cli = join(import.meta.dirname, '../../src/cli/fovea.ts');
    const result = await runAsync(process.execPath, [cli, 'analyze', csv, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const json = JSON.parse(result.stdout) as {
      kind: string;
      id: string;
      eye: string;
      verdict: string;
      aiGenerated: boolean;
      mdTrend: { slope: number } | null;
      poplr: { p: number } | null;
      tests: unknown[];
    }[];
    const { series } = readVfCsv(text);
    assert.equal(json.length, series.length);
    assert.ok(json.every((entry) => entry.kind === 'visual-field-series' && entry.aiGenerated));
    const first = series[0]!;
    const direct = analyzeVfSeries(first);
    const printed = json.find((entry) => entry.id === first.id && entry.eye === first.eye);
    assert.equal(printed?.verdict, direct.verdict);
    assert.equal(printed?.mdTrend?.slope, direct.mdTrend?.slope);
    assert.equal(printed?.poplr?.p, direct.poplr?.p);
    assert.equal(printed?.tests.length, first.tests.length);
  });
});
