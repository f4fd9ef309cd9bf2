/**
 * `fovea analyze --detail` for macular OCT: the layer boundaries of every B-scan and the ILM → BM thickness
 * per A-scan, for each volume oct-macula measured. They are recomputed here, in the command's own thread, by the
 * analyzer's own decoding and analysis functions (deterministic: the same numbers as the analysis), so the
 * gateway's stored raw output stays small (it keeps only a ~0.25 mm thickness grid).
 */
import { spoolPixelAccess } from '../analyzers/host/index.ts';
import {
  analyzeOctVolume,
  decodeOctVolume,
  manifest as octMaculaManifest,
  segmentationDetail,
} from '../analyzers/oct-macula/index.ts';
import type { OfflineStudy } from '../pipeline/offline-analysis.ts';

interface RawEye {
  readonly eye?: unknown;
  readonly sopInstanceUid?: unknown;
  readonly geometry?: unknown;
}

/** The detail of each volume oct-macula measured in a study (an empty list when it measured none). */
export async function octMaculaDetail(study: OfflineStudy): Promise<unknown[]> {
  const analyzer = `${octMaculaManifest.id}@${octMaculaManifest.version}`;
  const analysis = study.analyses.find(
    (entry) => entry.analyzer === analyzer && entry.status === 'succeeded',
  );
  const raw = analysis?.record?.raw as { eyes?: readonly RawEye[] } | undefined;
  // The study's files are absolute paths (the offline pool's spool root is '/').
  const pixels = spoolPixelAccess('/');
  const details: unknown[] = [];
  for (const entry of raw?.eyes ?? []) {
    if (entry.geometry === undefined || (entry.eye !== 'R' && entry.eye !== 'L')) {
      continue;
    }
    const eye = entry.eye;
    const instance = study.case.eyes
      .find((caseEye) => caseEye.eye === eye)
      ?.instances.find((candidate) => candidate.sopInstanceUid === entry.sopInstanceUid);
    if (instance === undefined) {
      continue;
    }
    const volume = await decodeOctVolume(instance, pixels);
    const result = analyzeOctVolume(volume, eye);
    details.push({
      analyzer,
      eye,
      sopInstanceUid: instance.sopInstanceUid,
      frames: volume.frames,
      rows: volume.rows,
      columns: volume.columns,
      ...(segmentationDetail(volume, result) as Record<string, unknown>),
    });
  }
  return details;
}
