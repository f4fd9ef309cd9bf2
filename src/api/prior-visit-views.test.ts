/**
 * The prior visit's key measures from stored analyses: the change of a measurement (CST) in its unit, a grade's
 * change flagged, the latest finding counting, silent-phase analyses never shown, MD taken from the current
 * visit's series (or else the prior's own analysis), and a measure present at one visit only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisRecord, Finding, FindingValue, RolloutPhase } from '../core/finding.ts';
import { priorVisitMeasures, type VisitResults } from './prior-visit-views.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute));

function analysis(
  study: string,
  analyzerId: string,
  phase: RolloutPhase,
  minute: number,
  findings: readonly { eye: 'R' | 'L'; key: string; value: FindingValue }[],
  raw: unknown = null,
): AnalysisRecord {
  const provenance = {
    analyzerId,
    analyzerVersion: '1.0.0',
    modelHash: 'sha256:0',
    inputSopInstanceUids: [],
    startedAt: at(minute),
    finishedAt: at(minute),
  };
  return {
    id: `${study}-${analyzerId}-${String(minute)}`,
    studyInstanceUid: study,
    analyzerId,
    analyzerVersion: '1.0.0',
    useCase: 'test',
    phase,
    status: 'succeeded',
    findings: findings.map((finding, index): Finding => ({
      ...finding,
      id: `f-${study}-${String(minute)}-${String(index)}`,
      studyInstanceUid: study,
      analysisId: `${study}-${analyzerId}-${String(minute)}`,
      useCase: 'test',
      sourceSopInstanceUids: [],
      provenance,
      status: 'preliminary',
      createdAt: at(minute),
    })),
    raw,
    provenance,
  };
}

const um = { value: 'um', scheme: 'UCUM', meaning: 'micrometre' };
const cstConcept = { value: '57108-3', scheme: 'LN', meaning: 'Macular grid.center subfield thickness' };
const cst = (value: number): FindingValue => ({ kind: 'measurement', concept: cstConcept, value, unit: um });
const grade = (code: string): FindingValue => ({
  kind: 'classification',
  concept: { value: '71491-5', scheme: 'LN', meaning: 'Right eye DR severity' },
  value: { value: code, scheme: 'SCT', meaning: code },
});

function visit(study: string, analyses: AnalysisRecord[], uids: string[] = []): VisitResults {
  return { studyInstanceUid: study, analyses, sopInstanceUids: new Set(uids) };
}

describe('prior visit measures', () => {
  it('gives the change of CST in µm and flags a changed grade; the latest visible finding counts', () => {
    const current = visit('2.1', [
      analysis('2.1', 'oct-macula', 'assistive', 1, [{ eye: 'R', key: 'cst', value: cst(300) }]),
      analysis('2.1', 'oct-macula', 'assistive', 5, [{ eye: 'R', key: 'cst', value: cst(350) }]),
      analysis('2.1', 'oct-macula', 'silent', 9, [{ eye: 'R', key: 'cst', value: cst(999) }]),
      analysis('2.1', 'dr-screening', 'integrated', 2, [
        { eye: 'R', key: 'icdr', value: grade('312904009') },
      ]),
    ]);
    const prior = visit('1.1', [
      analysis('1.1', 'oct-macula', 'assistive', 1, [{ eye: 'R', key: 'cst', value: cst(320.5) }]),
      analysis('1.1', 'dr-screening', 'integrated', 1, [
        { eye: 'R', key: 'icdr', value: grade('312903003') },
      ]),
    ]);
    const measures = priorVisitMeasures(current, prior);
    const thickness = measures.find((measure) => measure.key === 'cst')!;
    assert.equal(thickness.unit, 'um');
    assert.equal(thickness.current?.value, 350, 'the latest visible analysis, not the silent one');
    assert.equal(thickness.prior?.value, 320.5);
    assert.equal(thickness.change, 29.5);
    assert.equal(thickness.changed, null);
    assert.equal(thickness.current?.analyzer, 'oct-macula@1.0.0');
    const severity = measures.find((measure) => measure.key === 'icdr')!;
    assert.equal(severity.change, null);
    assert.equal(severity.changed, true);
    assert.equal(severity.prior?.code?.value, '312903003');
    assert.deepEqual(
      measures.map((measure) => `${measure.eye} ${measure.key}`),
      ['R icdr', 'R cst'],
      'no left-eye rows without left-eye findings',
    );
  });

  it("takes MD from the current visit's series, else from the prior's own analysis", () => {
    const series = (tests: { sopInstanceUid: string; md: number }[]) => ({
      eyes: [{ eye: 'L', tests: tests.map((test) => ({ ...test, date: '2025-01-01', psd: 2 })) }],
    });
    const current = visit(
      '2.2',
      [analysis('2.2', 'vf-progression', 'assistive', 3, [], series([{ sopInstanceUid: '9.2', md: -4.5 }]))],
      ['9.2'],
    );
    const prior = visit(
      '1.2',
      [analysis('1.2', 'vf-progression', 'assistive', 1, [], series([{ sopInstanceUid: '9.1', md: -3.25 }]))],
      ['9.1'],
    );
    const [md] = priorVisitMeasures(current, prior);
    assert.equal(md?.eye, 'L');
    assert.equal(md?.key, 'md');
    assert.equal(md?.current?.value, -4.5);
    assert.equal(md?.prior?.value, -3.25, "the prior's own analysis when the current series lacks its test");
    assert.equal(md?.change, -1.25);
    const withoutPrior = priorVisitMeasures(current, undefined);
    assert.equal(withoutPrior[0]?.prior, null);
    assert.equal(withoutPrior[0]?.change, null);
  });
});
