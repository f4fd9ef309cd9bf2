/**
 * The fundus-quality analyzer on synthetic photographs (src/synth): clean photographs are gradable, the
 * generator's defocus, under- and over-exposure artefacts are ungradable for the right reason; per-eye
 * findings follow the eye's best image, unknown-eye images are never assigned, and the output passes the SDK
 * contract check.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  analyzer,
  assessFundusQuality,
  modelHash,
  parameters,
} from '../../src/analyzers/fundus-quality/index.ts';
import {
  validateManifest,
  validateOutput,
  type AnalysisCase,
  type AnalyzerHelpers,
  type CaseInstance,
  type QualityFindingValue,
} from '../../src/analyzers/sdk/index.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { decodeFrame } from '../../src/imaging/index.ts';
import { generateFundus, type FundusArtefact } from '../../src/synth/index.ts';

const size = { width: 1024, height: 768 };

interface Photograph {
  readonly instance: CaseInstance;
  readonly part10: Uint8Array;
}

async function photograph(
  seed: string,
  eye: 'R' | 'L',
  artefacts: readonly FundusArtefact[] = [],
  transferSyntax: 'explicit-le' | 'jpeg-baseline' = 'explicit-le',
): Promise<Photograph> {
  const fundus = await generateFundus({ seed, eye, artefacts, transferSyntax, ...size });
  return {
    part10: fundus.part10,
    instance: {
      sopInstanceUid: fundus.sopInstanceUid,
      sopClassUid: fundus.sopClassUid,
      seriesInstanceUid: fundus.seriesInstanceUid,
      modality: 'OP',
      transferSyntaxUid: fundus.transferSyntaxUid,
      spoolPath: fundus.fileName,
    },
  };
}

function studyOf(
  right: readonly Photograph[],
  left: readonly Photograph[],
  unknown: readonly Photograph[] = [],
): AnalysisCase {
  return {
    studyInstanceUid: '2.25.42',
    site: 'test',
    eyes: [
      { eye: 'R', instances: right.map((p) => p.instance) },
      { eye: 'L', instances: left.map((p) => p.instance) },
    ],
    bothEyes: [],
    unknownEye: unknown.map((p) => p.instance),
    assembledAt: new Date(),
    priors: [],
  };
}

function helpersFor(
  photographs: readonly Photograph[],
  signal = new AbortController().signal,
): AnalyzerHelpers {
  const files = new Map(photographs.map((p) => [p.instance.sopInstanceUid, p.part10]));
  return {
    logger: silentLogger,
    signal,
    tempDir: '/nonexistent',
    pixels: {
      frame: (instance, frameIndex) => decodeFrame(files.get(instance.sopInstanceUid)!, frameIndex),
    },
  };
}

describe('fundus-quality analyzer (synthetic photographs)', () => {
  it('has a valid manifest whose model hash is the SHA-256 of its parameters', () => {
    assert.deepEqual(validateManifest(analyzer.manifest), []);
    assert.equal(analyzer.manifest.id, 'fundus-quality');
    assert.equal(analyzer.manifest.version, '1.0.0');
    assert.deepEqual(analyzer.manifest.useCases, ['image-quality']);
    assert.deepEqual(analyzer.manifest.outputs, ['quality']);
    assert.equal(analyzer.manifest.reviewRequired, true);
    const expected = createHash('sha256').update(JSON.stringify(parameters)).digest('hex');
    assert.equal(analyzer.manifest.modelHash, expected);
    assert.equal(modelHash, expected);
  });

  it('finds clean synthetic photographs gradable and its artefacts ungradable for the right reason', async (t) => {
    const cases: [FundusArtefact | 'clean', string][] = [
      ['clean', ''],
      ['defocus', 'blur'],
      ['under-exposure', 'underexposed'],
      ['over-exposure', 'overexposed'],
    ];
    for (const seed of ['q1', 'q2']) {
      for (const eye of ['R', 'L'] as const) {
        for (const [artefact, reason] of cases) {
          const syntax = seed === 'q2' ? 'jpeg-baseline' : 'explicit-le';
          const p = await photograph(seed, eye, artefact === 'clean' ? [] : [artefact], syntax);
          const assessment = assessFundusQuality(await decodeFrame(p.part10));
          const label = `${seed} ${eye} ${artefact} (${syntax})`;
          t.diagnostic(
            `${label}: ${assessment.verdict} ${assessment.score} [${assessment.reasons.join(', ')}]`,
          );
          if (artefact === 'clean') {
            assert.equal(assessment.verdict, 'gradable', `${label}: ${assessment.reasons.join(', ')}`);
            assert.ok(assessment.score >= 0.5);
          } else {
            assert.equal(assessment.verdict, 'ungradable', label);
            assert.ok(
              assessment.reasons.includes(reason as never),
              `${label}: ${assessment.reasons.join(', ')}`,
            );
            assert.ok(assessment.score < 0.5);
          }
        }
      }
    }
  });

  describe('analyze', () => {
    let rightClean: Photograph;
    let rightBlurred: Photograph;
    let leftBlurred: Photograph;
    let leftDark: Photograph;
    let unknownClean: Photograph;
    before(async () => {
      [rightClean, rightBlurred, leftBlurred, leftDark, unknownClean] = await Promise.all([
        photograph('a1', 'R'),
        photograph('a2', 'R', ['defocus']),
        photograph('a3', 'L', ['defocus']),
        photograph('a4', 'L', ['under-exposure']),
        photograph('a5', 'R'),
      ]);
    });

    it('gives one finding per eye: the best image decides, an ungradable eye gets its images’ reasons', async () => {
      const study = studyOf([rightBlurred, rightClean], [leftBlurred, leftDark], [unknownClean]);
      const all = [rightClean, rightBlurred, leftBlurred, leftDark, unknownClean];
      const output = await analyzer.analyze(study, helpersFor(all));
      assert.deepEqual(validateOutput(analyzer.manifest, study, output), []);
      assert.equal(output.findings.length, 2);
      const [right, left] = output.findings;
      assert.equal(right!.eye, 'R');
      assert.equal(right!.useCase, 'image-quality');
      assert.equal(right!.key, 'quality');
      const rightValue = right!.value as QualityFindingValue;
      assert.equal(rightValue.verdict, 'gradable');
      assert.deepEqual(rightValue.reasons, []);
      assert.deepEqual(right!.sourceSopInstanceUids, [
        rightClean.instance.sopInstanceUid,
        rightBlurred.instance.sopInstanceUid,
      ]);
      const leftValue = left!.value as QualityFindingValue;
      assert.equal(left!.eye, 'L');
      assert.equal(leftValue.verdict, 'ungradable');
      assert.ok(
        leftValue.reasons.includes('blur') && leftValue.reasons.includes('underexposed'),
        leftValue.reasons.join(),
      );
      assert.ok(leftValue.score < 0.5);
      const raw = output.raw as { images: { sopInstanceUid: string }[]; notAssignedToAnEye: string[] };
      assert.equal(raw.images.length, 4);
      assert.ok(!raw.images.some((image) => image.sopInstanceUid === unknownClean.instance.sopInstanceUid));
      assert.deepEqual(raw.notAssignedToAnEye, [unknownClean.instance.sopInstanceUid]);
    });

    it('gives no finding for an eye without photographs', async () => {
      const study = studyOf([rightClean], []);
      const output = await analyzer.analyze(study, helpersFor([rightClean]));
      assert.deepEqual(
        output.findings.map((finding) => finding.eye),
        ['R'],
      );
    });

    it('calls an undecodable photograph unreadable', async () => {
      const broken: Photograph = {
        instance: { ...leftDark.instance, sopInstanceUid: '2.25.999' },
        part10: new Uint8Array(400).fill(3),
      };
      const study = studyOf([rightClean], [broken]);
      const output = await analyzer.analyze(study, helpersFor([rightClean, broken]));
      assert.deepEqual(validateOutput(analyzer.manifest, study, output), []);
      const left = output.findings.find((finding) => finding.eye === 'L')!.value as QualityFindingValue;
      assert.equal(left.verdict, 'ungradable');
      assert.deepEqual(left.reasons, ['unreadable']);
      assert.equal(left.score, 0);
    });

    it('says why it applies or not', () => {
      const applies = analyzer.isApplicable(studyOf([rightClean], [leftDark]));
      assert.equal(applies.applicable, true);
      assert.match(applies.reason, /R 1, L 1/u);
      const unknownOnly = analyzer.isApplicable(studyOf([], [], [unknownClean]));
      assert.equal(unknownOnly.applicable, false);
      assert.match(unknownOnly.reason, /known eye/u);
      const notOp = studyOf(
        [{ ...rightClean, instance: { ...rightClean.instance, sopClassUid: '1.2.3' } }],
        [],
      );
      assert.equal(analyzer.isApplicable(notOp).applicable, false);
      const slo = studyOf([{ ...rightClean, instance: { ...rightClean.instance, samplesPerPixel: 1 } }], []);
      assert.equal(
        analyzer.isApplicable(slo).applicable,
        false,
        'a greyscale SLO image is no colour photograph',
      );
    });

    it('stops when the run is aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('timed out'));
      await assert.rejects(
        analyzer.analyze(studyOf([rightClean], []), helpersFor([rightClean], controller.signal)),
        /timed out/u,
      );
    });
  });
});
