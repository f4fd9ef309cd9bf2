/**
 * Reading a model's output: ICDR classes (argmax, confidence = probability) or a referable probability, the
 * coded concepts of the resulting finding, and the triage suggestion the manifest's thresholds give.
 * @see https://loinc.org/LL2117-1 (answer list of LOINC 71491-5 / 71490-7)
 */
import type { CodedConcept, Eye, TriageSuggestion } from '../sdk/index.ts';
import type { OnnxOutputSpec, OnnxTriageSpec } from './model-manifest.ts';

/** One ICDR level with its LOINC answer (LL2117-1) and, from level 1, its SNOMED CT disorder. */
export interface IcdrLevel {
  readonly level: number;
  readonly name: string;
  /** The LOINC answer: covers level 0, for which SNOMED CT has no concept. */
  readonly loinc: CodedConcept;
  readonly snomed?: CodedConcept;
}

/** The five ICDR levels (Wilkinson 2003), standards-reference §B.1 and §B.5. */
export const icdrLevels: readonly IcdrLevel[] = [
  {
    level: 0,
    name: 'No apparent retinopathy',
    loinc: { value: 'LA18643-9', scheme: 'LN', meaning: 'No apparent retinopathy' },
  },
  {
    level: 1,
    name: 'Mild NPDR',
    loinc: { value: 'LA18644-7', scheme: 'LN', meaning: 'Mild non-proliferative retinopathy' },
    snomed: {
      value: '312903003',
      scheme: 'SCT',
      meaning: 'Mild nonproliferative retinopathy due to diabetes mellitus',
    },
  },
  {
    level: 2,
    name: 'Moderate NPDR',
    loinc: { value: 'LA18645-4', scheme: 'LN', meaning: 'Moderate non-proliferative retinopathy' },
    snomed: {
      value: '312904009',
      scheme: 'SCT',
      meaning: 'Moderate nonproliferative retinopathy due to diabetes mellitus',
    },
  },
  {
    level: 3,
    name: 'Severe NPDR',
    loinc: { value: 'LA18646-2', scheme: 'LN', meaning: 'Severe non-proliferative retinopathy' },
    snomed: {
      value: '312905005',
      scheme: 'SCT',
      meaning: 'Severe nonproliferative retinopathy due to diabetes mellitus',
    },
  },
  {
    level: 4,
    name: 'PDR',
    loinc: { value: 'LA18648-8', scheme: 'LN', meaning: 'Proliferative retinopathy' },
    snomed: {
      value: '59276001',
      scheme: 'SCT',
      meaning: 'Proliferative retinopathy due to diabetes mellitus',
    },
  },
];

/** LOINC "Diabetic retinopathy severity level" of one eye (71491-5 right, 71490-7 left). */
export function drSeverityConcept(eye: Eye): CodedConcept {
  return eye === 'R'
    ? { value: '71491-5', scheme: 'LN', meaning: 'Right eye Diabetic retinopathy severity level' }
    : { value: '71490-7', scheme: 'LN', meaning: 'Left eye Diabetic retinopathy severity level' };
}

/** What a referable-probability model states (no LOINC or SNOMED CT concept exists for it). */
export const referableDrConcept: CodedConcept = {
  value: 'referable-dr',
  scheme: '99FOVEA',
  meaning: 'Referable diabetic retinopathy (moderate NPDR or worse and/or DME)',
};

/** SNOMED CT Yes / No (as DICOM CID 230). */
export const yesNo: { readonly yes: CodedConcept; readonly no: CodedConcept } = {
  yes: { value: '373066001', scheme: 'SCT', meaning: 'Yes' },
  no: { value: '373067005', scheme: 'SCT', meaning: 'No' },
};

/** Softmax, shifted by the maximum so large logits do not overflow. */
export function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - max));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

/** The logistic sigmoid. */
export function sigmoid(value: number): number {
  return 1 / (1 + Math.exp(-value));
}

/** One image's result, read from the model output. */
export type ImageResult =
  | {
      readonly mapping: 'icdr-classes';
      /** Probabilities of ICDR levels 0–4. */
      readonly probabilities: readonly number[];
      /** The most likely level (the lowest on a tie). */
      readonly grade: number;
      readonly confidence: number;
      /** P(level ≥ referableMinGrade). */
      readonly referableProbability: number;
    }
  | { readonly mapping: 'referable-probability'; readonly referableProbability: number };

