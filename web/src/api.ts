/**
 * The review station's client of the Fovea API: same-origin requests with the session cookie, the CSRF token
 * echoed on every state-changing request, problem+json errors as {@link ApiError}. Types are the API's own
 * contract types (type-only imports: nothing of the server is bundled).
 */
import type { FindingView, RejectReasonCode, WorklistView } from '../../src/api/result-schemas.ts';
import type { InstanceView, StudyDetailView } from '../../src/api/schemas.ts';
import type { StudyClaimView } from '../../src/api/claim-schemas.ts';
import type {
  PriorVisitMeasureView,
  PriorVisitView,
  VisualFieldEyeView,
  VisualFieldPointView,
  VisualFieldsView,
  VisualFieldTestView,
} from '../../src/api/visual-field-schemas.ts';

export type {
  PriorVisitMeasureView,
  PriorVisitView,
  VisualFieldEyeView,
  VisualFieldPointView,
  VisualFieldsView,
  VisualFieldTestView,
};

export type { FindingView, InstanceView, RejectReasonCode, StudyDetailView, WorklistView };

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

/** An API answer other than 2xx (RFC 9457 problem details): status, title, detail, catalogue code, field path. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly title: string | undefined;
  readonly path: string | undefined;

  constructor(status: number, message: string, code?: string, title?: string, path?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.title = title;
    this.path = path;
  }
}

let csrfToken: string | undefined;

async function failure(response: Response): Promise<ApiError> {
  let detail = response.statusText;
  let code: string | undefined;
  let title: string | undefined;
  let path: string | undefined;
  try {
    const problem = (await response.json()) as {
      detail?: string;
      title?: string;
      code?: string;
      path?: string;
    };
    detail = problem.detail ?? problem.title ?? detail;
    ({ code, title, path } = problem);
  } catch {
    // Not a problem document: the status text says enough.
  }
  return new ApiError(response.status, detail, code, title, path);
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

/** The worklist's filters (each optional) and page. */
export interface WorklistRequest {
  readonly bucket?: Bucket;
  readonly site?: string;
  readonly useCase?: string;
  readonly status?: 'unsigned' | 'signed';
  /** `YYYY-MM-DD`, inclusive. */
  readonly studyDateFrom?: string;
  /** `YYYY-MM-DD`, inclusive. */
  readonly studyDateTo?: string;
  readonly limit: number;
  readonly offset: number;
}

/** One page of the worklist, most urgent first, and how many studies match the filters. */
export async function fetchWorklist(
  request: WorklistRequest,
): Promise<{ entries: WorklistEntry[]; total: number }> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(request)) {
    if (value !== undefined && value !== '') {
      query.set(name, String(value));
    }
  }
  const page = await getJson<WorklistView>(`/api/worklist?${query.toString()}`);
  return { entries: page.entries, total: page.total };
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

/**
 * The URL of the AI's lesion heatmap of a photograph (a PNG with alpha), scaled to fit `maxSize`; `version` is a
 * cache key the caller changes when the findings behind the heatmap change.
 */
export function heatmapUrl(
  studyInstanceUid: string,
  sopInstanceUid: string,
  maxSize: number,
  version: string,
): string {
  const query = new URLSearchParams({ maxSize: String(maxSize), v: version });
  return `/api/studies/${encodeURIComponent(studyInstanceUid)}/lesion-heatmap/${encodeURIComponent(sopInstanceUid)}?${query.toString()}`;
}

/** A reviewer's decision on one finding, as the API takes it. */
export type ReviewRequest =
  | { readonly decision: 'accept' }
  | { readonly decision: 'modify'; readonly value: Readonly<Record<string, unknown>> }
  | {
      readonly decision: 'reject';
      readonly reasonCode?: RejectReasonCode;
      readonly reason?: string;
    };

/** One review of one finding, as the API gives it. */
export interface ReviewView {
  readonly id: string;
  readonly findingId: string;
  readonly decision: string;
  readonly value?: Readonly<Record<string, unknown>>;
  readonly reason?: string;
  readonly reasonCode?: RejectReasonCode;
  readonly reviewer: string;
  readonly reviewedAt: string;
}

/** One signed version of a study's report. */
export interface SignOffView {
  readonly revision: number;
  readonly text: string;
  readonly signer: string;
  readonly signerName: string;
  readonly signedAt: string;
}

/** `GET /api/studies/{uid}/report`: reviewed findings, every review, the draft and the sign-offs. */
export interface ReportView {
  readonly studyInstanceUid: string;
  readonly draft: string;
  readonly unreviewed: number;
  readonly findings: readonly FindingView[];
  readonly reviews: readonly ReviewView[];
  readonly signOffs: readonly SignOffView[];
}

/** One event of a study's audit trail (hash-chained, newest first). */
export interface AuditEventView {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly actorKind: string;
  readonly action: string;
  readonly target: string;
  readonly studyInstanceUid?: string;
  readonly outcome: string;
  readonly from?: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
  readonly hash: string;
}

function studyPath(studyInstanceUid: string): string {
  return `/api/studies/${encodeURIComponent(studyInstanceUid)}`;
}

async function postJson<T>(path: string, body: unknown): Promise<T> {
  const response = await request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as T;
}

/** Records a decision on one finding; answers the finding as reviewed and the review. */
export async function reviewFinding(
  studyInstanceUid: string,
  findingId: string,
  review: ReviewRequest,
): Promise<{ finding: FindingView; review: ReviewView }> {
  return postJson(`${studyPath(studyInstanceUid)}/findings/${encodeURIComponent(findingId)}/review`, review);
}

