/**
 * The use case of a worklist reason. The worklist API names the analyzer behind each triage reason, not its use
 * case, so the station maps the built-in analyzers to the use cases they serve by default (their manifests'
 * `useCases`); a site's own analyzer is shown under its own id.
 */
const defaultUseCases: Readonly<Record<string, string>> = {
  'fundus-quality': 'image-quality',
  'dr-screening': 'dr-screening',
  'oct-macula': 'dme-quantification',
  'vf-progression': 'glaucoma-progression',
};

/** The use case an analyzer (`id` or `id@version`) serves. */
export function useCaseOf(analyzer: string): string {
  const id = analyzer.split('@')[0] ?? analyzer;
  return defaultUseCases[id] ?? id;
}

/** The use cases of the built-in analyzers, for the worklist's filter. */
export const builtInUseCases: readonly string[] = [...new Set(Object.values(defaultUseCases))].sort();
