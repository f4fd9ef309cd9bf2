/**
 * The ONNX model manifest: a JSON or YAML file beside the `.onnx` file that says what the model is for, which
 * inputs it accepts, how to turn a photograph into its input tensor and how to read its output. It is
 * validated strictly (unknown keys are errors) and every problem is reported with its path.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FoveaError } from '../sdk/index.ts';

/** How the photograph is resized to the model's input size. */
export type ResizeMethod = 'nearest' | 'bilinear' | 'area';

/** The order of the colour channels in the input tensor. */
export type ColourOrder = 'RGB' | 'BGR';

/** The tensor layout: channels first (`NCHW`) or last (`NHWC`). */
export type TensorLayout = 'NCHW' | 'NHWC';

/** How the image becomes the input tensor. */
export interface OnnxInputSpec {
  /** Name of the model's input tensor. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly resize: ResizeMethod;
  readonly colourOrder: ColourOrder;
  readonly layout: TensorLayout;
  /** Multiplies the 0–255 sample value (e.g. 1/255) before the mean and std are applied. */
  readonly scale: number;
  /** Per tensor channel (in `colourOrder`), subtracted after scaling. */
  readonly mean: readonly [number, number, number];
  /** Per tensor channel (in `colourOrder`), divides after the mean is subtracted. */
  readonly std: readonly [number, number, number];
  /**
   * Crop to the bounding box of the camera's field of view first: pixels whose brightest channel exceeds
   * `threshold` × full scale.
   */
  readonly fieldOfViewCrop?: { readonly threshold: number };
}

/** Five ICDR classes (levels 0–4), as probabilities or logits. */
export interface IcdrClassesOutput {
  readonly name: string;
  readonly mapping: 'icdr-classes';
  /** The output is logits: softmax is applied. */
  readonly logits: boolean;
}

/** One probability of referable DR (a sigmoid is applied when `logits`). */
export interface ReferableProbabilityOutput {
  readonly name: string;
  readonly mapping: 'referable-probability';
  readonly logits: boolean;
  /** Which element of the output holds the value (default 0, e.g. 1 for a two-class softmax). */
  readonly index: number;
}

/** How the model's output is read. */
export type OnnxOutputSpec = IcdrClassesOutput | ReferableProbabilityOutput;

/** When a result suggests which worklist bucket. */
export interface OnnxTriageSpec {
  /** ICDR level at or above which the eye is referable (default 2, moderate NPDR: ICO referable DR). */
  readonly referableMinGrade: number;
  /** ICDR level at or above which the eye is `stat` (default 4, proliferative DR). */
  readonly statMinGrade: number;
  /**
   * Referable also when P(level ≥ referableMinGrade) reaches this, whatever the most likely level (a
   * sensitivity-first operating point); for `referable-probability`, the decision threshold (required).
   */
  readonly referableProbability?: number;
  /** Highest ICDR level that may be released (default 0: only "no apparent retinopathy"). */
  readonly releaseMaxGrade: number;
  /** Minimum confidence for `review-and-release` (default 0: the site's threshold applies downstream). */
  readonly releaseMinConfidence: number;
}

/** A validated ONNX model manifest. */
export interface OnnxModelManifest {
  readonly id: string;
  readonly version: string;
  readonly displayName: string;
  readonly intendedUse: string;
  /** The use case its findings serve (e.g. `dr-screening`). */
  readonly useCase: string;
  readonly inputs: { readonly sopClassUids: readonly string[]; readonly modalities?: readonly string[] };
  /** The model file (absolute after reading; relative paths are relative to the manifest). */
  readonly model: { readonly file: string; readonly sha256: string };
  readonly input: OnnxInputSpec;
  readonly output: OnnxOutputSpec;
  readonly triage: OnnxTriageSpec;
  readonly timeoutMs: number;
  readonly reviewRequired: boolean;
  /** Intra-op threads of the session (default 1: the pool's workers already use the cores). */
  readonly threads: number;
}

