import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runSynthCommand } from '../cli/synth-command.ts';
import { generateCohort, generatePatientStudy, makePatient } from './index.ts';
import type { CohortManifest, FundusTruth } from './index.ts';

const temp = mkdtempSync(join(tmpdir(), 'fovea-synth-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

const fundusSize = { width: 512, height: 384 };
const octSize = { frames: 9, columns: 128, rows: 256 };

describe('synthetic patients and visits', () => {
  it('puts both eyes of a visit in one study with one series per kind and eye', async () => {
    const visit = await generatePatientStudy({
      seed: 'visit',
      findings: { R: { icdr: 2 }, L: { icdr: 0, fluid: ['srf'] } },
      content: { fundus: true, octVolume: true, visualField: true },
      fundusSize,
      octSize,
    });
    assert.equal(visit.objects.length, 2 * 4);
    assert.equal(new Set(visit.objects.map((o) => o.studyInstanceUid)).size, 1);
    assert.equal(new Set(visit.objects.map((o) => o.patientId)).size, 1);
    assert.equal(new Set(visit.objects.map((o) => o.seriesInstanceUid)).size, 8);
    const fundusR = visit.objects.find((o) => o.kind === 'fundus' && o.eye === 'R')!;
    assert.equal((fundusR.truth as FundusTruth).icdr, 2);
    assert.match(visit.patient.patientName, /^SYNTH\^/);
    // The same patient's eye has the same anatomy at another visit.
    const later = await generatePatientStudy({
      seed: 'visit',
      visitLabel: 'later',
      patient: visit.patient,
      fundusSize,
    });
    const again = later.objects.find((o) => o.kind === 'fundus' && o.eye === 'R')!.truth as FundusTruth;
    assert.deepEqual(again.anatomy.disc, (fundusR.truth as FundusTruth).anatomy.disc);
    assert.notEqual(later.study.studyInstanceUid, visit.study.studyInstanceUid);
  });
});

describe('synthetic cohort', () => {
  it('mixes every case type with the expected triage and writes a manifest', async () => {
    const out = join(temp, 'cohort');
    const cohort = await generateCohort({ seed: 'cohort', size: 6, visits: 2, out, fundusSize, octSize });
    const { manifest } = cohort;
    assert.deepEqual(
      manifest.cases.map((c) => [c.type, c.expectedTriage]),
      [
        ['normal', 'routine'],
        ['referable-dr', 'referable'],
        ['dme', 'referable'],
        ['glaucoma-progression', 'referable'],
        ['critical', 'stat'],
        ['ungradable', 'recapture'],
      ],
    );
    const written = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as CohortManifest;
    assert.deepEqual(written, JSON.parse(JSON.stringify(manifest)));
    for (const entry of manifest.cases) {
      for (const object of entry.objects) {
        assert.ok(existsSync(join(out, object.path)), object.path);
        assert.ok(existsSync(join(out, object.path.replace(/\.dcm$/, '.truth.json'))));
      }
      // Prior visits are earlier studies of the same patient.
      const dates = entry.studies.map((s) => s.studyDate);
      assert.deepEqual([...dates].sort(), dates);
      assert.equal(entry.studies.at(-1)!.current, true);
      assert.ok(entry.studies.length >= 2);
    }
    const glaucoma = manifest.cases.find((c) => c.type === 'glaucoma-progression')!;
    assert.ok(glaucoma.objects.filter((o) => o.modality === 'OPV').length >= 10, 'two eyes × ≥ 5 fields');
    assert.ok(
      Object.values(glaucoma.eyes).some(
        (e) => e.glaucoma && e.vfMdSlopeDbPerYear !== null && e.vfMdSlopeDbPerYear < -0.9,
      ),
    );
    const critical = manifest.cases.find((c) => c.type === 'critical')!;
    assert.ok(Object.values(critical.eyes).some((e) => e.icdr === 4 && e.vitreousHaemorrhage));
    const dme = manifest.cases.find((c) => c.type === 'dme')!;
    assert.ok(dme.objects.some((o) => o.modality === 'OPT'));
    const ungradable = manifest.cases.find((c) => c.type === 'ungradable')!;
    assert.ok(Object.values(ungradable.eyes).some((e) => !e.gradable));
    assert.equal(
      cohort.objects.length,
      manifest.cases.reduce((n, c) => n + c.objects.length, 0),
    );
  });

  it('is deterministic for a seed', async () => {
    const a = await generateCohort({ seed: 'same', size: 3, fundusSize, octSize, retain: false });
    const b = await generateCohort({ seed: 'same', size: 3, fundusSize, octSize, retain: false });
    assert.deepEqual(a.manifest, b.manifest);
    assert.equal(a.objects.length, 0);
    assert.equal(makePatient({ seed: 'p' }).patientId, makePatient({ seed: 'p' }).patientId);
  });
});

describe('fovea synth command', () => {
  it('writes objects and truth files, and rejects bad arguments', async () => {
    const out = join(temp, 'cli');
    assert.equal(
      await runSynthCommand(['--kind', 'vf', '--visits', '3', '--eye', 'L', '--seed', '5', '--out', out]),
      0,
    );
    const files = readdirSync(out).sort();
    assert.equal(files.filter((f) => f.endsWith('.dcm')).length, 3);
    assert.equal(files.filter((f) => f.endsWith('.truth.json')).length, 3);
    assert.equal(
      await runSynthCommand([
        '--kind',
        'fundus',
        '--icdr',
        '3',
        '--eye',
        'R',
        '--width',
        '512',
        '--height',
        '384',
        '--out',
        out,
      ]),
      0,
    );
    assert.equal(await runSynthCommand(['--kind', 'nope', '--out', out]), 2);
    assert.equal(await runSynthCommand(['--kind', 'fundus']), 2);
    assert.equal(await runSynthCommand(['--kind', 'fundus', '--dme', '--icdr', '1', '--out', out]), 2);
    assert.equal(await runSynthCommand(['--kind', 'oct', '--fluid', 'blood', '--out', out]), 2);
    assert.equal(await runSynthCommand(['--unknown']), 2);
    assert.equal(await runSynthCommand(['--help']), 0);
  });
});
