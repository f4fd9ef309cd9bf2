/**
 * The recommendation of a DR screening report: when to refer to an ophthalmologist and when to see the patient
 * again, from the reviewed grades of both eyes (the worse eye decides; an ungradable eye asks for recapture), by a
 * follow-up table that is configuration (`review.drFollowUp`), the ADA's by default.
 * @see ../../../shared/docs/standards-reference.md §B.4 (ADA position statement; intervals are guideline-dependent)
 */
import type { Eye } from './eye.ts';
import type { Finding } from './finding.ts';

/** One row of the table: refer within (months, or immediately) and the follow-up interval range in months. */
export interface DrFollowUpRule {
  readonly referWithinMonths: number | 'immediate';
  readonly followUpMonths: readonly [number, number];
}

/** The rows: ICDR levels, DME (suspected, since the screening finding does not say whether the centre is involved), ungradable. */
export interface DrFollowUpTable {
  readonly none: DrFollowUpRule;
  readonly mild: DrFollowUpRule;
  readonly moderate: DrFollowUpRule;
  readonly severe: DrFollowUpRule;
  readonly proliferative: DrFollowUpRule;
  readonly dme: DrFollowUpRule;
  readonly ungradable: DrFollowUpRule;
}

/**
 * The ADA table (standards-reference §B.4). Moderate NPDR "within 3–6 months" is taken as 3; DME as
 * non-centre-involved (refer within 3 months, follow-up every 6 months), the screening finding not telling
 * whether the centre is involved — the reader changes the text when it is. Ungradable: recapture within a month.
 */
export const defaultDrFollowUpTable: DrFollowUpTable = {
  none: { referWithinMonths: 12, followUpMonths: [12, 24] },
  mild: { referWithinMonths: 12, followUpMonths: [12, 12] },
  moderate: { referWithinMonths: 3, followUpMonths: [6, 9] },
  severe: { referWithinMonths: 'immediate', followUpMonths: [3, 6] },
  proliferative: { referWithinMonths: 'immediate', followUpMonths: [3, 3] },
  dme: { referWithinMonths: 3, followUpMonths: [6, 6] },
  ungradable: { referWithinMonths: 1, followUpMonths: [0, 1] },
};

const levels = ['none', 'mild', 'moderate', 'severe', 'proliferative'] as const;

/** ICDR level of the coded value of an `icdr` finding (standards-reference §B.5), undefined when unknown. */
const levelOfCode: Readonly<Record<string, number>> = {
  'LA18643-9': 0,
  '312903003': 1,
  '312904009': 2,
  '312905005': 3,
  '59276001': 4,
};

const eyeNames: Readonly<Record<Eye, string>> = { R: 'right eye', L: 'left eye' };

function urgency(rule: DrFollowUpRule): number {
  return rule.referWithinMonths === 'immediate' ? 0 : rule.referWithinMonths;
}

function months(range: readonly [number, number]): string {
  return range[0] === range[1] ? `${range[0]} months` : `${range[0]}–${range[1]} months`;
}

/**
 * The recommendation line of a DR screening section from the reviewed findings (rejected ones left out); undefined
 * when no eye has a DR grade or an ungradable verdict.
 */
export function drRecommendation(
  findings: readonly Finding[],
  table: DrFollowUpTable = defaultDrFollowUpTable,
): string | undefined {
  const kept = findings.filter(
    (finding) => finding.useCase === 'dr-screening' && finding.status !== 'rejected',
  );
  const basis: { rule: DrFollowUpRule; why: string; rank: number }[] = [];
  const ungradable: Eye[] = [];
  for (const finding of kept) {
    const value = finding.value;
    if (finding.key === 'icdr' && value.kind === 'classification') {
      const level = levelOfCode[value.value.value];
      if (level !== undefined) {
        basis.push({
          rule: table[levels[level]!],
          why: `${value.value.meaning} (${eyeNames[finding.eye]})`,
          rank: level,
        });
      }
    } else if (finding.key === 'dme' && value.kind === 'classification') {
      basis.push({ rule: table.dme, why: `macular oedema suspected (${eyeNames[finding.eye]})`, rank: 2.5 });
    } else if (finding.key === 'gradability' && value.kind === 'quality' && value.verdict === 'ungradable') {
      ungradable.push(finding.eye);
    }
  }
  if (ungradable.length > 0) {
    const eyes = [...new Set(ungradable)].sort().map((eye) => eyeNames[eye]);
    const within = table.ungradable.referWithinMonths;
    return (
      `Recommendation: recapture the ${eyes.join(' and ')} (ungradable) ` +
      (within === 'immediate' ? 'now' : `within ${within} month${within === 1 ? '' : 's'}`) +
      '; no screening outcome until every eye is graded.'
    );
  }
  if (basis.length === 0) {
    return undefined;
  }
  const order = (entry: (typeof basis)[number]): [number, number, number] => [
    urgency(entry.rule),
    entry.rule.followUpMonths[0],
    -entry.rank,
  ];
  const compare = (a: (typeof basis)[number], b: (typeof basis)[number]): number => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  };
  const decisive = [...basis].sort(compare)[0]!;
  const refer = decisive.rule.referWithinMonths;
  return (
    `Recommendation (${decisive.why}): ` +
    (refer === 'immediate'
      ? 'refer to an ophthalmologist now'
      : `eye examination by an ophthalmologist within ${refer} months`) +
    `; follow-up every ${months(decisive.rule.followUpMonths)}.`
  );
}
