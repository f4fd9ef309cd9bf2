/**
 * Change since the prior: for one eye, the latest earlier macular OCT volume among the Case's priors, and the
 * differences of CST and fluid volumes between it and the current volume, with a "significant change" flag
 * beyond the repeatability of the measurement.
 *
 * Thresholds (standards-reference §C.3): the 95 % coefficient of repeatability of the central 1-mm subfield is
 * about 20 µm across devices in DME (CLEOPATRA), and a change of more than 10 % of the baseline CST is commonly
 * taken as real, so a CST change is significant when |ΔCST| ≥ max(20 µm, 10 % of the prior CST). Fluid has no
 * published repeatability for this algorithm; a fluid change is significant when the total fluid (IRF + SRF +
 * PED) changes by at least 0.01 mm³ (10 nl) and by at least 25 % of the larger of the two totals — a first
 * choice, not validated on real follow-up volumes. Both numbers are part of the analyzer's model hash.
 */
import type { AnalysisCase, CaseInstance, Eye } from '../sdk/index.ts';
import type { OctMaculaResult } from './analyze-oct-volume.ts';

/** The repeatability thresholds of the change flag. */
export const changeThresholds = {
  /** Minimum |ΔCST| (µm) for a significant change. */
  cstMinimumUm: 20,
  /** Minimum |ΔCST| as a fraction of the prior CST. */
  cstFraction: 0.1,
  /** Minimum |Δ total fluid| (mm³). */
  fluidMinimumMm3: 0.01,
  /** Minimum |Δ total fluid| as a fraction of the larger total. */
  fluidFraction: 0.25,
} as const;

/** The prior volume chosen for an eye. */
export interface PriorVolume {
  readonly studyInstanceUid: string;
  readonly studyDate?: string;
  readonly instance: CaseInstance;
}

/** Direction of a significant change, or none. */
export type ChangeDirection = 'increase' | 'decrease' | 'none';

/** The change of one eye's measurements since its prior. */
export interface MacularChange {
  readonly deltaCstUm: number;
  readonly deltaTotalVolumeMm3: number;
  readonly deltaFluidMm3: { readonly irf: number; readonly srf: number; readonly ped: number };
  readonly deltaTotalFluidMm3: number;
  /** Significant CST change and its direction. */
  readonly cst: ChangeDirection;
  /** Significant change of the total fluid and its direction. */
  readonly fluid: ChangeDirection;
  /** The CST threshold that applied (µm). */
  readonly cstThresholdUm: number;
}

/**
 * The latest prior study (by Study Date; priors without a date come last, a prior dated after the current
 * study is not a prior) that holds a volume of the eye accepted by `isVolume`, and its volume with the most
 * B-scans.
 */
export function latestPriorVolume(
  analysisCase: AnalysisCase,
  eye: Eye,
  isVolume: (instance: CaseInstance) => boolean,
): PriorVolume | undefined {
  const current = analysisCase.studyDate;
  const candidates = analysisCase.priors
    .filter((prior) => prior.studyInstanceUid !== analysisCase.studyInstanceUid)
    .filter((prior) => current === undefined || prior.studyDate === undefined || prior.studyDate <= current)
    .map((prior, order) => ({ prior, order }))
    .sort((a, b) => (b.prior.studyDate ?? '').localeCompare(a.prior.studyDate ?? '') || a.order - b.order);
  for (const { prior } of candidates) {
    const volumes = prior.eyes.find((entry) => entry.eye === eye)?.instances.filter(isVolume) ?? [];
    if (volumes.length === 0) {
      continue;
    }
    const instance = volumes.reduce((a, b) => ((b.numberOfFrames ?? 1) > (a.numberOfFrames ?? 1) ? b : a));
    return {
      studyInstanceUid: prior.studyInstanceUid,
      ...(prior.studyDate === undefined ? {} : { studyDate: prior.studyDate }),
      instance,
    };
  }
  return undefined;
}

function direction(delta: number, significant: boolean): ChangeDirection {
  if (!significant) {
    return 'none';
  }
  return delta > 0 ? 'increase' : 'decrease';
}

/** The change from the prior result to the current one (both gradable). */
export function macularChange(current: OctMaculaResult, prior: OctMaculaResult): MacularChange {
  const t = changeThresholds;
  const deltaCstUm = current.ilmBm.cstUm - prior.ilmBm.cstUm;
  const cstThresholdUm = Math.max(t.cstMinimumUm, t.cstFraction * prior.ilmBm.cstUm);
  const deltaFluidMm3 = {
    irf: current.fluid.irf.volumeMm3 - prior.fluid.irf.volumeMm3,
    srf: current.fluid.srf.volumeMm3 - prior.fluid.srf.volumeMm3,
    ped: current.fluid.ped.volumeMm3 - prior.fluid.ped.volumeMm3,
  };
  const total = (result: OctMaculaResult): number =>
    result.fluid.irf.volumeMm3 + result.fluid.srf.volumeMm3 + result.fluid.ped.volumeMm3;
  const deltaTotalFluidMm3 = total(current) - total(prior);
  const fluidSignificant =
    Math.abs(deltaTotalFluidMm3) >= t.fluidMinimumMm3 &&
    Math.abs(deltaTotalFluidMm3) >= t.fluidFraction * Math.max(total(current), total(prior));
  return {
    deltaCstUm,
    deltaTotalVolumeMm3: current.ilmBm.totalVolumeMm3 - prior.ilmBm.totalVolumeMm3,
    deltaFluidMm3,
    deltaTotalFluidMm3,
    cst: direction(deltaCstUm, Math.abs(deltaCstUm) >= cstThresholdUm),
    fluid: direction(deltaTotalFluidMm3, fluidSignificant),
    cstThresholdUm,
  };
}
