/**
 * Values derived from the configuration, computed in one place.
 */
import type { FoveaConfig } from './schema.ts';

/** Whether the PACS watcher runs: explicitly set, or on when the watched PACS has a DICOMweb URL. */
export function watchEnabled(config: FoveaConfig): boolean {
  return config.watch.enabled ?? config.pacs[config.watch.pacs]?.dicomweb !== undefined;
}
