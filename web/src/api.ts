/**
 * The review station's client of the Fovea API: same-origin requests with the session cookie, the CSRF token
 * echoed on every state-changing request, problem+json errors as {@link ApiError}. Types are the API's own
 * contract types (type-only imports: nothing of the server is bundled).
 */
import type { FindingView, WorklistView } from '../../src/api/result-schemas.ts';
import type { InstanceView, StudyDetailView } from '../../src/api/schemas.ts';

export type { FindingView, InstanceView, StudyDetailView, WorklistView };

/** One worklist row. */
export type WorklistEntry = WorklistView['entries'][number];

/** The triage buckets, most urgent first. */
export const buckets = ['stat', 'referable', 'recapture', 'routine', 'review-and-release'] as const;

/** A worklist bucket. */
export type Bucket = (typeof buckets)[number];

/** The signed-in caller. */
export interface Session {
  readonly username: string;
  readonly roles: readonly string[];
  readonly csrfToken?: string;
}

/** An API answer other than 2xx, with the problem's code when there is one. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;

  constructor(status: number, message: string, code?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

let csrfToken: string | undefined;

async function failure(response: Response): Promise<ApiError> {
  let detail = response.statusText;
  let code: string | undefined;
  try {
    const problem = (await response.json()) as { detail?: string; title?: string; code?: string };
    detail = problem.detail ?? problem.title ?? detail;
    code = problem.code;
  } catch {
    // Not a problem document: the status text says enough.
  }
  return new ApiError(response.status, detail, code);
}

async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers);
  headers.set('accept', 'application/json');
  if (method !== 'GET' && method !== 'HEAD' && csrfToken !== undefined) {
    headers.set('x-csrf-token', csrfToken);
  }
  const response = await fetch(path, { ...init, method, headers, credentials: 'same-origin' });
  if (!response.ok) {
    throw await failure(response);
  }
  return response;
}

/** GETs a JSON document of the API. */
export async function getJson<T>(path: string): Promise<T> {
  return (await (await request(path)).json()) as T;
}

/** Signs in with a local account; keeps the session's CSRF token for later requests. */
export async function signIn(username: string, password: string): Promise<Session> {
  const response = await request('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const session = (await response.json()) as Session;
  csrfToken = session.csrfToken;
  return session;
}

/** The current session, or undefined when nobody is signed in. */
export async function currentSession(): Promise<Session | undefined> {
  try {
    const session = await getJson<Session>('/api/session');
    csrfToken = session.csrfToken;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      return undefined;
    }
    throw error;
  }
}

/** Ends the session. */
export async function signOut(): Promise<void> {
  await request('/api/session', { method: 'DELETE' });
  csrfToken = undefined;
}

/** The worklist, most urgent first, optionally one bucket only. */
export async function fetchWorklist(bucket?: Bucket): Promise<WorklistEntry[]> {
  const query = new URLSearchParams({ limit: '500' });
  if (bucket !== undefined) {
    query.set('bucket', bucket);
  }
  return (await getJson<WorklistView>(`/api/worklist?${query.toString()}`)).entries;
}

/** A study: patient, instances per eye, triage. */
export async function fetchStudy(studyInstanceUid: string): Promise<StudyDetailView> {
  return getJson<StudyDetailView>(`/api/studies/${encodeURIComponent(studyInstanceUid)}`);
}

/** The study's visible AI findings. */
export async function fetchFindings(studyInstanceUid: string): Promise<FindingView[]> {
  const list = await getJson<{ findings: FindingView[] }>(
    `/api/studies/${encodeURIComponent(studyInstanceUid)}/findings`,
  );
  return list.findings;
}

/** The URL of one rendered frame (1-based) of an instance, at most `maxSize` pixels on its longer side. */
export function renderedUrl(sopInstanceUid: string, frame: number, maxSize: number): string {
  const query = new URLSearchParams({ frame: String(frame), maxSize: String(maxSize) });
  return `/api/instances/${encodeURIComponent(sopInstanceUid)}/rendered?${query.toString()}`;
}
