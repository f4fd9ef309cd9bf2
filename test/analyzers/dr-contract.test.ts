/**
 * The dr-screening analyzer passes the SDK contract on a synthetic two-eye study (DICOM OP, decoded through the
 * spool pixel access), and its findings carry the ICDR classification with the per-eye LOINC concept, region
 * points inside the source image, and a triage suggestion; it declines greyscale OP images (an OCT's SLO).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzer } from '../../src/analyzers/dr-screening/index.ts';
import { spoolPixelAccess } from '../../src/analyzers/host/index.ts';
import { checkAnalyzerContract, type AnalysisCase } from '../../src/analyzers/sdk/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { assembleCase } from '../../src/pipeline/assemble.ts';
import { readInstanceFiles } from '../../src/pipeline/offline-analysis.ts';
import { generatePatientStudy, writeObjects } from '../../src/synth/index.ts';

describe('dr-screening analyzer contract', () => {
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
    directory = mkdtempSync(join(tmpdir(), 'fovea-dr-contract-'));
    const study = await generatePatientStudy({
      seed: 78,
      eyes: ['R', 'L'],
      content: { fundus: true },
      findings: { R: { icdr: 3 }, L: { icdr: 0 } },
      fundusSize: { width: 640, height: 640 },
    });
    const files = (await writeObjects(directory, study.objects)).filter((file) => file.endsWith('.dcm'));
    const records = await readInstanceFiles(files);
    applicable = { ...assembleCase(study.study.studyInstanceUid, 'test', records, new Date()), priors: [] };
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('holds the SDK contract and states a coded grade per eye', async () => {
    const problems = await checkAnalyzerContract(analyzer, {
      applicable,
      notApplicable: empty,
      pixels: spoolPixelAccess('/'),
      tempDir: directory,
    });
    assert.deepEqual(problems, []);
    const output = await analyzer.analyze(applicable, {
      logger: silentLogger,
      signal: new AbortController().signal,
      pixels: spoolPixelAccess('/'),
      tempDir: directory,
    });
    for (const eye of ['R', 'L'] as const) {
      const grade = output.findings.find(
        (finding) => finding.eye === eye && (finding.key === 'icdr' || finding.key === 'gradability'),
      );
      assert.ok(grade !== undefined, `a grade or gradability finding for eye ${eye}`);
      assert.ok(grade.triage !== undefined);
      if (grade.value.kind === 'classification') {
        assert.equal(grade.value.concept.value, eye === 'R' ? '71491-5' : '71490-7');
      }
    }
    for (const finding of output.findings) {
      if (finding.value.kind === 'region') {
        assert.ok(finding.value.points.every((value) => value >= 0 && value <= 640));
      }
    }
  });

  it('declines greyscale OP images (the infrared SLO of an OCT study): they are not colour fundus photographs', async () => {
    const study = await generatePatientStudy({
      seed: 79,
      eyes: ['R', 'L'],
      content: { fundus: false, octVolume: true },
      octSize: { frames: 5, columns: 128, rows: 128 },
    });
    const folder = mkdtempSync(join(directory, 'oct-'));
    const files = (await writeObjects(folder, study.objects)).filter((file) => file.endsWith('.dcm'));
    const records = await readInstanceFiles(files);
    assert.ok(
      records.some((record) => record.modality === 'OP' && record.samplesPerPixel === 1),
      'the OCT study has greyscale SLO photographs',
    );
    const slo = { ...assembleCase(study.study.studyInstanceUid, 'test', records, new Date()), priors: [] };
    assert.equal(analyzer.isApplicable(slo).applicable, false);
  });
});
