/**
 * An API error shown as the problem details the gateway answered (RFC 9457): the title, the detail, the field it
 * is about, the HTTP status and the catalogue code, so a refused decision says why. Other errors show their
 * message.
 */
import { ApiError } from '../api.ts';

/** Shows an error in an alert region; nothing when there is none. */
export function ProblemAlert({ error }: { readonly error: unknown }) {
  if (error === undefined || error === null) {
    return null;
  }
  if (error instanceof ApiError) {
    return (
      <div
        className="problem"
        role="alert"
        data-testid="problem"
        data-status={error.status}
        data-code={error.code}
      >
        <strong>{error.title ?? 'Request refused'}</strong>
        {error.message === '' || error.message === error.title ? null : <span>: {error.message}</span>}
        {error.path === undefined ? null : <span className="problem-path"> (field {error.path})</span>}
        <div className="problem-code">
          HTTP {error.status}
          {error.code === undefined ? '' : ` · ${error.code}`}
        </div>
      </div>
    );
  }
  return (
    <div className="problem" role="alert" data-testid="problem">
      <strong>{error instanceof Error ? error.message : 'The request failed.'}</strong>
    </div>
  );
}