/** Reads one image's model output; throws when its size does not fit the mapping. */
export function readOutput(
  values: ArrayLike<number>,
  output: OnnxOutputSpec,
  triage: OnnxTriageSpec,
): ImageResult {
  const numbers = Array.from(values, Number);
  if (numbers.some((value) => !Number.isFinite(value))) {
    throw new Error(`output ${output.name} holds a non-finite value`);
  }
  if (output.mapping === 'icdr-classes') {
    if (numbers.length !== 5) {
      throw new Error(`output ${output.name} has ${numbers.length} values; the icdr-classes mapping needs 5`);
    }
    const probabilities = output.logits ? softmax(numbers) : numbers;
    const total = probabilities.reduce((sum, value) => sum + value, 0);
    if (!output.logits && (probabilities.some((value) => value < -1e-6) || Math.abs(total - 1) > 1e-3)) {
      throw new Error(
        `output ${output.name} is not a probability distribution (sum ${total.toFixed(4)}; set logits: true for logits)`,
      );
    }
    let grade = 0;
    probabilities.forEach((value, level) => {
      if (value > probabilities[grade]!) {
        grade = level;
      }
    });
    return {
      mapping: 'icdr-classes',
      probabilities,
      grade,
      confidence: clamp01(probabilities[grade]!),
      referableProbability: clamp01(
        probabilities.slice(triage.referableMinGrade).reduce((total, value) => total + value, 0),
      ),
    };
  }
  if (output.index >= numbers.length) {
    throw new Error(`output ${output.name} has ${numbers.length} values; index ${output.index} is missing`);
  }
  const value = numbers[output.index]!;
  const probability = output.logits ? sigmoid(value) : value;
  if (probability < -1e-6 || probability > 1 + 1e-6) {
    throw new Error(`output ${output.name} is not a probability (set logits: true for a logit)`);
  }
  return { mapping: 'referable-probability', referableProbability: clamp01(probability) };
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** Whether a result is referable under the manifest's thresholds. */
export function isReferable(result: ImageResult, triage: OnnxTriageSpec): boolean {
  if (result.mapping === 'icdr-classes') {
    return (
      result.grade >= triage.referableMinGrade ||
      (triage.referableProbability !== undefined &&
        result.referableProbability >= triage.referableProbability)
    );
  }
  return result.referableProbability >= (triage.referableProbability ?? 0.5);
}

/**
 * How bad a result is, for choosing the image that decides an eye: the referable decision, then the grade,
 * then the referable probability.
 */
export function severityKey(result: ImageResult, triage: OnnxTriageSpec): readonly number[] {
  return [
    isReferable(result, triage) ? 1 : 0,
    result.mapping === 'icdr-classes' ? result.grade : 0,
    result.referableProbability,
  ];
}

/** The triage suggestion for an eye whose deciding image gave `result`. */
export function triageSuggestion(result: ImageResult, triage: OnnxTriageSpec): TriageSuggestion {
  if (result.mapping === 'icdr-classes') {
    const level = icdrLevels[result.grade]!;
    if (result.grade >= triage.statMinGrade) {
      return {
        bucket: 'stat',
        reason: `model grade: ${level.name} (ICDR ${result.grade})`,
        confidence: result.confidence,
      };
    }
    if (isReferable(result, triage)) {
      return result.grade >= triage.referableMinGrade
        ? {
            bucket: 'referable',
            reason: `model grade: ${level.name} (ICDR ${result.grade})`,
            confidence: result.confidence,
          }
        : {
            bucket: 'referable',
            reason: `model: probability of referable DR ${result.referableProbability.toFixed(2)} reaches the threshold`,
            confidence: result.referableProbability,
          };
    }
    const releasable = result.grade <= triage.releaseMaxGrade;
    const confidence = result.confidence;
    if (releasable && confidence >= triage.releaseMinConfidence) {
      return {
        bucket: 'review-and-release',
        reason: `model grade: ${level.name} (ICDR ${result.grade})`,
        confidence,
      };
    }
    return {
      bucket: 'routine',
      reason: `model grade: ${level.name} (ICDR ${result.grade}), not referable`,
      confidence,
    };
  }
  const probability = result.referableProbability;
  if (isReferable(result, triage)) {
    return {
      bucket: 'referable',
      reason: `model: probability of referable DR ${probability.toFixed(2)} reaches the threshold`,
      confidence: probability,
    };
  }
  const confidence = 1 - probability;
  return confidence >= triage.releaseMinConfidence
    ? { bucket: 'review-and-release', reason: 'model: referable DR not found', confidence }
    : { bucket: 'routine', reason: 'model: referable DR not found, with low confidence', confidence };
}