/** SOP Class UID of Ophthalmic Photography 8 Bit Image Storage, the default accepted input. */
const ophthalmicPhotography8Bit = '1.2.840.10008.5.1.4.1.1.77.1.5.1';

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads typed fields of one object, recording every problem with its path. */
class FieldReader {
  readonly #object: Plain;
  readonly #path: string;
  readonly #problems: string[];
  readonly #known: Set<string>;

  constructor(object: Plain, path: string, problems: string[], known: readonly string[]) {
    this.#object = object;
    this.#path = path;
    this.#problems = problems;
    this.#known = new Set(known);
    for (const key of Object.keys(object)) {
      if (!this.#known.has(key)) {
        problems.push(`${this.at(key)}: is not a known key`);
      }
    }
  }

  at(key: string): string {
    return this.#path === '' ? key : `${this.#path}.${key}`;
  }

  problem(key: string, message: string): void {
    this.#problems.push(`${this.at(key)}: ${message}`);
  }

  has(key: string): boolean {
    return this.#object[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.#object[key];
  }

  string(key: string, pattern?: RegExp, hint?: string): string {
    const value = this.#object[key];
    if (typeof value !== 'string' || value.trim() === '') {
      this.problem(key, 'a non-empty string is required');
      return '';
    }
    if (pattern !== undefined && !pattern.test(value)) {
      this.problem(key, `'${value}' is not ${hint ?? `of the form ${String(pattern)}`}`);
    }
    return value;
  }

  oneOf<T extends string>(key: string, values: readonly T[], fallback?: T): T {
    const value = this.#object[key];
    if (value === undefined && fallback !== undefined) {
      return fallback;
    }
    if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) {
      this.problem(key, `must be one of ${values.join(', ')}`);
      return values[0]!;
    }
    return value as T;
  }

  number(
    key: string,
    options: { min?: number; max?: number; integer?: boolean; exclusiveMin?: number; fallback?: number },
  ): number {
    const value = this.#object[key];
    if (value === undefined && options.fallback !== undefined) {
      return options.fallback;
    }
    const bounds = [
      options.integer === true ? 'an integer' : 'a number',
      options.min === undefined ? '' : ` ≥ ${options.min}`,
      options.exclusiveMin === undefined ? '' : ` > ${options.exclusiveMin}`,
      options.max === undefined ? '' : ` ≤ ${options.max}`,
    ].join('');
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (options.integer === true && !Number.isInteger(value)) ||
      (options.min !== undefined && value < options.min) ||
      (options.exclusiveMin !== undefined && value <= options.exclusiveMin) ||
      (options.max !== undefined && value > options.max)
    ) {
      this.problem(key, `must be ${bounds}`);
      return options.fallback ?? options.min ?? 0;
    }
    return value;
  }

  boolean(key: string, fallback?: boolean): boolean {
    const value = this.#object[key];
    if (value === undefined && fallback !== undefined) {
      return fallback;
    }
    if (typeof value !== 'boolean') {
      this.problem(key, 'must be true or false');
      return fallback ?? false;
    }
    return value;
  }

  strings(key: string, required: boolean): string[] | undefined {
    const value = this.#object[key];
    if (value === undefined && !required) {
      return undefined;
    }
    if (
      !Array.isArray(value) ||
      value.length === 0 ||
      value.some((entry) => typeof entry !== 'string' || entry === '')
    ) {
      this.problem(key, 'a non-empty list of non-empty strings is required');
      return [];
    }
    return value as string[];
  }

  triple(key: string, positive: boolean): [number, number, number] {
    const value = this.#object[key];
    if (
      !Array.isArray(value) ||
      value.length !== 3 ||
      value.some((entry) => typeof entry !== 'number' || !Number.isFinite(entry) || (positive && entry <= 0))
    ) {
      this.problem(key, `three ${positive ? 'positive ' : ''}numbers are required (one per channel)`);
      return positive ? [1, 1, 1] : [0, 0, 0];
    }
    return value as [number, number, number];
  }

  object(key: string, required: boolean): Plain | undefined {
    const value = this.#object[key];
    if (value === undefined && !required) {
      return undefined;
    }
    if (!isPlain(value)) {
      this.problem(key, 'an object is required');
      return undefined;
    }
    return value;
  }
}

