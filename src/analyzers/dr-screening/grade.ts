/**
 * Grading rules: the International Clinical Diabetic Retinopathy (ICDR) level of an eye from its lesion
 * evidence (severe NPDR by the 4-2-1 rule), diabetic macular oedema (DME) suspicion from hard exudates within
 * one disc diameter of the fovea, the referable flag (moderate NPDR or worse, or DME), the patient's grade
 * (the worse eye; an ungradable eye is never "none") and the follow-up interval from a configurable table.
 * @see https://doi.org/10.1016/S0161-6420(03)00475-5 (Wilkinson et al. 2003, ICDR and DME severity scales)
 * @see https://doi.org/10.2337/dc16-2641 (ADA position statement, follow-up intervals)
 */

/** ICDR level: 0 none, 1 mild NPDR, 2 moderate NPDR, 3 severe NPDR, 4 proliferative DR. */
export type IcdrLevel = 0 | 1 | 2 | 3 | 4;

/** Quadrants around the fovea (lines through the fovea, horizontal and vertical). */
export type Quadrant = 'superotemporal' | 'superonasal' | 'inferotemporal' | 'inferonasal';

/** The quadrants in a fixed order. */
export const quadrants: readonly Quadrant[] = [
  'superotemporal',
  'superonasal',
  'inferotemporal',
  'inferonasal',
];

/** DME category (ICO 2017 / AAO): none, non-centre-involved, centre-involved. */
export type DmeCategory = 'none' | 'non-centre-involved' | 'centre-involved';

/** What the lesion detectors found on one eye, the input of {@link gradeEye}. */
export interface EyeEvidence {
  readonly microaneurysms: number;
  readonly haemorrhages: number;
  readonly hardExudates: number;
  readonly cottonWoolSpots: number;
  readonly haemorrhagesByQuadrant: Readonly<Record<Quadrant, number>>;
  /** Quadrants with definite venous beading (0 when not assessed). */
  readonly venousBeadingQuadrants: number;
  /** Quadrants with prominent IRMA (0 when not assessed). */
  readonly irmaQuadrants: number;
  readonly newVesselsAtDisc: boolean;
  readonly newVesselsElsewhere: boolean;
  readonly preretinalHaemorrhage: boolean;
  readonly vitreousHaemorrhage: boolean;
  /** Hard exudates whose nearest edge is within one disc diameter of the foveal centre. */
  readonly exudatesWithinOneDiscDiameter: number;
  /** Hard exudates within 500 µm (about one third of a disc diameter) of the foveal centre. */
  readonly exudatesInvolvingCentre: number;
  /** In [0, 1]: how clearly the evidence sits away from the detectors' thresholds. */
  readonly confidence: number;
}

/** A gradability verdict passed in (e.g. from the `fundus-quality` analyzer's finding). */
export interface QualityInput {
  readonly verdict: 'gradable' | 'ungradable';
  readonly reasons?: readonly string[];
  readonly score?: number;
}

/** One row of the follow-up table: when to refer and when to re-examine. */
export interface FollowUpRule {
  /** Referral to an ophthalmologist: `immediate`, or within this many months. */
  readonly referWithinMonths: number | 'immediate';
  /** Re-examination interval in months (shortest, longest). */
  readonly followUpMonths: readonly [number, number];
}

/** Keys of the follow-up table. */
export type FollowUpKey =
  | 'none'
  | 'mild'
  | 'moderate'
  | 'severe'
  | 'proliferative'
  | 'no-dme'
  | 'non-centre-involved'
  | 'centre-involved'
  | 'ungradable';

/** A follow-up table (configuration, not code: intervals depend on the guideline a site follows). */
export type FollowUpTable = Readonly<Record<FollowUpKey, FollowUpRule>>;

/**
 * Default follow-up: the ADA position statement as summarised in standards-reference §B.4; an ungradable eye
 * is re-imaged now and, failing that, examined within a month.
 */
