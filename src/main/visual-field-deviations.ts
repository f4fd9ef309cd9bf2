/**
 * Fovea's per-point deviations of a visual field for the review station: the vf-progression analyzer's OPV
 * conversion and normative model (total deviation, pattern deviation and their probability levels) applied to
 * one OPV data set, mapped back to the field's own coordinates (left eyes mirrored back). Composed here because the
 * API ring may not import analyzers (design.md §3).
 * @see https://dicom.nema.org/medical/dicom/current/output/html/part03.html#sect_C.8.26.3
 */
import type { FieldDeviationsOf } from '../api/visual-field-views.ts';
import { computeIndices, convertOpv, locations242, manifest } from '../analyzers/vf-progression/index.ts';

/** A probability level (0.005 … 0.05, 1 = within normal limits) as percent, or null. */
function percent(level: number | null | undefined): number | null {
  return level === null || level === undefined ? null : Math.round(level * 1000) / 10;
}

/** Fovea's deviations of a 24-2 OPV data set (undefined when the analyzer cannot read it as one). */
export const visualFieldDeviations: FieldDeviationsOf = (dataset) => {
  const conversion = convertOpv(dataset);
  if (!conversion.ok) {
    return undefined;
  }
  const indices = computeIndices(conversion.test);
  const mirror = conversion.eye === 'R' ? 1 : -1;
  return {
    analyzer: `${manifest.id}@${manifest.version}`,
    points: locations242.map((location, index) => ({
      x: mirror * location.x,
      y: location.y,
      totalDeviationDb: indices.td[index] ?? null,
      totalDeviationP: percent(indices.tdProbability[index]),
      patternDeviationDb: indices.pd[index] ?? null,
      patternDeviationP: percent(indices.pdProbability[index]),
    })),
  };
};
