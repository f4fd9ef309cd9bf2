/**
 * The prior visit beside the current one: the same patient's previous study of the same modality
 * (`GET /api/studies/{uid}/prior-visit`) and, per eye, the key measures at both visits with the change —
 * signed, in the measure's unit (MD, CST, fluid volumes), or the ICDR levels for a DR grade — each value
 * labelled AI-generated with its analyzer id@version; for a prior visit with colour fundus photographs, a toggle
 * shows them beside each other per eye (`prior-photographs.tsx`). Nothing is shown when the patient has no prior
 * visit.
 */
import { useCallback, useState } from 'react';
import { fetchPriorVisit, type PriorVisitMeasureView } from '../api.ts';
import { eyeNames } from '../eyes.ts';
import { icdrLevels } from '../review-values.ts';
import { PriorPhotographs } from './prior-photographs.tsx';
import { navigate } from '../router.ts';
import { useLoaded } from '../use-loaded.ts';
import { signed } from './vf-geometry.ts';

/** UCUM units as read, and the decimals a change is shown with. */
const units: Readonly<Record<string, { text: string; digits: number }>> = {
  dB: { text: 'dB', digits: 2 },
  um: { text: 'µm', digits: 0 },
  mm3: { text: 'mm³', digits: 3 },
};

function unitOf(measure: PriorVisitMeasureView): { text: string; digits: number } {
  return measure.unit === null
    ? { text: '', digits: 2 }
    : (units[measure.unit] ?? { text: measure.unit, digits: 2 });
}

function levelOf(code: { value: string; scheme: string } | null): number | undefined {
  return icdrLevels.find((entry) => entry.code.value === code?.value && entry.code.scheme === code.scheme)
    ?.level;
}

function valueText(measure: PriorVisitMeasureView, value: PriorVisitMeasureView['current']): string {
  if (value === null) {
    return '—';
  }
  if (value.value !== null) {
    const unit = unitOf(measure);
    return `${signed(value.value, unit.digits)} ${unit.text}`.trim();
  }
  const level = levelOf(value.code);
  return level === undefined ? (value.code?.meaning ?? '—') : `R${String(level)}`;
}

/** The change as text: signed with its unit, or the grade's level change; empty when there is nothing to compare. */
export function changeText(measure: PriorVisitMeasureView): string {
  if (measure.change !== null) {
    const unit = unitOf(measure);
    return `${signed(measure.change, unit.digits, true)} ${unit.text}`.trim();
  }
  if (measure.changed !== null) {
    const now = levelOf(measure.current?.code ?? null);
    const then = levelOf(measure.prior?.code ?? null);
    if (now !== undefined && then !== undefined) {
      return now === then
        ? 'unchanged'
        : `${signed(now - then, 0, true)} level${Math.abs(now - then) === 1 ? '' : 's'}`;
    }
    return measure.changed ? 'changed' : 'unchanged';
  }
  return '—';
}

function formatDate(value: string | null): string {
  return value !== null && /^\d{8}$/u.test(value)
    ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`
    : (value ?? '—');
}

function analyzersOf(measure: PriorVisitMeasureView): string {
  return [
    ...new Set([measure.prior?.analyzer, measure.current?.analyzer].filter((name) => name !== undefined)),
  ].join(', ');
}

/** The prior-visit panel of a study. */
export function PriorVisitPanel({
  studyInstanceUid,
  onUnauthorized,
}: {
  readonly studyInstanceUid: string;
  readonly onUnauthorized: (error: unknown) => boolean;
}) {
  // Without the prior visit the rest of the page still stands: a failure shows nothing here.
  const { value: visit } = useLoaded(
    useCallback(() => fetchPriorVisit(studyInstanceUid), [studyInstanceUid]),
    onUnauthorized,
  );
  const [showPhotographs, setShowPhotographs] = useState(false);

  const prior = visit?.prior;
  if (visit === undefined || prior === null || prior === undefined) {
    return null;
  }
  return (
    <section
      className="prior-visit"
      aria-label="Prior visit"
      data-testid="prior-visit"
      data-prior-uid={prior.studyInstanceUid}
    >
      <div className="section-bar">
        <h2>Prior visit</h2>
        <a
          href={`/studies/${prior.studyInstanceUid}`}
          onClick={(event) => {
            event.preventDefault();
            navigate(`/studies/${prior.studyInstanceUid}`);
          }}
        >
          Open the prior study
        </a>
      </div>
      <p>
        Previous {prior.modalities.join(', ')} study of {formatDate(prior.studyDate)}
        {visit.intervalDays === null ? '' : `, ${String(visit.intervalDays)} days before this one`}.
      </p>
      {visit.measures.length === 0 ? (
        <p className="no-image">No AI measures to compare for these visits.</p>
      ) : (
        <table className="prior-visit-table">
          <thead>
            <tr>
              <th scope="col">Eye</th>
              <th scope="col">Measure</th>
              <th scope="col">Prior ({formatDate(prior.studyDate)})</th>
              <th scope="col">Current ({formatDate(visit.current.studyDate)})</th>
              <th scope="col">Change</th>
              <th scope="col">Source</th>
            </tr>
          </thead>
          <tbody>
            {visit.measures.map((measure) => (
              <tr
                key={`${measure.eye}-${measure.key}`}
                data-testid="prior-visit-measure"
                data-eye={measure.eye}
                data-key={measure.key}
              >
                <td>{eyeNames[measure.eye]}</td>
                <td>{measure.name}</td>
                <td data-testid="prior-value">{valueText(measure, measure.prior)}</td>
                <td data-testid="current-value">{valueText(measure, measure.current)}</td>
                <td data-testid="change">{changeText(measure)}</td>
                <td>
                  <span className="ai-tag">{(measure.current ?? measure.prior)?.label}</span>{' '}
                  <span data-testid="measure-analyzer">{analyzersOf(measure)}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {prior.modalities.includes('OP') ? (
        <>
          <button
            type="button"
            data-testid="prior-photographs-toggle"
            aria-pressed={showPhotographs}
            onClick={() => {
              setShowPhotographs((shown) => !shown);
            }}
          >
            {showPhotographs ? 'Hide' : 'Show'} the prior visit's photographs
          </button>
          {showPhotographs ? (
            <PriorPhotographs
              studyInstanceUid={prior.studyInstanceUid}
              visitDate={formatDate(prior.studyDate)}
              onUnauthorized={onUnauthorized}
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}
