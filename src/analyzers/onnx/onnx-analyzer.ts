/**
 * A manifest-driven ONNX analyzer: loads a site's model (its SHA-256 verified against the manifest), runs it
 * with onnxruntime-node on the CPU, and turns each eye's colour fundus photographs into a classification
 * finding with a triage suggestion. The session is created once when the analyzer is loaded and reused for
 * every run in that thread.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { isDecodeFailure } from '../../imaging/index.ts';
import {
  FoveaError,
  throwIfAborted,
  type AnalysisCase,
  type Analyzer,
  type AnalyzerHelpers,
  type AnalyzerManifest,
  type AnalyzerOutput,
  type Applicability,
  type CaseInstance,
  type Eye,
  type FindingDraft,
} from '../sdk/index.ts';
import { readOnnxManifest, type OnnxModelManifest } from './model-manifest.ts';
import {
  drSeverityConcept,
  icdrLevels,
  isReferable,
  readOutput,
  referableDrConcept,
  severityKey,
  triageSuggestion,
  yesNo,
  type ImageResult,
} from './output-mapping.ts';
import { preprocessFrame, tensorShape, type PixelBox } from './preprocess.ts';

/** One photograph the model was run on. */
interface ScoredImage {
  readonly instance: CaseInstance;
  readonly eye: Eye;
  readonly result: ImageResult;
  readonly rows: number;
  readonly columns: number;
  readonly box: PixelBox;
  readonly durationMs: number;
}

/** A photograph the model was not run on, and why. */
interface SkippedImage {
  readonly sopInstanceUid: string;
  readonly eye: Eye;
  readonly reason: string;
}

/** The analyzer manifest an ONNX model manifest declares. */
export function analyzerManifestOf(model: OnnxModelManifest): AnalyzerManifest {
  return {
    id: model.id,
    version: model.version,
    displayName: model.displayName,
    intendedUse: model.intendedUse,
    useCases: [model.useCase],
    inputs: model.inputs,
    outputs: ['classification'],
    timeoutMs: model.timeoutMs,
    reviewRequired: model.reviewRequired,
    modelHash: model.model.sha256,
  };
}

function sameShape(declared: readonly (number | string)[] | undefined, expected: readonly number[]): boolean {
  return (
    declared === undefined ||
    (declared.length === expected.length &&
      declared.every(
        (dimension, index) => typeof dimension !== 'number' || dimension < 0 || dimension === expected[index],
      ))
  );
}

/** Checks that the session has the declared input and output, with a compatible input shape. */
function checkSession(session: InferenceSession, model: OnnxModelManifest): string[] {
  const problems: string[] = [];
  if (!session.inputNames.includes(model.input.name)) {
    problems.push(
      `input.name: the model has no input '${model.input.name}' (it has ${session.inputNames.join(', ')})`,
    );
  }
  if (!session.outputNames.includes(model.output.name)) {
    problems.push(
      `output.name: the model has no output '${model.output.name}' (it has ${session.outputNames.join(', ')})`,
    );
  }
  const metadata = session.inputMetadata.find((entry) => entry.name === model.input.name);
  if (metadata?.isTensor === true) {
    const expected = tensorShape(model.input);
    if (!sameShape(metadata.shape, expected)) {
      problems.push(
        `input: the model's input shape [${metadata.shape.join(', ')}] does not fit ${model.input.layout} ${model.input.width}×${model.input.height} ([${expected.join(', ')}])`,
      );
    }
    if (metadata.type !== 'float32') {
      problems.push(`input: the model's input is ${metadata.type}; only float32 inputs are supported`);
    }
  }
  const output = session.outputMetadata.find((entry) => entry.name === model.output.name);
  const perImage = output?.isTensor === true ? output.shape.slice(1) : undefined;
  if (perImage?.every((dimension) => typeof dimension === 'number' && dimension >= 0) === true) {
    // Only when every dimension but the batch is fixed: symbolic ones are checked at run time.
    const values = (perImage as number[]).reduce((product, dimension) => product * dimension, 1);
    if (model.output.mapping === 'icdr-classes' && values !== 5) {
      problems.push(`output: the model gives ${values} values per image; the icdr-classes mapping needs 5`);
    }
    if (model.output.mapping === 'referable-probability' && values <= model.output.index) {
      problems.push(
        `output.index: the model gives ${values} values per image; index ${model.output.index} is missing`,
      );
    }
  }
  return problems;
}

