/**
 * What an analyzer declares about itself. The registry validates it at boot; a bad manifest stops boot.
 */

/** The kinds of output an analyzer may produce. */
export type AnalyzerOutputKind = 'quality' | 'classification' | 'measurement' | 'region';

/** An analyzer's manifest. */
export interface AnalyzerManifest {
  /** Lower-case kebab id, stable across versions (e.g. `fundus-quality`). */
  readonly id: string;
  /** Semantic version; `id@version` names every finding's provenance. */
  readonly version: string;
  readonly displayName: string;
  /** The intended use, as a regulatory-style sentence. */
  readonly intendedUse: string;
  /** The use cases it serves (`image-quality`, `dr-screening`, …). */
  readonly useCases: readonly string[];
  /** Accepted inputs: SOP Class UIDs (and optionally modalities). */
  readonly inputs: { readonly sopClassUids: readonly string[]; readonly modalities?: readonly string[] };
  readonly outputs: readonly AnalyzerOutputKind[];
  /** The work is aborted after this long. */
  readonly timeoutMs: number;
  /** Whether a clinician must review the findings before they become final (true for every clinical output). */
  readonly reviewRequired: boolean;
  /** Whether the Case must include the eye's earlier studies of the same modality. */
  readonly needsPriors?: boolean;
  /** SHA-256 (hex) of the model weights, or of the parameters of a classical algorithm. */
  readonly modelHash: string;
}

const idPattern = /^[a-z][a-z0-9-]*$/;
const versionPattern = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const outputKinds = new Set<string>(['quality', 'classification', 'measurement', 'region']);

/** Every problem with a manifest, as `path: message` lines; empty when it is valid. */
export function validateManifest(manifest: AnalyzerManifest): string[] {
  const problems: string[] = [];
  if (!idPattern.test(manifest.id)) {
    problems.push(`id: '${manifest.id}' is not a lower-case kebab id`);
  }
  if (!versionPattern.test(manifest.version)) {
    problems.push(`version: '${manifest.version}' is not a semantic version`);
  }
  if (manifest.displayName.trim() === '') {
    problems.push('displayName: empty');
  }
  if (manifest.intendedUse.trim() === '') {
    problems.push('intendedUse: empty');
  }
  if (manifest.useCases.length === 0) {
    problems.push('useCases: at least one use case is needed');
  }
  if (manifest.inputs.sopClassUids.length === 0) {
    problems.push('inputs.sopClassUids: at least one SOP class is needed');
  }
  if (manifest.outputs.length === 0 || manifest.outputs.some((kind) => !outputKinds.has(kind))) {
    problems.push('outputs: one or more of quality, classification, measurement, region');
  }
  if (!Number.isInteger(manifest.timeoutMs) || manifest.timeoutMs < 100 || manifest.timeoutMs > 3_600_000) {
    problems.push('timeoutMs: an integer from 100 to 3600000');
  }
  if (!/^[0-9a-f]{64}$/.test(manifest.modelHash)) {
    problems.push('modelHash: a SHA-256 in lower-case hex');
  }
  return problems;
}