export const defaultFollowUpTable: FollowUpTable = {
  none: { referWithinMonths: 12, followUpMonths: [12, 24] },
  mild: { referWithinMonths: 12, followUpMonths: [12, 12] },
  moderate: { referWithinMonths: 3, followUpMonths: [6, 9] },
  severe: { referWithinMonths: 'immediate', followUpMonths: [3, 6] },
  proliferative: { referWithinMonths: 'immediate', followUpMonths: [3, 3] },
  'no-dme': { referWithinMonths: 12, followUpMonths: [12, 24] },
  'non-centre-involved': { referWithinMonths: 3, followUpMonths: [6, 6] },
  'centre-involved': { referWithinMonths: 'immediate', followUpMonths: [1, 4] },
  ungradable: { referWithinMonths: 1, followUpMonths: [0, 1] },
};

/** The 4-2-1 criteria of severe NPDR. */
export type SevereCriterion = 'haemorrhages-4-quadrants' | 'venous-beading-2-quadrants' | 'irma-1-quadrant';

/** The grade of one eye. */
export interface EyeGrade {
  readonly gradable: boolean;
  /** `undefined` when ungradable: an ungradable eye has no level, and never "none". */
  readonly icdr?: IcdrLevel;
  readonly dme: DmeCategory;
  /** Moderate NPDR or worse, or DME; an ungradable eye is not referable but needs recapture. */
  readonly referable: boolean;
  /** Needs re-imaging (ungradable). */
  readonly recapture: boolean;
  /** Proliferative DR or vitreous/pre-retinal haemorrhage: read first. */
  readonly urgent: boolean;
  readonly severeCriteria: readonly SevereCriterion[];
  readonly confidence: number;
  readonly followUp: FollowUpRule & { readonly basis: readonly FollowUpKey[] };
  readonly ungradableReasons: readonly string[];
}

/** Options of {@link gradeEye}. */
export interface GradeOptions {
  readonly followUpTable?: FollowUpTable;
  /** More than this many haemorrhages in a quadrant counts for the 4-2-1 rule (ICDR: 20). */
  readonly haemorrhagesPerQuadrant?: number;
  /** Share of haemorrhages the detector finds: counts are divided by it before the 4-2-1 rule (default 1). */
  readonly haemorrhageRecall?: number;
}

const levelKeys: readonly FollowUpKey[] = ['none', 'mild', 'moderate', 'severe', 'proliferative'];

function urgencyOf(rule: FollowUpRule): number {
  return rule.referWithinMonths === 'immediate' ? -1 : rule.referWithinMonths;
}

/** The most urgent of some follow-up rules (earliest referral, then shortest interval). */
function mostUrgent(table: FollowUpTable, keys: readonly FollowUpKey[]): EyeGrade['followUp'] {
  const rules = keys.map((key) => table[key]);
  const referral = rules.reduce((best, rule) => (urgencyOf(rule) < urgencyOf(best) ? rule : best));
  const shortest = Math.min(...rules.map((rule) => rule.followUpMonths[0]));
  const longest = Math.min(...rules.map((rule) => rule.followUpMonths[1]));
  return { referWithinMonths: referral.referWithinMonths, followUpMonths: [shortest, longest], basis: keys };
}

/** The 4-2-1 criteria the evidence meets. */
export function severeCriteriaOf(evidence: EyeEvidence, perQuadrant = 20): SevereCriterion[] {
  const criteria: SevereCriterion[] = [];
  if (quadrants.every((quadrant) => evidence.haemorrhagesByQuadrant[quadrant] > perQuadrant)) {
    criteria.push('haemorrhages-4-quadrants');
  }
  if (evidence.venousBeadingQuadrants >= 2) {
    criteria.push('venous-beading-2-quadrants');
  }
  if (evidence.irmaQuadrants >= 1) {
    criteria.push('irma-1-quadrant');
  }
  return criteria;
}

/** ICDR level from the evidence (Wilkinson 2003; severe NPDR by the 4-2-1 rule). */
export function icdrLevelOf(evidence: EyeEvidence, perQuadrant = 20): IcdrLevel {
  if (
    evidence.newVesselsAtDisc ||
    evidence.newVesselsElsewhere ||
    evidence.preretinalHaemorrhage ||
    evidence.vitreousHaemorrhage
  ) {
    return 4;
  }
  if (severeCriteriaOf(evidence, perQuadrant).length > 0) {
    return 3;
  }
  if (evidence.haemorrhages > 0 || evidence.hardExudates > 0 || evidence.cottonWoolSpots > 0) {
    return 2;
  }
  return evidence.microaneurysms > 0 ? 1 : 0;
}

