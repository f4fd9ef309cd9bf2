/**
 * The ONNX analyzer on models built in code whose output the test computes independently: the whole
 * preprocessing (a linear model over every tensor element), channel order (a model that reads one channel),
 * the output mappings and triage, the worst-image rule; registration errors with their config path; the
 * shared contract suite; and a run through the real worker pool on synthetic fundus photographs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FoveaError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import { validateConfig } from '../../config/load.ts';
import { assembleCase } from '../../pipeline/assemble.ts';
import { readInstanceFiles } from '../../pipeline/offline-analysis.ts';
import { generatePatientStudy, writeObjects } from '../../synth/index.ts';
import { AnalyzerPool, spoolPixelAccess } from '../host/index.ts';
import { loadRegistry } from '../registry.ts';
import {
  checkAnalyzerContract,
  type AnalysisCase,
  type AnalyzerHelpers,
  type CaseInstance,
  type DecodedFrame,
  type FindingDraft,
} from '../sdk/index.ts';
import { loadOnnxAnalyzer } from './onnx-analyzer.ts';
import type { OnnxInputSpec } from './model-manifest.ts';
import { softmax, sigmoid } from './output-mapping.ts';
import { channelMeanModel, linearModel, referenceTensor, sha256, writeModel } from './test-support.ts';

const opClass = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

function instance(uid: string): CaseInstance {
  return {
    sopInstanceUid: uid,
    sopClassUid: opClass,
    seriesInstanceUid: '1.2.3.4',
    modality: 'OP',
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    spoolPath: `${uid}.dcm`,
  };
}

function makeCase(right: readonly string[], left: readonly string[]): AnalysisCase {
  return {
    studyInstanceUid: '1.2.3',
    site: 'test',
    eyes: [
      { eye: 'R', instances: right.map(instance) },
      { eye: 'L', instances: left.map(instance) },
    ],
    bothEyes: [],
    unknownEye: [],
    assembledAt: new Date(0),
    priors: [],
  };
}

function rgbFrame(
  width: number,
  height: number,
  pixel: (x: number, y: number) => readonly [number, number, number],
): DecodedFrame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set(pixel(x, y), (y * width + x) * 3);
    }
  }
  return {
    rows: height,
    columns: width,
    samplesPerPixel: 3,
    bitsAllocated: 8,
    photometricInterpretation: 'RGB',
    data,
  };
}

function helpersFor(frames: ReadonlyMap<string, DecodedFrame>, tempDir: string): AnalyzerHelpers {
  return {
    logger: silentLogger,
    signal: new AbortController().signal,
    pixels: {
      frame: (item) => Promise.resolve(frames.get(item.sopInstanceUid)!),
    },
    tempDir,
  };
}

/** A deterministic pseudo-random sequence in [-1, 1). */
function pseudoRandom(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 1073741824 - 1;
  });
}

const manifestBase = {
  version: '1.0.0',
  displayName: 'Test DR model',
  intendedUse: 'Testing: grades diabetic retinopathy on colour fundus photographs for a screening programme.',
  useCase: 'dr-screening',
  inputs: { sopClassUids: [opClass], modalities: ['OP'] },
  timeoutMs: 30_000,
  reviewRequired: true,
};

interface RawImage {
  readonly sopInstanceUid: string;
  readonly probabilities?: readonly number[];
  readonly referableProbability: number;
  readonly grade?: number;
  readonly decidesEye: boolean;
}

function rawImages(raw: unknown): RawImage[] {
  return (raw as { images: RawImage[] }).images;
}

function finding(findings: readonly FindingDraft[], eye: 'R' | 'L'): FindingDraft {
  return findings.find((entry) => entry.eye === eye)!;
}

/** Red-driven grading: logits_k = 16·k·v − 2·k² with v = the tensor's channel-0 mean, so grade ≈ 4v. */
const gradeByChannel0 = {
  weights: [0, 16, 32, 48, 64, ...Array<number>(10).fill(0)],
  bias: [0, -2, -8, -18, -32],
};

