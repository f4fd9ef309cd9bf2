/**
 * The review station: signs the clinician in (or finds the session), then shows the page the path names, with
 * a header holding the user and sign-out. A 401 from any page (session expired) returns to the sign-in page.
 */
import { useCallback, useEffect, useState } from 'react';
import { ApiError, currentSession, signOut, type Session } from './api.ts';
import { AuditPage } from './pages/audit.tsx';
import { ReportPage } from './pages/report.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { StudyPage } from './pages/study.tsx';
import { WorklistPage } from './pages/worklist.tsx';
import { navigate, routeOf, usePath } from './router.ts';

/** The app. */
export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const path = usePath();

  useEffect(() => {
    currentSession().then(
      (found) => {
        setSession(found ?? null);
      },
      () => {
        setSession(null);
      },
    );
  }, []);

  const onUnauthorized = useCallback((error: unknown): boolean => {
    if (error instanceof ApiError && error.status === 401) {
      setSession(null);
      return true;
    }
    return false;
  }, []);

  if (session === undefined) {
    return <p className="loading">Loading…</p>;
  }
  if (session === null) {
    return (
      <SignInPage
        onSignedIn={(signedIn) => {
          setSession(signedIn);
        }}
      />
    );
  }
  const route = routeOf(path);
  return (
    <div className="app">
      <nav className="top-bar">
        <a
          href="/"
          className="brand"
          onClick={(event) => {
            event.preventDefault();
            navigate('/');
          }}
        >
          Fovea review station
        </a>
        <span className="user" data-testid="signed-in-user">
          {session.username} ({session.roles.join(', ')})
        </span>
        <button
          type="button"
          onClick={() => {
            void signOut().finally(() => {
              setSession(null);
            });
          }}
        >
          Sign out
        </button>
      </nav>
      {route.page === 'worklist' ? <WorklistPage onUnauthorized={onUnauthorized} /> : null}
      {route.page === 'study' ? (
        <StudyPage
          key={route.studyInstanceUid}
          studyInstanceUid={route.studyInstanceUid}
          onUnauthorized={onUnauthorized}
        />
      ) : null}
      {route.page === 'report' ? (
        <ReportPage
          key={route.studyInstanceUid}
          studyInstanceUid={route.studyInstanceUid}
          session={session}
          onUnauthorized={onUnauthorized}
        />
      ) : null}
      {route.page === 'audit' ? (
        <AuditPage
          key={route.studyInstanceUid}
          studyInstanceUid={route.studyInstanceUid}
          onUnauthorized={onUnauthorized}
        />
      ) : null}
    </div>
  );
}
