/**
 * One value a component loads from the gateway: the latest answer of `load` (a memoised callback; a new one
 * loads again), an answer that arrives after the component moved on is dropped, and a failure is kept unless
 * `onUnauthorized` took it (a lost session). The value already shown stays until the next one arrives.
 */
import { useEffect, useState } from 'react';

/** What {@link useLoaded} gives: the value once loaded, the last failure. */
export interface Loaded<T> {
  readonly value: T | undefined;
  readonly error: unknown;
}

/** Loads a value with `load` whenever it changes (see the module's comment). */
export function useLoaded<T>(load: () => Promise<T>, onUnauthorized: (error: unknown) => boolean): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ value: undefined, error: undefined });
  useEffect(() => {
    let current = true;
    load().then(
      (value) => {
        if (current) {
          setState({ value, error: undefined });
        }
      },
      (failure: unknown) => {
        if (current && !onUnauthorized(failure)) {
          setState((previous) => ({ value: previous.value, error: failure }));
        }
      },
    );
    return () => {
      current = false;
    };
  }, [load, onUnauthorized]);
  return state;
}