const idPattern = /^[a-z][a-z0-9-]*$/;
const versionPattern = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

function readInput(value: Plain, path: string, problems: string[]): OnnxInputSpec {
  const reader = new FieldReader(value, path, problems, [
    'name',
    'width',
    'height',
    'resize',
    'colourOrder',
    'layout',
    'scale',
    'mean',
    'std',
    'fieldOfViewCrop',
  ]);
  const crop = reader.object('fieldOfViewCrop', false);
  let fieldOfViewCrop: { threshold: number } | undefined;
  if (crop !== undefined) {
    const cropReader = new FieldReader(crop, reader.at('fieldOfViewCrop'), problems, ['threshold']);
    fieldOfViewCrop = { threshold: cropReader.number('threshold', { min: 0, max: 1, fallback: 0.04 }) };
  }
  return {
    name: reader.string('name'),
    width: reader.number('width', { integer: true, min: 1, max: 8192 }),
    height: reader.number('height', { integer: true, min: 1, max: 8192 }),
    resize: reader.oneOf<ResizeMethod>('resize', ['bilinear', 'area', 'nearest']),
    colourOrder: reader.oneOf<ColourOrder>('colourOrder', ['RGB', 'BGR']),
    layout: reader.oneOf<TensorLayout>('layout', ['NCHW', 'NHWC']),
    scale: reader.number('scale', { exclusiveMin: 0, fallback: 1 }),
    mean: reader.has('mean') ? reader.triple('mean', false) : [0, 0, 0],
    std: reader.has('std') ? reader.triple('std', true) : [1, 1, 1],
    ...(fieldOfViewCrop === undefined ? {} : { fieldOfViewCrop }),
  };
}

function readOutput(value: Plain, path: string, problems: string[]): OnnxOutputSpec {
  const reader = new FieldReader(value, path, problems, ['name', 'mapping', 'logits', 'index']);
  const name = reader.string('name');
  const kind = reader.oneOf('mapping', ['icdr-classes', 'referable-probability'] as const);
  const logits = reader.boolean('logits', false);
  if (kind === 'icdr-classes') {
    if (reader.has('index')) {
      reader.problem('index', 'applies only to the referable-probability mapping');
    }
    return { name, mapping: kind, logits };
  }
  return {
    name,
    mapping: kind,
    logits,
    index: reader.number('index', { integer: true, min: 0, fallback: 0 }),
  };
}

function readTriage(
  value: Plain | undefined,
  path: string,
  problems: string[],
  mapping: OnnxOutputSpec['mapping'],
): OnnxTriageSpec {
  const reader = new FieldReader(value ?? {}, path, problems, [
    'referableMinGrade',
    'statMinGrade',
    'referableProbability',
    'releaseMaxGrade',
    'releaseMinConfidence',
  ]);
  if (mapping === 'referable-probability') {
    for (const key of ['referableMinGrade', 'statMinGrade', 'releaseMaxGrade']) {
      if (reader.has(key)) {
        reader.problem(key, 'applies only to the icdr-classes mapping');
      }
    }
    if (!reader.has('referableProbability')) {
      reader.problem(
        'referableProbability',
        'the referable-probability mapping needs its decision threshold',
      );
    }
  }
  const triage: OnnxTriageSpec = {
    referableMinGrade: reader.number('referableMinGrade', { integer: true, min: 1, max: 4, fallback: 2 }),
    statMinGrade: reader.number('statMinGrade', { integer: true, min: 1, max: 4, fallback: 4 }),
    releaseMaxGrade: reader.number('releaseMaxGrade', { integer: true, min: 0, max: 3, fallback: 0 }),
    releaseMinConfidence: reader.number('releaseMinConfidence', { min: 0, max: 1, fallback: 0 }),
    ...(reader.has('referableProbability')
      ? { referableProbability: reader.number('referableProbability', { exclusiveMin: 0, max: 1 }) }
      : {}),
  };
  if (triage.statMinGrade < triage.referableMinGrade) {
    reader.problem('statMinGrade', 'must be at least referableMinGrade');
  }
  if (triage.releaseMaxGrade >= triage.referableMinGrade) {
    reader.problem('releaseMaxGrade', 'must be below referableMinGrade (a referable eye is never released)');
  }
  return triage;
}

