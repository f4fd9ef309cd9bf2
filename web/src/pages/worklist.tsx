/**
 * The worklist: triaged studies, most urgent first (`GET /api/worklist`), each with its bucket as a coloured
 * badge, the AI's reasons and, while a reader holds the study, a lock badge with the reader's name; filters by
 * bucket (asked of the API) and by use case; a click opens the study. It re-reads the list whenever the gateway
 * announces a change (`GET /api/worklist/events`): a new or re-triaged study, a review, a sign-off, a claim or a
 * release.
 */
import { useEffect, useMemo, useState } from 'react';
import { buckets, fetchWorklist, type Bucket, type WorklistEntry } from '../api.ts';
import { BucketBadge } from '../components/bucket-badge.tsx';
import { ClaimBadge } from '../components/claim-badge.tsx';
import { navigate } from '../router.ts';
import { useCaseOf } from '../use-cases.ts';

function useCasesOf(entry: WorklistEntry): string[] {
  return [...new Set(entry.triage.reasons.map((reason) => useCaseOf(reason.analyzer)))];
}

function formatDate(studyDate: string | undefined): string {
  return studyDate !== undefined && /^\d{8}$/u.test(studyDate)
    ? `${studyDate.slice(0, 4)}-${studyDate.slice(4, 6)}-${studyDate.slice(6, 8)}`
    : (studyDate ?? '—');
}

/** The worklist page. */
export function WorklistPage({ onUnauthorized }: { readonly onUnauthorized: (error: unknown) => boolean }) {
  const [bucket, setBucket] = useState<Bucket | ''>('');
  const [useCase, setUseCase] = useState('');
  const [entries, setEntries] = useState<WorklistEntry[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    fetchWorklist(bucket === '' ? undefined : bucket).then(
      (loaded) => {
        if (current) {
          setEntries([...loaded].sort((a, b) => b.triage.priority - a.triage.priority));
          setError(undefined);
        }
      },
      (failure: unknown) => {
        if (current && !onUnauthorized(failure)) {
          setError('The worklist could not be loaded.');
        }
      },
    );
    return () => {
      current = false;
    };
  }, [bucket, version, onUnauthorized]);

  useEffect(() => {
    const events = new EventSource('/api/worklist/events');
    let timer: number | undefined;
    events.addEventListener('worklist', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        setVersion((previous) => previous + 1);
      }, 250);
    });
    return () => {
      window.clearTimeout(timer);
      events.close();
    };
  }, []);

  const allUseCases = useMemo(() => [...new Set((entries ?? []).flatMap(useCasesOf))].sort(), [entries]);
  const shown = (entries ?? []).filter((entry) => useCase === '' || useCasesOf(entry).includes(useCase));

  return (
    <main className="worklist-page">
      <div className="toolbar">
        <h1>Worklist</h1>
        <label>
          Bucket
          <select
            data-testid="bucket-filter"
            value={bucket}
            onChange={(event) => {
              setBucket(event.currentTarget.value as Bucket | '');
            }}
          >
            <option value="">All buckets</option>
            {buckets.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Use case
          <select
            data-testid="use-case-filter"
            value={useCase}
            onChange={(event) => {
              setUseCase(event.currentTarget.value);
            }}
          >
            <option value="">All use cases</option>
            {allUseCases.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <span className="count">{entries === undefined ? 'Loading…' : `${shown.length} studies`}</span>
      </div>
      {error === undefined ? null : (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <table className="worklist" data-testid="worklist">
        <thead>
          <tr>
            <th>Priority</th>
            <th>Bucket</th>
            <th>Reader</th>
            <th>Use case</th>
            <th>Why (AI-generated)</th>
            <th>Study date</th>
            <th>Accession</th>
            <th>Site</th>
            <th>Received</th>
            <th>Study</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((entry) => {
            const href = `/studies/${entry.studyInstanceUid}`;
            return (
              <tr
                key={entry.studyInstanceUid}
                data-testid="worklist-row"
                data-study-uid={entry.studyInstanceUid}
                data-bucket={entry.triage.bucket}
                data-claimed-by={entry.claim?.reader}
                onClick={() => {
                  navigate(href);
                }}
              >
                <td className="priority">{entry.triage.priority}</td>
                <td>
                  <BucketBadge bucket={entry.triage.bucket} />
                </td>
                <td>{entry.claim === undefined ? null : <ClaimBadge claim={entry.claim} />}</td>
                <td>{useCasesOf(entry).join(', ')}</td>
                <td className="reasons">
                  {entry.triage.reasons.map((reason) => (
                    <div key={`${reason.eye}-${reason.findingId}`}>
                      {reason.eye}: {reason.reason}
                      {reason.confidence === undefined ? '' : ` (${Math.round(reason.confidence * 100)} %)`}
                    </div>
                  ))}
                </td>
                <td>{formatDate(entry.studyDate)}</td>
                <td>{entry.accessionNumber ?? '—'}</td>
                <td>{entry.site}</td>
                <td>{new Date(entry.lastReceivedAt).toLocaleString()}</td>
                <td>
                  <a
                    href={href}
                    title={entry.studyInstanceUid}
                    onClick={(event) => {
                      event.preventDefault();
                      event.stopPropagation();
                      navigate(href);
                    }}
                  >
                    Open
                  </a>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </main>
  );
}
