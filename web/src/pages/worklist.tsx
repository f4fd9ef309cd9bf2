/**
 * The worklist: triaged studies, most urgent first (`GET /api/worklist`), each with its bucket as a coloured
 * badge, the AI's reasons, whether a report is signed and, while a reader holds the study, a lock badge with the
 * reader's name; filters by bucket, use case, status (to read / signed), site and study date, all asked of the API,
 * a page of {@link pageSize} at a time with the total; a click opens the study. It re-reads the page whenever the gateway
 * announces a change (`GET /api/worklist/events`): a new or re-triaged study, a review, a sign-off, a claim or a
 * release.
 */
import { useEffect, useMemo, useState } from 'react';
import { buckets, fetchWorklist, type Bucket, type WorklistEntry, type WorklistRequest } from '../api.ts';
import { BucketBadge } from '../components/bucket-badge.tsx';
import { ClaimBadge } from '../components/claim-badge.tsx';
import { navigate } from '../router.ts';
import { builtInUseCases, useCaseOf } from '../use-cases.ts';

/** Studies per page. */
export const pageSize = 50;

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
  const [filter, setFilter] = useState<Omit<WorklistRequest, 'limit' | 'offset'>>({});
  const [offset, setOffset] = useState(0);
  const [entries, setEntries] = useState<WorklistEntry[] | undefined>(undefined);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);
  const [version, setVersion] = useState(0);

  /** Changes one filter and goes back to the first page. */
  const refine = (change: Partial<Omit<WorklistRequest, 'limit' | 'offset'>>) => {
    setFilter((previous) => ({ ...previous, ...change }));
    setOffset(0);
  };

  useEffect(() => {
    let current = true;
    fetchWorklist({ ...filter, limit: pageSize, offset }).then(
      (page) => {
        if (current) {
          setEntries(page.entries);
          setTotal(page.total);
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
  }, [filter, offset, version, onUnauthorized]);

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

  const allUseCases = useMemo(
    () => [...new Set([...builtInUseCases, ...(entries ?? []).flatMap(useCasesOf)])].sort(),
    [entries],
  );
  const shown = entries ?? [];
  const last = Math.min(offset + shown.length, total);

  return (
    <main className="worklist-page">
      <div className="toolbar">
        <h1>Worklist</h1>
        <label>
          Bucket
          <select
            data-testid="bucket-filter"
            value={filter.bucket ?? ''}
            onChange={(event) => {
              const value = event.currentTarget.value;
              refine({ bucket: value === '' ? undefined : (value as Bucket) });
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
            value={filter.useCase ?? ''}
            onChange={(event) => {
              refine({ useCase: event.currentTarget.value || undefined });
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
        <label>
          Status
          <select
            data-testid="status-filter"
            value={filter.status ?? ''}
            onChange={(event) => {
              const value = event.currentTarget.value;
              refine({ status: value === '' ? undefined : (value as 'unsigned' | 'signed') });
            }}
          >
            <option value="">All</option>
            <option value="unsigned">To read</option>
            <option value="signed">Signed</option>
          </select>
        </label>
        <label>
          Site
          <input
            data-testid="site-filter"
            type="search"
            size={10}
            value={filter.site ?? ''}
            onChange={(event) => {
              refine({ site: event.currentTarget.value || undefined });
            }}
          />
        </label>
        <label>
          Study date from
          <input
            data-testid="date-from-filter"
            type="date"
            value={filter.studyDateFrom ?? ''}
            onChange={(event) => {
              refine({ studyDateFrom: event.currentTarget.value || undefined });
            }}
          />
        </label>
        <label>
          to
          <input
            data-testid="date-to-filter"
            type="date"
            value={filter.studyDateTo ?? ''}
            onChange={(event) => {
              refine({ studyDateTo: event.currentTarget.value || undefined });
            }}
          />
        </label>
        <span className="count" data-testid="worklist-count">
          {entries === undefined
            ? 'Loading…'
            : total === 0
              ? '0 studies'
              : `${offset + 1}–${last} of ${total} studies`}
        </span>
        <button
          type="button"
          data-testid="previous-page"
          disabled={offset === 0}
          onClick={() => {
            setOffset(Math.max(0, offset - pageSize));
          }}
        >
          Previous
        </button>
        <button
          type="button"
          data-testid="next-page"
          disabled={offset + pageSize >= total}
          onClick={() => {
            setOffset(offset + pageSize);
          }}
        >
          Next
        </button>
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
            <th>Report</th>
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
                <td data-testid="report-status">
                  {entry.signedRevision === undefined
                    ? 'to read'
                    : entry.signedRevision === 1
                      ? 'signed'
                      : `signed (revision ${entry.signedRevision})`}
                </td>
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
