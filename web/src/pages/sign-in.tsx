/**
 * The sign-in page: a local account's user name and password (`POST /api/session`).
 */
import { useState, type SyntheticEvent } from 'react';
import { ApiError, signIn, type Session } from '../api.ts';

/** Signs in and hands the session to the app. */
export function SignInPage({ onSignedIn }: { readonly onSignedIn: (session: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SyntheticEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await signIn(username, password));
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'Wrong user name or password, or the account is locked.'
          : 'Sign-in failed; try again.',
      );
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form
        className="sign-in-form"
        data-testid="sign-in-form"
        onSubmit={(event) => {
          void submit(event);
        }}
      >
        <h1>Fovea review station</h1>
        <label>
          User name
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onChange={(event) => {
              setUsername(event.currentTarget.value);
            }}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => {
              setPassword(event.currentTarget.value);
            }}
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error === undefined ? null : (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
