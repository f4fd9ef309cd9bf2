/**
 * `fovea analyze PATH --json --out DIR` on a synthetic two-eye fundus study: one JSON object for the study with
 * a quality finding per eye and provenance, and the SR it would deliver written to DIR (passing dciodvfy).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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
      assert.equal(entry!.eyes[eye].length, 1);
      assert.equal(entry!.eyes[eye][0]!.value.kind, 'quality');
      assert.equal(entry!.eyes[eye][0]!.value.verdict, 'gradable');
    }
    assert.equal(entry!.analyses[0]!.provenance.inputSopInstanceUids.length, 2);
    assert.equal(entry!.written.length, 1);
    if (requirePeer(t, 'dciodvfy')) {
      assert.deepEqual(await dciodvfyErrors(readFileSync(entry!.written[0]!)), []);
    }
  });
});