describe('ONNX analyzer', () => {
  let directory: string;
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'fovea-onnx-'));
  });
  after(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  it('feeds the model exactly the declared tensor: probabilities equal the JS reference to 1e-5', async (t) => {
    const frames = new Map([
      ['1.1', rgbFrame(37, 29, (x, y) => [(x * 7 + y * 3) % 256, (x * y) % 256, 255 - ((x * 11) % 256)])],
      ['1.2', rgbFrame(20, 24, (x, y) => [(x * 13) % 256, (y * 9) % 256, (x + y) % 256])],
    ]);
    let worst = 0;
    const variants = [
      { resize: 'bilinear', colourOrder: 'RGB', layout: 'NCHW' },
      { resize: 'area', colourOrder: 'BGR', layout: 'NHWC' },
      { resize: 'nearest', colourOrder: 'BGR', layout: 'NCHW' },
    ] as const;
    for (const [index, variant] of variants.entries()) {
      const input: OnnxInputSpec = {
        name: 'x',
        width: 8,
        height: 6,
        scale: 1 / 255,
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        ...variant,
      };
      const weights = pseudoRandom(8 * 6 * 3 * 5, 11 + index).map((value) => value * 0.05);
      const bias = [0.1, -0.2, 0.3, 0, -0.1];
      const path = writeModel(
        directory,
        linearModel({ layout: input.layout, width: 8, height: 6, weights, bias, softmax: false }),
        {
          ...manifestBase,
          id: `linear-${index}`,
          input,
          output: { name: 'probs', mapping: 'icdr-classes', logits: true },
        },
        `linear-${index}`,
      );
      const analyzer = await loadOnnxAnalyzer(path);
      const output = await analyzer.analyze(makeCase(['1.1'], ['1.2']), helpersFor(frames, directory));
      for (const image of rawImages(output.raw)) {
        const tensor = referenceTensor(frames.get(image.sopInstanceUid)!, input);
        const logits = bias.map((b, k) =>
          tensor.reduce((sum, value, at) => sum + value * weights[at * 5 + k]!, b),
        );
        softmax(logits).forEach((expected, k) => {
          worst = Math.max(worst, Math.abs(image.probabilities![k]! - expected));
        });
      }
    }
    t.diagnostic(`max abs difference of the probabilities vs the JS reference: ${worst.toExponential(2)}`);
    assert.ok(worst < 1e-5, `max abs difference ${worst}`);
  });

  it('takes the declared colour order: a model that reads tensor channel 0 sees red (RGB) or blue (BGR)', async () => {
    const frames = new Map([['2.1', rgbFrame(6, 6, () => [255, 128, 0])]]);
    const grades: Record<string, number | undefined> = {};
    for (const colourOrder of ['RGB', 'BGR'] as const) {
      const input = {
        name: 'x',
        width: 4,
        height: 4,
        resize: 'area',
        colourOrder,
        layout: 'NHWC',
        scale: 1 / 255,
      };
      const path = writeModel(
        directory,
        channelMeanModel({ layout: 'NHWC', width: 4, height: 4, ...gradeByChannel0, softmax: true }),
        {
          ...manifestBase,
          id: `channel-${colourOrder.toLowerCase()}`,
          input,
          output: { name: 'probs', mapping: 'icdr-classes' },
        },
        `channel-${colourOrder}`,
      );
      const analyzer = await loadOnnxAnalyzer(path);
      const output = await analyzer.analyze(makeCase(['2.1'], []), helpersFor(frames, directory));
      const image = rawImages(output.raw)[0]!;
      const v = colourOrder === 'RGB' ? 1 : 0;
      const expected = softmax(gradeByChannel0.bias.map((b, k) => b + gradeByChannel0.weights[k]! * v));
      expected.forEach((probability, k) => {
        assert.ok(Math.abs(image.probabilities![k]! - probability) < 1e-5);
      });
      grades[colourOrder] = image.grade;
    }
    assert.deepEqual(grades, { RGB: 4, BGR: 0 });
  });

  it('maps ICDR classes to per-eye findings and triage; the worst image decides the eye', async () => {
    const path = writeModel(
      directory,
      channelMeanModel({ layout: 'NCHW', width: 4, height: 4, ...gradeByChannel0, softmax: true }),
      {
        ...manifestBase,
        id: 'icdr',
        input: {
          name: 'x',
          width: 4,
          height: 4,
          resize: 'area',
          colourOrder: 'RGB',
          layout: 'NCHW',
          scale: 1 / 255,
        },
        output: { name: 'probs', mapping: 'icdr-classes', logits: false },
        triage: { releaseMinConfidence: 0.5 },
      },
      'icdr',
    );
    const analyzer = await loadOnnxAnalyzer(path);
    const uniform = (red: number): DecodedFrame => rgbFrame(5, 5, () => [red, 40, 10]);
    const frames = new Map([
      ['3.1', uniform(0)],
      ['3.2', uniform(128)],
      ['3.3', uniform(0)],
    ]);
    const output = await analyzer.analyze(makeCase(['3.1', '3.2'], ['3.3']), helpersFor(frames, directory));
    const right = finding(output.findings, 'R');
    const left = finding(output.findings, 'L');
    const p = (v: number): number[] =>
      softmax(gradeByChannel0.bias.map((b, k) => b + gradeByChannel0.weights[k]! * v));
    assert.equal(right.key, 'icdr-grade');
    assert.deepEqual(right.sourceSopInstanceUids, ['3.2', '3.1']);
    assert.ok(right.value.kind === 'classification');
    assert.deepEqual(right.value.concept, {
      value: '71491-5',
      scheme: 'LN',
      meaning: 'Right eye Diabetic retinopathy severity level',
    });
    assert.equal(right.value.value.value, 'LA18645-4');
    assert.ok(Math.abs(right.value.confidence! - p(128 / 255)[2]!) < 1e-5);
    assert.equal(right.triage?.bucket, 'referable');
    assert.ok(left.value.kind === 'classification');
    assert.equal(left.value.concept.value, '71490-7');
    assert.equal(left.value.value.value, 'LA18643-9');
    assert.equal(left.triage?.bucket, 'review-and-release');
    assert.ok(Math.abs(left.triage.confidence! - p(0)[0]!) < 1e-5);
    const images = rawImages(output.raw);
    assert.deepEqual(
      images.map((image) => [image.sopInstanceUid, image.grade, image.decidesEye]),
      [
        ['3.1', 0, false],
        ['3.2', 2, true],
        ['3.3', 0, true],
      ],
    );
    const stat = await analyzer.analyze(
      makeCase(['3.4'], []),
      helpersFor(new Map([['3.4', uniform(255)]]), directory),
    );
    assert.equal(stat.findings[0]!.triage?.bucket, 'stat');
  });

  it('maps a referable probability (a logit, sigmoid) with its threshold', async () => {
    const weights = [4, 0, 0];
    const bias = [-2];
    const path = writeModel(
      directory,
      channelMeanModel({ layout: 'NCHW', width: 2, height: 2, weights, bias, softmax: false }),
      {
        ...manifestBase,
        id: 'referable',
        input: {
          name: 'x',
          width: 2,
          height: 2,
          resize: 'nearest',
          colourOrder: 'RGB',
          layout: 'NCHW',
          scale: 1 / 255,
        },
        output: { name: 'probs', mapping: 'referable-probability', logits: true },
        triage: { referableProbability: 0.3, releaseMinConfidence: 0.8 },
      },
      'referable',
    );
    const analyzer = await loadOnnxAnalyzer(path);
    const frames = new Map([
      ['4.1', rgbFrame(3, 3, () => [0, 0, 0])],
      ['4.2', rgbFrame(3, 3, () => [102, 0, 0])],
    ]);
    const output = await analyzer.analyze(makeCase(['4.1'], ['4.2']), helpersFor(frames, directory));
    const right = finding(output.findings, 'R');
    const left = finding(output.findings, 'L');
    const pRight = sigmoid(-2);
    const pLeft = sigmoid(4 * (102 / 255) - 2);
    assert.ok(right.value.kind === 'classification' && left.value.kind === 'classification');
    assert.equal(right.value.value.meaning, 'No');
    assert.ok(Math.abs(right.value.confidence! - (1 - pRight)) < 1e-5);
    assert.equal(right.triage?.bucket, 'review-and-release');
    assert.equal(left.value.value.meaning, 'Yes');
    assert.ok(Math.abs(left.value.confidence! - pLeft) < 1e-5);
    assert.equal(left.triage?.bucket, 'referable');
  });

  it('refuses a bad manifest, a hash mismatch, a missing input and a duplicate id, each with its config path', async () => {
    const model = channelMeanModel({
      layout: 'NCHW',
      width: 4,
      height: 4,
      ...gradeByChannel0,
      softmax: true,
    });
    const input = {
      name: 'x',
      width: 4,
      height: 4,
      resize: 'area',
      colourOrder: 'RGB',
      layout: 'NCHW',
      scale: 1 / 255,
    };
    const output = { name: 'probs', mapping: 'icdr-classes' };
    const valid = writeModel(directory, model, { ...manifestBase, id: 'valid', input, output }, 'valid');
    const expectRegistration = async (manifestPath: string, pattern: RegExp): Promise<void> => {
      await assert.rejects(loadRegistry({}, [{ manifest: valid }, { manifest: manifestPath }]), (error) => {
        assert.ok(error instanceof FoveaError);
        assert.equal(error.code, 'FOVEA_ANALYZER_REGISTRATION');
        assert.equal(error.path, 'analyzers.onnx.1.manifest');
        assert.match(error.message, pattern);
        return true;
      });
    };
    const bad = writeModel(
      directory,
      model,
      {
        ...manifestBase,
        id: 'Bad_Id',
        input: { ...input, layout: 'CHW', colour: 'RGB', mean: [0, 0] },
        output: { name: 'probs', mapping: 'grades' },
        triage: { referableMinGrade: 2, releaseMaxGrade: 2 },
      },
      'bad',
    );
    await expectRegistration(join(directory, 'missing.json'), /cannot be read \(ENOENT\)/);
    await expectRegistration(bad, /id: 'Bad_Id' is not a lower-case kebab id/);
    await expectRegistration(bad, /input\.layout: must be one of NCHW, NHWC/);
    await expectRegistration(bad, /input\.colour: is not a known key/);
    await expectRegistration(bad, /input\.mean: three numbers are required/);
    await expectRegistration(bad, /output\.mapping: must be one of icdr-classes, referable-probability/);
    await expectRegistration(bad, /triage\.releaseMaxGrade: must be below referableMinGrade/);
    const good = writeModel(
      directory,
      model,
      { ...manifestBase, id: 'hash-check', input, output },
      'hash-check',
    );
    writeFileSync(join(directory, 'hash-check.onnx'), Buffer.concat([Buffer.from(model), Buffer.from([0])]));
    await expectRegistration(good, /model\.sha256: the file's SHA-256 is [0-9a-f]{64}, the manifest says/);
    const renamed = writeModel(
      directory,
      model,
      { ...manifestBase, id: 'renamed', input: { ...input, name: 'image' }, output },
      'renamed',
    );
    await expectRegistration(renamed, /input\.name: the model has no input 'image' \(it has x\)/);
    const wrongSize = writeModel(
      directory,
      model,
      { ...manifestBase, id: 'size', input: { ...input, width: 5 }, output },
      'size',
    );
    await expectRegistration(wrongSize, /input shape \[batch, 3, 4, 4\] does not fit NCHW 5×4/);
    const fourClasses = writeModel(
      directory,
      channelMeanModel({
        layout: 'NCHW',
        width: 4,
        height: 4,
        weights: Array<number>(12).fill(0),
        bias: [0, 0, 0, 0],
        softmax: true,
      }),
      { ...manifestBase, id: 'four', input, output },
      'four',
    );
    await expectRegistration(
      fourClasses,
      /the model gives 4 values per image; the icdr-classes mapping needs 5/,
    );
    const duplicate = writeModel(
      directory,
      model,
      { ...manifestBase, id: 'fundus-quality', input, output },
      'duplicate',
    );
    await assert.rejects(
      loadRegistry(undefined, [{ manifest: duplicate }]),
      /'fundus-quality' is already registered/,
    );
    assert.equal(sha256(model).length, 64);
  });

  it('reads a YAML manifest; a model declared as probabilities that gives logits fails the run', async () => {
    const model = channelMeanModel({
      layout: 'NCHW',
      width: 2,
      height: 2,
      ...gradeByChannel0,
      softmax: false,
    });
    writeFileSync(join(directory, 'yaml-model.onnx'), model);
    const yamlPath = join(directory, 'yaml-model.yaml');
    writeFileSync(
      yamlPath,
      [
        'id: yaml-model',
        'version: 1.0.0',
        'displayName: YAML model',
        'intendedUse: Testing a YAML manifest.',
        'useCase: dr-screening',
        'model: { file: yaml-model.onnx, sha256: ' + sha256(model) + ' }',
        'input: { name: x, width: 2, height: 2, resize: area, colourOrder: RGB, layout: NCHW, scale: 0.00392156862745098 }',
        'output: { name: probs, mapping: icdr-classes, logits: false }',
      ].join('\n'),
    );
    const analyzer = await loadOnnxAnalyzer(yamlPath);
    assert.equal(analyzer.manifest.id, 'yaml-model');
    assert.equal(analyzer.manifest.modelHash, sha256(model));
    assert.deepEqual(analyzer.manifest.useCases, ['dr-screening']);
    const frames = new Map([['5.1', rgbFrame(2, 2, () => [255, 0, 0])]]);
    await assert.rejects(
      analyzer.analyze(makeCase(['5.1'], []), helpersFor(frames, directory)),
      /is not a probability distribution/,
    );
  });

  it('is configured under analyzers.onnx, each entry validated with its path', () => {
    const ok = validateConfig({ analyzers: { onnx: [{ manifest: '/models/acme-dr.json' }] } });
    assert.deepEqual(ok.issues, []);
    assert.deepEqual(ok.config?.analyzers.onnx, [{ manifest: '/models/acme-dr.json' }]);
    assert.deepEqual(validateConfig({}).config?.analyzers.onnx, []);
    const bad = validateConfig({ analyzers: { onnx: [{ manifest: '' }, { model: 'x.onnx' }] } });
    const paths = bad.issues.map((issue) => issue.path);
    assert.ok(paths.includes('analyzers.onnx.0.manifest'), paths.join(', '));
    assert.ok(paths.includes('analyzers.onnx.1.model'), paths.join(', '));
  });

  describe('on synthetic fundus photographs', () => {
    let studyDirectory: string;
    let applicable: AnalysisCase;
    let manifestPath: string;
    before(async () => {
      studyDirectory = mkdtempSync(join(tmpdir(), 'fovea-onnx-study-'));
      const study = await generatePatientStudy({
        seed: 606,
        eyes: ['R', 'L'],
        content: { fundus: true },
        fundusSize: { width: 320, height: 320 },
      });
      const files = (await writeObjects(studyDirectory, study.objects)).filter((file) =>
        file.endsWith('.dcm'),
      );
      applicable = {
        ...assembleCase(study.study.studyInstanceUid, 'test', await readInstanceFiles(files), new Date(0)),
        priors: [],
      };
      manifestPath = writeModel(
        studyDirectory,
        channelMeanModel({ layout: 'NCHW', width: 64, height: 64, ...gradeByChannel0, softmax: true }),
        {
          ...manifestBase,
          id: 'site-dr-model',
          input: {
            name: 'x',
            width: 64,
            height: 64,
            resize: 'area',
            colourOrder: 'RGB',
            layout: 'NCHW',
            scale: 1 / 255,
            fieldOfViewCrop: { threshold: 0.04 },
          },
          output: { name: 'probs', mapping: 'icdr-classes' },
        },
        'site-dr-model',
      );
    });
    after(() => {
      rmSync(studyDirectory, { recursive: true, force: true });
    });

    it('passes the shared contract suite', async () => {
      const analyzer = await loadOnnxAnalyzer(manifestPath);
      const problems = await checkAnalyzerContract(analyzer, {
        applicable,
        notApplicable: makeCase([], []),
        pixels: spoolPixelAccess('/'),
        tempDir: studyDirectory,
      });
      assert.deepEqual(problems, []);
    });

    it('runs in the worker pool from a configured manifest, with the same findings as in this thread', async () => {
      const started = performance.now();
      const pool = await AnalyzerPool.start({
        spoolRoot: '/',
        logger: silentLogger,
        size: 1,
        onnxModels: [{ manifest: manifestPath }],
      });
      try {
        assert.ok(pool.manifests.some((manifest) => manifest.id === 'site-dr-model'));
        const outcome = await pool.run('site-dr-model', applicable);
        assert.ok('output' in outcome);
        assert.deepEqual(outcome.output.findings.map((entry) => entry.eye).sort(), ['L', 'R']);
        const inThread = await (
          await loadOnnxAnalyzer(manifestPath)
        ).analyze(applicable, {
          logger: silentLogger,
          signal: new AbortController().signal,
          pixels: spoolPixelAccess('/'),
          tempDir: studyDirectory,
        });
        assert.deepEqual(
          JSON.parse(JSON.stringify(outcome.output.findings)),
          JSON.parse(JSON.stringify(inThread.findings)),
        );
      } finally {
        await pool.close();
      }
      assert.ok(performance.now() - started < 60_000);
    });
  });
});