function isAccepted(model: OnnxModelManifest, instance: CaseInstance): boolean {
  return (
    model.inputs.sopClassUids.includes(instance.sopClassUid) &&
    (model.inputs.modalities === undefined ||
      instance.modality === undefined ||
      model.inputs.modalities.includes(instance.modality))
  );
}

/** The eye's finding: its worst image decides (see the README for why). */
function eyeFinding(model: OnnxModelManifest, eye: Eye, images: readonly ScoredImage[]): FindingDraft {
  const worst = images.reduce((current, candidate) => {
    const a = severityKey(candidate.result, model.triage);
    const b = severityKey(current.result, model.triage);
    const index = a.findIndex((value, position) => value !== b[position]);
    return index >= 0 && a[index]! > b[index]! ? candidate : current;
  });
  const result = worst.result;
  const sources = [worst, ...images.filter((image) => image !== worst)].map(
    (image) => image.instance.sopInstanceUid,
  );
  const triage = triageSuggestion(result, model.triage);
  if (result.mapping === 'icdr-classes') {
    return {
      eye,
      useCase: model.useCase,
      key: 'icdr-grade',
      value: {
        kind: 'classification',
        concept: drSeverityConcept(eye),
        value: icdrLevels[result.grade]!.loinc,
        confidence: result.confidence,
      },
      sourceSopInstanceUids: sources,
      triage,
    };
  }
  const referable = isReferable(result, model.triage);
  return {
    eye,
    useCase: model.useCase,
    key: 'referable-dr',
    value: {
      kind: 'classification',
      concept: referableDrConcept,
      value: referable ? yesNo.yes : yesNo.no,
      confidence: referable ? result.referableProbability : 1 - result.referableProbability,
    },
    sourceSopInstanceUids: sources,
    triage,
  };
}

function rawImage(image: ScoredImage, decides: boolean): unknown {
  const { result } = image;
  return {
    sopInstanceUid: image.instance.sopInstanceUid,
    eye: image.eye,
    frame: 0,
    rows: image.rows,
    columns: image.columns,
    crop: image.box,
    ...(result.mapping === 'icdr-classes'
      ? {
          probabilities: result.probabilities,
          grade: result.grade,
          confidence: result.confidence,
          referableProbability: result.referableProbability,
        }
      : { referableProbability: result.referableProbability }),
    decidesEye: decides,
    durationMs: Math.round(image.durationMs * 100) / 100,
  };
}

