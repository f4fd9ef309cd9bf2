/**
 * The explicit registry of built-in analyzers. Adding an analyzer means adding a line here; nothing is
 * discovered from the file system. `loadRegistry` imports each module and validates its manifest, then adds
 * one ONNX analyzer per configured model manifest (config `analyzers.onnx`): a registration error stops boot.
 */
import { FoveaError, validateManifest, type Analyzer } from './sdk/index.ts';

/** Where each built-in analyzer's module is (its `analyzer` export). */
export const builtInAnalyzers: Readonly<Record<string, URL>> = {
  'dr-screening': new URL('./dr-screening/index.ts', import.meta.url),
  'fundus-quality': new URL('./fundus-quality/index.ts', import.meta.url),
  'oct-macula': new URL('./oct-macula/index.ts', import.meta.url),
  'vf-progression': new URL('./vf-progression/index.ts', import.meta.url),
};

/** Imports one analyzer module and checks that it exports a valid analyzer with the registered id. */
export async function loadAnalyzer(id: string, moduleUrl: URL): Promise<Analyzer> {
  let loaded: { analyzer?: Analyzer };
  try {
    loaded = (await import(moduleUrl.href)) as { analyzer?: Analyzer };
  } catch (error) {
    throw new FoveaError('FOVEA_ANALYZER_REGISTRATION', {
      detail: `analyzer ${id}: its module could not be loaded`,
      path: `analyzers.${id}`,
      cause: error,
    });
  }
  const analyzer = loaded.analyzer;
  if (
    analyzer === undefined ||
    typeof analyzer.analyze !== 'function' ||
    typeof analyzer.isApplicable !== 'function'
  ) {
    throw new FoveaError('FOVEA_ANALYZER_REGISTRATION', {
      detail: `analyzer ${id}: the module has no 'analyzer' export with isApplicable and analyze`,
      path: `analyzers.${id}`,
    });
  }
  const problems = validateManifest(analyzer.manifest);
  if (analyzer.manifest.id !== id) {
    problems.push(`id: registered as '${id}' but the manifest says '${analyzer.manifest.id}'`);
  }
  if (problems.length > 0) {
    throw new FoveaError('FOVEA_ANALYZER_REGISTRATION', {
      detail: `analyzer ${id}: ${problems.join('; ')}`,
      path: `analyzers.${id}`,
    });
  }
  return analyzer;
}

/** One configured ONNX model: the path of its manifest (config `analyzers.onnx`). */
export interface OnnxModelEntry {
  readonly manifest: string;
}

/**
 * Loads every analyzer of `modules` (default: the built-ins), then one ONNX analyzer per entry of
 * `onnxModels` (its id from its manifest); throws on the first registration error, with its config path.
 */
export async function loadRegistry(
  modules: Readonly<Record<string, URL>> = builtInAnalyzers,
  onnxModels: readonly OnnxModelEntry[] = [],
): Promise<Map<string, Analyzer>> {
  const registry = new Map<string, Analyzer>();
  for (const [id, url] of Object.entries(modules)) {
    registry.set(id, await loadAnalyzer(id, url));
  }
  if (onnxModels.length > 0) {
    // Imported only when a model is configured: onnxruntime's native library is large.
    const { loadOnnxAnalyzer } = await import('./onnx/index.ts');
    for (const [index, entry] of onnxModels.entries()) {
      const path = `analyzers.onnx.${index}.manifest`;
      const analyzer = await loadOnnxAnalyzer(entry.manifest, path);
      const problems = validateManifest(analyzer.manifest);
      if (registry.has(analyzer.manifest.id)) {
        problems.push(`id: '${analyzer.manifest.id}' is already registered`);
      }
      if (problems.length > 0) {
        throw new FoveaError('FOVEA_ANALYZER_REGISTRATION', {
          detail: `ONNX model ${entry.manifest}: ${problems.join('; ')}`,
          path,
        });
      }
      registry.set(analyzer.manifest.id, analyzer);
    }
  }
  return registry;
}
