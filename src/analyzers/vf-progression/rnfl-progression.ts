/**
 * Progression of structure: an eye's series of peripapillary RNFL measurements (one global thickness per
 * circle scan) judged by trend (OLS slope in µm/yr with its 95% CI and one-sided p, as the MD trend) and by
 * event (loss from baseline beyond the test–retest variability of OCT RNFL, ~5 µm), and the structure
 * verdict combined with the visual-field verdict.
 * @see standards-reference §D.4 and §E (RNFL test–retest variability; rates of change)
 */
import { fitLine, yearsBetween, type LinearFit } from './statistics.ts';
import type { VfVerdict } from './progression.ts';

/** One circle scan's global RNFL thickness. */
export interface RnflMeasurement {
  /** ISO date (`YYYY-MM-DD`). */
  readonly date: string;
  readonly globalUm: number;
  readonly sopInstanceUid?: string;
}

/** Event status of the latest scans against the baseline. */
export type RnflEvent = 'none' | 'possible' | 'likely';

/** The structure analysis of one eye. */
export interface RnflProgression {
  /** The scans used, sorted by date, with years since the first. */
  readonly scans: readonly (RnflMeasurement & { readonly years: number })[];
  readonly spanYears: number;
  /** OLS of global thickness on years (x = years since the first scan); absent below 3 scans or no span. */
  readonly trend?: LinearFit;
  readonly trendEligible: boolean;
  /** Mean global thickness of the baseline scans (the first two, or the first when there are only two). */
  readonly baselineUm?: number;
  readonly event: RnflEvent;
  readonly verdict: VfVerdict;
  readonly fastProgressor: boolean;
  readonly reasons: readonly string[];
}

/** The thresholds of the structure verdict (part of the analyzer's model hash). */
export const rnflRules = {
  /** Loss from baseline beyond this (µm) exceeds OCT test–retest variability of the global RNFL. */
  eventLossUm: 5,
  /** A significant decline: one-sided p of the slope below this. */
  trendP: 0.05,
  /** RNFL slope at or below this (µm/yr) on an eligible series is a fast progressor. */
  fastSlopeUmPerYear: -2,
  trendMinScans: 3,
  trendMinYears: 2,
} as const;

/** Analyses one eye's RNFL series (any order; sorted here). */
export function analyzeRnflSeries(measurements: readonly RnflMeasurement[]): RnflProgression {
  const sorted = [...measurements]
    .filter((scan) => Number.isFinite(scan.globalUm))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const first = sorted[0]?.date ?? '1970-01-01';
  const scans = sorted.map((scan) => ({ ...scan, years: yearsBetween(first, scan.date) }));
  const spanYears = scans.length === 0 ? 0 : scans[scans.length - 1]!.years;
  if (scans.length < 2 || spanYears <= 0) {
    return {
      scans,
      spanYears,
      trendEligible: false,
      event: 'none',
      verdict: 'insufficient-data',
      fastProgressor: false,
      reasons: [
        `${scans.length} circle scan(s) over ${spanYears.toFixed(2)} years: too few to assess change`,
      ],
    };
  }
  const reasons: string[] = [];
  const trend =
    scans.length >= rnflRules.trendMinScans
      ? fitLine(
          scans.map((scan) => scan.years),
          scans.map((scan) => scan.globalUm),
        )
      : undefined;
  const trendEligible = trend !== undefined && spanYears >= rnflRules.trendMinYears;
  const baselineScans = scans.length >= 3 ? scans.slice(0, 2) : scans.slice(0, 1);
  const baselineUm = baselineScans.reduce((sum, scan) => sum + scan.globalUm, 0) / baselineScans.length;
  const followUps = scans.slice(baselineScans.length);
  const below = (scan: { globalUm: number }): boolean => baselineUm - scan.globalUm > rnflRules.eventLossUm;
  const last = followUps[followUps.length - 1];
  const beforeLast = followUps[followUps.length - 2];
  let event: RnflEvent = 'none';
  if (last !== undefined && below(last)) {
    event = beforeLast !== undefined && below(beforeLast) ? 'likely' : 'possible';
  }
  const decline = trend !== undefined && trend.slope < 0 && trend.pLeft < rnflRules.trendP;
  if (trend !== undefined) {
    reasons.push(
      `RNFL slope ${trend.slope.toFixed(2)} µm/yr (95% CI ${trend.ci95[0].toFixed(2)} to ${trend.ci95[1].toFixed(2)}), p = ${trend.pLeft.toPrecision(3)}`,
    );
  }
  if (last !== undefined) {
    reasons.push(
      `latest ${last.globalUm.toFixed(1)} µm vs baseline ${baselineUm.toFixed(1)} µm: event ${event} (limit ${rnflRules.eventLossUm} µm)`,
    );
  }
  let verdict: VfVerdict = 'stable';
  if (event === 'likely' || (event === 'possible' && decline)) {
    verdict = 'likely-progression';
  } else if (event === 'possible' || decline) {
    verdict = 'possible-progression';
  }
  const fastProgressor = trendEligible && trend.slope <= rnflRules.fastSlopeUmPerYear;
  return {
    scans,
    spanYears,
    ...(trend === undefined ? {} : { trend }),
    trendEligible,
    baselineUm,
    event,
    verdict,
    fastProgressor,
    reasons,
  };
}

/** Whether structure and function agree on progression. */
export type StructureFunction =
  'both-progressing' | 'function-only' | 'structure-only' | 'both-stable' | 'not-assessable';

const rank: Readonly<Record<VfVerdict, number>> = {
  'insufficient-data': -1,
  stable: 0,
  'possible-progression': 1,
  'likely-progression': 2,
};

/**
 * The eye's glaucoma verdict from the visual-field verdict and the RNFL verdict: the worse of the two, and
 * likely when both are at least possible (structure and function agreeing is stronger evidence than either).
 */
export function combineVerdicts(
  functionVerdict: VfVerdict,
  structureVerdict: VfVerdict,
): { verdict: VfVerdict; agreement: StructureFunction } {
  const f = rank[functionVerdict];
  const s = rank[structureVerdict];
  let agreement: StructureFunction;
  if (f < 0 || s < 0) {
    agreement = 'not-assessable';
  } else if (f > 0 && s > 0) {
    agreement = 'both-progressing';
  } else if (f > 0) {
    agreement = 'function-only';
  } else if (s > 0) {
    agreement = 'structure-only';
  } else {
    agreement = 'both-stable';
  }
  if (agreement === 'both-progressing') {
    return { verdict: 'likely-progression', agreement };
  }
  return { verdict: f >= s ? functionVerdict : structureVerdict, agreement };
}