/** The study's reviews, draft report and sign-offs. */
export async function fetchReport(studyInstanceUid: string): Promise<ReportView> {
  return getJson<ReportView>(`${studyPath(studyInstanceUid)}/report`);
}

/** Signs the report (a later signature is a corrected revision); answers the revision and the objects queued. */
export async function signReport(
  studyInstanceUid: string,
  text: string,
  signerName: string,
): Promise<{ revision: number; objects: string[] }> {
  return postJson(`${studyPath(studyInstanceUid)}/sign`, { text, signerName });
}

/** The study's audit trail, newest first. */
export async function fetchAudit(studyInstanceUid: string): Promise<AuditEventView[]> {
  return (await getJson<{ events: AuditEventView[] }>(`${studyPath(studyInstanceUid)}/audit?limit=1000`))
    .events;
}

/** The AI's fluid on one OCT B-scan: horizontal pixel runs per fluid type, and the frames holding any fluid. */
export interface OctFluidView {
  readonly sopInstanceUid: string;
  readonly eye: 'R' | 'L';
  readonly analysisId: string;
  readonly analyzer: string;
  readonly aiGenerated: true;
  readonly label: string;
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  readonly framesWithFluid: readonly number[];
  readonly frame: number;
  readonly runs: readonly {
    readonly fluid: 'IRF' | 'SRF' | 'PED';
    readonly row: number;
    readonly column: number;
    readonly length: number;
  }[];
}

/** The fluid mask of one B-scan (1-based frame), or undefined when no visible analysis masked the volume. */
export async function fetchOctFluid(
  studyInstanceUid: string,
  sopInstanceUid: string,
  frame: number,
): Promise<OctFluidView | undefined> {
  try {
    return await getJson<OctFluidView>(
      `${studyPath(studyInstanceUid)}/oct-fluid/${encodeURIComponent(sopInstanceUid)}?frame=${String(frame)}`,
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return undefined;
    }
    throw error;
  }
}

/** A JSON answer, or undefined for a 404 (a view the study does not have). */
async function getJsonUnless404<T>(path: string): Promise<T | undefined> {
  try {
    return await getJson<T>(path);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      return undefined;
    }
    throw error;
  }
}

/** A point (x = column, y = row) in an image's pixels. */
export type ImagePoint = readonly [number, number];

/** The AI's layer boundaries on one OCT B-scan: polylines in B-scan pixels (y = row, 0 at the top edge). */
export interface OctLayersView {
  readonly sopInstanceUid: string;
  readonly eye: 'R' | 'L';
  readonly analysisId: string;
  readonly analyzer: string;
  readonly aiGenerated: true;
  readonly label: string;
  readonly frames: number;
  readonly rows: number;
  readonly columns: number;
  readonly frame: number;
  readonly layers: readonly {
    readonly name: string;
    readonly segments: readonly (readonly ImagePoint[])[];
  }[];
}

/** The layer lines of one B-scan (1-based frame), or undefined when no visible analysis kept lines for the volume. */
export async function fetchOctLayers(
  studyInstanceUid: string,
  sopInstanceUid: string,
  frame: number,
): Promise<OctLayersView | undefined> {
  return getJsonUnless404<OctLayersView>(
    `${studyPath(studyInstanceUid)}/oct-layers/${encodeURIComponent(sopInstanceUid)}?frame=${String(frame)}`,
  );
}

/** An OCT volume's SLO and each B-scan's line on it (SLO pixels), from the frame locations or the geometry. */
export interface OctSloView {
  readonly sopInstanceUid: string;
  readonly eye: 'R' | 'L';
  readonly frames: number;
  readonly slo: { readonly sopInstanceUid: string; readonly rows: number; readonly columns: number };
  readonly source: 'ophthalmic-frame-location' | 'volume-geometry';
  readonly lines: readonly { readonly frame: number; readonly points: readonly ImagePoint[] }[];
}

/** The SLO view of a volume, or undefined when the study holds no image of its eye to draw on. */
export async function fetchOctSlo(
  studyInstanceUid: string,
  sopInstanceUid: string,
): Promise<OctSloView | undefined> {
  return getJsonUnless404<OctSloView>(
    `${studyPath(studyInstanceUid)}/oct-slo/${encodeURIComponent(sopInstanceUid)}`,
  );
}

/** The study's visual fields per eye, right eye first. */
export async function fetchVisualFields(studyInstanceUid: string): Promise<VisualFieldsView> {
  return getJson<VisualFieldsView>(`${studyPath(studyInstanceUid)}/visual-fields`);
}

/** The patient's previous visit of the same modality and the change of the key measures per eye. */
export async function fetchPriorVisit(studyInstanceUid: string): Promise<PriorVisitView> {
  return getJson<PriorVisitView>(`${studyPath(studyInstanceUid)}/prior-visit`);
}

/** A study's claim on the worklist as the caller sees it (who holds it, and what the caller may do). */
export type { StudyClaimView };

/** Who holds a study and what the caller may do about it. */
export async function fetchClaim(studyInstanceUid: string): Promise<StudyClaimView> {
  return getJson<StudyClaimView>(`${studyPath(studyInstanceUid)}/claim`);
}

/** Claims the study for the signed-in reader (or renews their claim); 409 while another reader holds it. */
export async function claimStudy(studyInstanceUid: string): Promise<StudyClaimView> {
  return postJson<StudyClaimView>(`${studyPath(studyInstanceUid)}/claim`, {});
}

/** Releases the reader's claim, or (admin) breaks another reader's. */
export async function releaseClaim(studyInstanceUid: string): Promise<void> {
  await request(`${studyPath(studyInstanceUid)}/claim`, { method: 'DELETE' });
}