/** Builds the analyzer around a verified model manifest and its open session. */
export function createOnnxAnalyzer(model: OnnxModelManifest, session: InferenceSession): Analyzer {
  const manifest = analyzerManifestOf(model);
  const shape = tensorShape(model.input);

  const photographsByEye = (analysisCase: AnalysisCase): { eye: Eye; instances: CaseInstance[] }[] =>
    analysisCase.eyes
      .map((caseEye) => ({
        eye: caseEye.eye,
        instances: caseEye.instances.filter((instance) => isAccepted(model, instance)),
      }))
      .filter((entry) => entry.instances.length > 0);

  const isApplicable = (analysisCase: AnalysisCase): Applicability => {
    const byEye = photographsByEye(analysisCase);
    if (byEye.length === 0) {
      const withoutEye = [...analysisCase.bothEyes, ...analysisCase.unknownEye].filter((instance) =>
        isAccepted(model, instance),
      ).length;
      return {
        applicable: false,
        reason:
          withoutEye > 0
            ? `${withoutEye} accepted image(s) but none with a known eye (R or L)`
            : `no image of an accepted SOP class (${model.inputs.sopClassUids.join(', ')})`,
      };
    }
    return {
      applicable: true,
      reason: `accepted images with a known eye: ${byEye.map((entry) => `${entry.eye} ${entry.instances.length}`).join(', ')}`,
    };
  };

  const scoreImage = async (
    instance: CaseInstance,
    eye: Eye,
    helpers: AnalyzerHelpers,
  ): Promise<ScoredImage | SkippedImage> => {
    const started = performance.now();
    let frame;
    try {
      frame = await helpers.pixels.frame(instance, 0);
    } catch (error) {
      if (isDecodeFailure(error)) {
        return { sopInstanceUid: instance.sopInstanceUid, eye, reason: 'unreadable' };
      }
      throw error;
    }
    throwIfAborted(helpers.signal);
    if (frame.samplesPerPixel !== 3) {
      return { sopInstanceUid: instance.sopInstanceUid, eye, reason: 'not a colour image' };
    }
    const { data, box } = preprocessFrame(frame, model.input);
    throwIfAborted(helpers.signal);
    const outputs = await session.run({ [model.input.name]: new Tensor('float32', data, shape) }, [
      model.output.name,
    ]);
    throwIfAborted(helpers.signal);
    const values = outputs[model.output.name]!.data;
    if (typeof values[0] !== 'number') {
      throw new Error(`output ${model.output.name} is not numeric`);
    }
    return {
      instance,
      eye,
      result: readOutput(values as ArrayLike<number>, model.output, model.triage),
      rows: frame.rows,
      columns: frame.columns,
      box,
      durationMs: performance.now() - started,
    };
  };

  const analyze = async (analysisCase: AnalysisCase, helpers: AnalyzerHelpers): Promise<AnalyzerOutput> => {
    throwIfAborted(helpers.signal);
    const findings: FindingDraft[] = [];
    const images: unknown[] = [];
    const skipped: SkippedImage[] = [];
    for (const { eye, instances } of photographsByEye(analysisCase)) {
      const scored: ScoredImage[] = [];
      for (const instance of instances) {
        throwIfAborted(helpers.signal);
        const outcome = await scoreImage(instance, eye, helpers);
        if ('result' in outcome) {
          scored.push(outcome);
        } else {
          skipped.push(outcome);
        }
      }
      if (scored.length > 0) {
        const finding = eyeFinding(model, eye, scored);
        findings.push(finding);
        images.push(
          ...scored.map((image) =>
            rawImage(image, image.instance.sopInstanceUid === finding.sourceSopInstanceUids[0]),
          ),
        );
      }
    }
    return {
      findings,
      raw: {
        analyzer: `${manifest.id}@${manifest.version}`,
        modelHash: manifest.modelHash,
        modelFile: basename(model.model.file),
        input: model.input,
        output: model.output,
        triage: model.triage,
        images,
        skipped,
        notAssignedToAnEye: [...analysisCase.bothEyes, ...analysisCase.unknownEye]
          .filter((instance) => isAccepted(model, instance))
          .map((instance) => instance.sopInstanceUid),
      },
    };
  };

  return { manifest, isApplicable, analyze };
}

/**
 * Reads a model manifest, verifies the model file's SHA-256, opens an onnxruntime-node CPU session and checks
 * the declared input and output against the model. Every failure is FOVEA_ANALYZER_REGISTRATION with
 * `configPath` (the config key that named the manifest).
 */
export async function loadOnnxAnalyzer(
  manifestPath: string,
  configPath = 'analyzers.onnx',
): Promise<Analyzer> {
  const model = await readOnnxManifest(manifestPath, configPath);
  const fail = (detail: string, cause?: unknown): FoveaError =>
    new FoveaError('FOVEA_ANALYZER_REGISTRATION', {
      detail: `ONNX model ${model.id} (${manifestPath}): ${detail}`,
      path: configPath,
      cause,
    });
  let bytes: Buffer;
  try {
    bytes = await readFile(model.model.file);
  } catch (error) {
    throw fail(
      `model.file ${model.model.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      error,
    );
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== model.model.sha256) {
    throw fail(`model.sha256: the file's SHA-256 is ${actual}, the manifest says ${model.model.sha256}`);
  }
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: model.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw fail(
      `onnxruntime cannot load the model: ${error instanceof Error ? error.message.slice(0, 300) : 'unknown error'}`,
      error,
    );
  }
  const problems = checkSession(session, model);
  if (problems.length > 0) {
    await session.release();
    throw fail(problems.join('; '));
  }
  return createOnnxAnalyzer(model, session);
}
