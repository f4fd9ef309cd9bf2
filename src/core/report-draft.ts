/**
 * The draft report of a study, pre-populated from its reviewed findings: one section per use case in a fixed
 * order of the statements a reader looks for first (DR screening: grade, DME, gradability, then the
 * recommendation and follow-up interval of the worse eye; macular OCT: CST,
 * fluid, change since the prior; glaucoma: verdict, rates), each eye on its own line, modified values as the
 * reviewer set them, rejected findings left out, unreviewed ones marked. The clinician edits the text before
 * signing; the signed text is kept with the sign-off.
 */
import { defaultDrFollowUpTable, drRecommendation, type DrFollowUpTable } from './dr-follow-up.ts';
import type { Eye } from './eye.ts';
import type { Finding, FindingValue } from './finding.ts';

/** The order of statements per use case (keys not listed follow, in key order). */
const orderByUseCase: Readonly<Record<string, readonly string[]>> = {
  'dr-screening': ['icdr', 'dme', 'gradability'],
  'image-quality': ['quality'],
  'dme-quantification': [
    'oct-quality',
    'cst',
    'central-fluid-volume',
    'irf-volume',
    'srf-volume',
    'ped-volume',
    'change-since-prior',
    'cst-change',
  ],
  'glaucoma-progression': ['verdict', 'structure-function', 'fast-progressor', 'md-slope', 'rnfl-slope'],
};

const titles: Readonly<Record<string, string>> = {
  'dr-screening': 'Diabetic retinopathy screening',
  'image-quality': 'Image quality',
  'dme-quantification': 'Macular OCT',
  'glaucoma-progression': 'Glaucoma progression',
};

/** Statements left out of the draft: detail the reader sees in the viewer, not in the report. */
function inDraft(finding: Finding): boolean {
  return finding.value.kind !== 'region' && !/-(ci-lower|ci-upper|p)$/u.test(finding.key);
}

function number(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** A value in words. */
export function valueText(value: FindingValue): string {
  switch (value.kind) {
    case 'classification':
      return value.value.meaning;
    case 'measurement':
      return `${number(value.value)} ${value.unit.value === '1' ? '' : value.unit.value}`.trim();
    case 'quality':
      return value.verdict === 'gradable' ? 'gradable' : `ungradable (${value.reasons.join(', ')})`;
    case 'region':
      return `${value.points.length / 2} mark(s)`;
  }
}

const eyeNames: Readonly<Record<Eye, string>> = { R: 'Right eye', L: 'Left eye' };

/**
 * What a statement is about. A laterality-specific concept (LOINC 71491-5 "Right eye Diabetic retinopathy
 * severity level …") drops its eye prefix: the line already starts with the eye.
 */
function label(finding: Finding): string {
  const value = finding.value;
  if (value.kind === 'classification' || value.kind === 'measurement') {
    const prefix = `${eyeNames[finding.eye]} `;
    const meaning = value.concept.meaning;
    return meaning.toLowerCase().startsWith(prefix.toLowerCase()) ? meaning.slice(prefix.length) : meaning;
  }
  return finding.key;
}

/**
 * The draft text of a study's findings (already reviewed: status and values as the reviewer left them); the DR
 * screening section ends with the recommendation from `drFollowUp` (`dr-follow-up.ts`).
 */
export function draftReport(
  findings: readonly Finding[],
  drFollowUp: DrFollowUpTable = defaultDrFollowUpTable,
): string {
  const useCases = [...new Set(findings.map((finding) => finding.useCase))].sort();
  const sections: string[] = [];
  for (const useCase of useCases) {
    const order = orderByUseCase[useCase] ?? [];
    const rank = (key: string): number => {
      const at = order.indexOf(key);
      return at < 0 ? order.length : at;
    };
    const lines: string[] = [titles[useCase] ?? useCase];
    for (const eye of ['R', 'L'] as const) {
      const statements = findings
        .filter(
          (finding) => finding.useCase === useCase && finding.eye === eye && finding.status !== 'rejected',
        )
        .filter(inDraft)
        .sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));
      if (statements.length === 0) {
        continue;
      }
      lines.push(
        `${eyeNames[eye]}: ` +
          statements
            .map(
              (finding) =>
                `${label(finding)}: ${valueText(finding.value)}` +
                (finding.status === 'preliminary' ? ' [AI, not reviewed]' : ''),
            )
            .join('; ') +
          '.',
      );
    }
    const recommendation =
      useCase === 'dr-screening' && lines.length > 1 ? drRecommendation(findings, drFollowUp) : undefined;
    if (recommendation !== undefined) {
      lines.push(recommendation);
    }
    if (lines.length > 1) {
      sections.push(lines.join('\n'));
    }
  }
  return sections.join('\n\n');
}
