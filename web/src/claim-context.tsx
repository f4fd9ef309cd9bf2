/**
 * A study's worklist claim in the review station: who holds the study (`GET /api/studies/{uid}/claim`), kept
 * current by the worklist's event stream (a claim or release announces the study), and the actions on it —
 * claim, release, an admin's break. The study page provides it to the review controls through
 * {@link ClaimContext}: they are disabled while another reader holds the study, and a review decision first claims
 * the study for the reader (or renews their claim), so whoever starts reviewing holds it.
 */
import { createContext, useCallback, useEffect, useMemo, useState } from 'react';
import { claimStudy, fetchClaim, releaseClaim, type StudyClaimView } from './api.ts';

/** What the review controls need to know of the claim. */
export interface ClaimState {
  /** The reader holding the study, when it is someone else. */
  readonly heldBy?: string;
  /** Since when (ISO 8601), with `heldBy`. */
  readonly heldSince?: string;
  /** Claims the study for the signed-in reader, or renews their claim; rejects while another reader holds it. */
  readonly ensureClaim: () => Promise<void>;
}

/** The claim of the study on the page (absent outside a study page: nothing is locked). */
export const ClaimContext = createContext<ClaimState | undefined>(undefined);

/** A study's claim, its actions, and the state the review controls read. */
export interface StudyClaim {
  readonly view?: StudyClaimView;
  readonly error: unknown;
  readonly busy: boolean;
  readonly claim: () => void;
  /** Releases the reader's claim, or breaks another reader's (admin). */
  readonly release: () => void;
  readonly state: ClaimState;
}

/** Loads a study's claim and follows it live. */
export function useStudyClaim(
  studyInstanceUid: string,
  onUnauthorized: (error: unknown) => boolean,
): StudyClaim {
  const [view, setView] = useState<StudyClaimView | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let current = true;
    fetchClaim(studyInstanceUid).then(
      (loaded) => {
        if (current) {
          setView(loaded);
        }
      },
      (failure: unknown) => {
        if (current && !onUnauthorized(failure)) {
          setError(failure);
        }
      },
    );
    return () => {
      current = false;
    };
  }, [studyInstanceUid, version, onUnauthorized]);

  useEffect(() => {
    const events = new EventSource('/api/worklist/events');
    events.addEventListener('worklist', (event) => {
      const data = JSON.parse((event as MessageEvent<string>).data) as { studyInstanceUid?: string };
      if (data.studyInstanceUid === studyInstanceUid) {
        setVersion((previous) => previous + 1);
      }
    });
    return () => {
      events.close();
    };
  }, [studyInstanceUid]);

  const act = useCallback(
    (action: () => Promise<unknown>) => {
      setBusy(true);
      setError(undefined);
      action().then(
        () => {
          setBusy(false);
          setVersion((previous) => previous + 1);
        },
        (failure: unknown) => {
          setBusy(false);
          setVersion((previous) => previous + 1);
          if (!onUnauthorized(failure)) {
            setError(failure);
          }
        },
      );
    },
    [onUnauthorized],
  );

  const ensureClaim = useCallback(async () => {
    try {
      setView(await claimStudy(studyInstanceUid));
    } catch (failure) {
      setVersion((previous) => previous + 1);
      throw failure;
    }
  }, [studyInstanceUid]);

  const holder = view?.claim;
  const state = useMemo<ClaimState>(
    () =>
      holder === undefined || holder === null || holder.mine
        ? { ensureClaim }
        : { heldBy: holder.reader, heldSince: holder.claimedAt, ensureClaim },
    [holder, ensureClaim],
  );

  return {
    ...(view === undefined ? {} : { view }),
    error,
    busy,
    claim: () => {
      act(() => claimStudy(studyInstanceUid));
    },
    release: () => {
      act(() => releaseClaim(studyInstanceUid));
    },
    state,
  };
}