/** DME category from the exudates near the fovea (ICDR DME scale, collapsed as ICO 2017). */
export function dmeCategoryOf(evidence: EyeEvidence): DmeCategory {
  if (evidence.exudatesInvolvingCentre > 0) {
    return 'centre-involved';
  }
  return evidence.exudatesWithinOneDiscDiameter > 0 ? 'non-centre-involved' : 'none';
}

/**
 * Grades one eye. An ungradable quality verdict (passed in, or `evidence` missing) gives an ungradable grade
 * with `recapture`, never level 0.
 */
export function gradeEye(
  evidence: EyeEvidence | undefined,
  quality?: QualityInput,
  options: GradeOptions = {},
): EyeGrade {
  const table = options.followUpTable ?? defaultFollowUpTable;
  if (evidence === undefined || quality?.verdict === 'ungradable') {
    return {
      gradable: false,
      dme: 'none',
      referable: false,
      recapture: true,
      urgent: false,
      severeCriteria: [],
      confidence: quality?.score === undefined ? 1 : Math.max(0, Math.min(1, 1 - quality.score)),
      followUp: mostUrgent(table, ['ungradable']),
      ungradableReasons: quality?.reasons ?? ['unreadable'],
    };
  }
  const perQuadrant = (options.haemorrhagesPerQuadrant ?? 20) * (options.haemorrhageRecall ?? 1);
  const icdr = icdrLevelOf(evidence, perQuadrant);
  const dme = dmeCategoryOf(evidence);
  const dmeKey: FollowUpKey = dme === 'none' ? 'no-dme' : dme;
  return {
    gradable: true,
    icdr,
    dme,
    referable: icdr >= 2 || dme !== 'none',
    recapture: false,
    urgent: icdr === 4,
    severeCriteria: icdr === 3 ? severeCriteriaOf(evidence, perQuadrant) : [],
    confidence: Math.max(
      0,
      Math.min(
        1,
        evidence.confidence * (quality?.score === undefined ? 1 : Math.min(1, 0.5 + quality.score)),
      ),
    ),
    followUp: mostUrgent(table, [levelKeys[icdr]!, dmeKey]),
    ungradableReasons: [],
  };
}

/** The patient-level result over both eyes. */
export interface PatientGrade {
  /** The worse gradable eye's level (`undefined` when no eye is gradable). */
  readonly icdr?: IcdrLevel;
  readonly dme: DmeCategory;
  readonly referable: boolean;
  readonly urgent: boolean;
  /**
   * `recapture` when an eye is ungradable and no eye is referable: one ungradable eye and one "none" eye is
   * never a "none" patient.
   */
  readonly outcome: 'urgent' | 'referable' | 'recapture' | 'non-referable';
  readonly followUp: EyeGrade['followUp'];
}

const dmeOrder: readonly DmeCategory[] = ['none', 'non-centre-involved', 'centre-involved'];

/** Patient-level grade: the worse eye; any ungradable eye without a referable one means recapture. */
export function gradePatient(
  eyes: readonly EyeGrade[],
  table: FollowUpTable = defaultFollowUpTable,
): PatientGrade {
  const gradable = eyes.filter((eye) => eye.gradable);
  const levels = gradable.map((eye) => eye.icdr ?? 0);
  const icdr = levels.length > 0 ? (Math.max(...levels) as IcdrLevel) : undefined;
  const dme = gradable.reduce<DmeCategory>(
    (worst, eye) => (dmeOrder.indexOf(eye.dme) > dmeOrder.indexOf(worst) ? eye.dme : worst),
    'none',
  );
  const referable = gradable.some((eye) => eye.referable);
  const urgent = gradable.some((eye) => eye.urgent);
  const anyUngradable = eyes.length === 0 || eyes.some((eye) => !eye.gradable);
  const outcome = urgent ? 'urgent' : referable ? 'referable' : anyUngradable ? 'recapture' : 'non-referable';
  const keys = new Set<FollowUpKey>(eyes.flatMap((eye) => eye.followUp.basis));
  if (keys.size === 0) {
    keys.add('ungradable');
  }
  return {
    ...(icdr === undefined ? {} : { icdr }),
    dme,
    referable,
    urgent,
    outcome,
    followUp: mostUrgent(table, [...keys]),
  };
}