/**
 * Validates a parsed manifest. `baseDirectory` resolves a relative model file. Returns the manifest and
 * every problem as `path: message`; the manifest is usable only when there are no problems.
 */
export function parseOnnxManifest(
  value: unknown,
  baseDirectory: string,
): { readonly manifest: OnnxModelManifest; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const top = isPlain(value) ? value : {};
  if (!isPlain(value)) {
    problems.push('(root): the manifest must be an object');
  }
  const reader = new FieldReader(top, '', problems, [
    'id',
    'version',
    'displayName',
    'intendedUse',
    'useCase',
    'inputs',
    'model',
    'input',
    'output',
    'triage',
    'timeoutMs',
    'reviewRequired',
    'threads',
  ]);
  const inputsValue = reader.object('inputs', false);
  let inputs: OnnxModelManifest['inputs'] = { sopClassUids: [ophthalmicPhotography8Bit], modalities: ['OP'] };
  if (inputsValue !== undefined) {
    const inputsReader = new FieldReader(inputsValue, 'inputs', problems, ['sopClassUids', 'modalities']);
    const sopClassUids = inputsReader.strings('sopClassUids', true) ?? [];
    const modalities = inputsReader.strings('modalities', false);
    sopClassUids.forEach((uid, index) => {
      if (!/^[0-2](\.(0|[1-9]\d*))+$/.test(uid)) {
        problems.push(`inputs.sopClassUids.${index}: '${uid}' is not a UID`);
      }
    });
    inputs = { sopClassUids, ...(modalities === undefined ? {} : { modalities }) };
  }
  const modelValue = reader.object('model', true) ?? {};
  const modelReader = new FieldReader(modelValue, 'model', problems, ['file', 'sha256']);
  const file = modelReader.string('file');
  const sha256 = modelReader
    .string('sha256', /^[0-9a-fA-F]{64}$/, 'a SHA-256 in hex (64 digits)')
    .toLowerCase();
  const output = readOutput(reader.object('output', true) ?? {}, 'output', problems);
  const manifest: OnnxModelManifest = {
    id: reader.string('id', idPattern, 'a lower-case kebab id'),
    version: reader.string('version', versionPattern, 'a semantic version'),
    displayName: reader.string('displayName'),
    intendedUse: reader.string('intendedUse'),
    useCase: reader.string('useCase', /^[a-z0-9][a-z0-9-]*$/, 'a use-case id'),
    inputs,
    model: { file: file === '' || isAbsolute(file) ? file : resolve(baseDirectory, file), sha256 },
    input: readInput(reader.object('input', true) ?? {}, 'input', problems),
    output,
    triage: readTriage(reader.object('triage', false), 'triage', problems, output.mapping),
    timeoutMs: reader.number('timeoutMs', { integer: true, min: 100, max: 3_600_000, fallback: 60_000 }),
    reviewRequired: reader.boolean('reviewRequired', true),
    threads: reader.number('threads', { integer: true, min: 1, max: 64, fallback: 1 }),
  };
  return { manifest, problems };
}

/**
 * Reads and validates a manifest file (`.json`, else YAML). Throws FOVEA_ANALYZER_REGISTRATION with
 * `configPath` and every problem when it cannot be read or is invalid.
 */
export async function readOnnxManifest(manifestPath: string, configPath: string): Promise<OnnxModelManifest> {
  const fail = (detail: string, cause?: unknown): FoveaError =>
    new FoveaError('FOVEA_ANALYZER_REGISTRATION', {
      detail: `ONNX model manifest ${manifestPath}: ${detail}`,
      path: configPath,
      cause,
    });
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    throw fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, error);
  }
  let parsed: unknown;
  try {
    parsed = extname(manifestPath) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw fail(`is not valid ${extname(manifestPath) === '.json' ? 'JSON' : 'YAML'}`, error);
  }
  const { manifest, problems } = parseOnnxManifest(parsed, dirname(resolve(manifestPath)));
  if (problems.length > 0) {
    throw fail(problems.join('; '));
  }
  return manifest;
}
