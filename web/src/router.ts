/**
 * A minimal history-API router: the gateway answers every non-API path with the shell, so a path such as
 * `/studies/1.2.3` is both a link and a page.
 */
import { useEffect, useState } from 'react';

const changeEvent = 'fovea:navigate';

/** Goes to `path` in this tab (adds a history entry). */
export function navigate(path: string): void {
  if (path !== window.location.pathname + window.location.search) {
    window.history.pushState(null, '', path);
  }
  window.dispatchEvent(new Event(changeEvent));
}

/** The current path, updated on navigation and on the browser's back and forward buttons. */
export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = (): void => {
      setPath(window.location.pathname);
    };
    window.addEventListener('popstate', update);
    window.addEventListener(changeEvent, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(changeEvent, update);
    };
  }, []);
  return path;
}

/** A page of the station. */
export type Route =
  | { readonly page: 'worklist' }
  | { readonly page: 'study' | 'report' | 'audit'; readonly studyInstanceUid: string };

/** Which page a path shows (anything unknown shows the worklist). */
export function routeOf(path: string): Route {
  const study = /^\/studies\/([0-9.]{1,64})(?:\/(report|audit))?\/?$/u.exec(path);
  if (study?.[1] !== undefined) {
    const page = study[2] === 'report' || study[2] === 'audit' ? study[2] : 'study';
    return { page, studyInstanceUid: study[1] };
  }
  return { page: 'worklist' };
}
