/**
 * Records an audit event for every request a known caller makes (views of patient data, decisions, admin
 * actions) and for every sign-in attempt, after the response is sent (so auditing adds no latency). Health,
 * metrics, the OpenAPI document, the review station's static shell and "who am I" are not recorded. A route may
 * add what the request was about ({@link noteAudit}): a review records the finding, its kind and concept, the
 * decision, the reviewer's value or reason; a claim route names its action (`claim`, `release`, `claim-break`)
 * and the reader. Details never carry patient identifiers.
 * @see https://hl7.org/fhir/R4/auditevent.html
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEventDraft, AuditLog } from '../core/audit.ts';
import { logEvents } from '../core/log-events.ts';

/** What a route adds to its request's audit event. */
export interface AuditNote {
  /** Replaces the action named after the method (`view`, `post`, `delete` …). */
  readonly action?: string;
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by a route with {@link noteAudit}; read by the audit hook. */
    auditNote?: AuditNote;
  }
}

/** Adds to the audit event of a request (the last note of an action wins; details accumulate). */
export function noteAudit(request: FastifyRequest, note: AuditNote): void {
  const previous = request.auditNote;
  request.auditNote = {
    ...(note.action === undefined
      ? previous?.action === undefined
        ? {}
        : { action: previous.action }
      : { action: note.action }),
    details: { ...previous?.details, ...note.details },
  };
}

const unaudited = new Set(['/api/health', '/metrics', '/api/openapi.json', '/', '/*']);
/**
 * Reads that show no patient data and that the station repeats on every live update: who holds a study's claim.
 * Claiming, releasing and breaking a claim are recorded.
 */
const unauditedReads = new Set(['/api/studies/:StudyInstanceUID/claim']);

function draftOf(request: FastifyRequest, status: number): AuditEventDraft | undefined {
  const route = request.routeOptions.url;
  if (
    route === undefined ||
    unaudited.has(route) ||
    (request.method === 'GET' && unauditedReads.has(route))
  ) {
    return undefined;
  }
  const outcome = status < 400 ? 'success' : 'failure';
  const from = request.ip;
  if (route === '/api/session') {
    if (request.method === 'POST') {
      const body = request.body as { username?: unknown } | undefined;
      const actor = typeof body?.username === 'string' ? body.username.slice(0, 128) : '?';
      return { actor, actorKind: 'user', action: 'sign-in', target: route, outcome, from };
    }
    if (request.method === 'DELETE' && request.principal !== undefined) {
      return {
        actor: request.principal.name,
        actorKind: request.principal.kind,
        action: 'sign-out',
        target: route,
        outcome,
        from,
      };
    }
    return undefined;
  }
  const principal = request.principal;
  if (principal === undefined) {
    return undefined;
  }
  const params = request.params as Record<string, string | undefined> | undefined;
  const study = params?.StudyInstanceUID;
  const note = request.auditNote;
  return {
    actor: principal.name,
    actorKind: principal.kind,
    action: note?.action ?? (request.method === 'GET' ? 'view' : request.method.toLowerCase()),
    target: route,
    ...(study === undefined ? {} : { studyInstanceUid: study }),
    outcome,
    from,
    details: { ...note?.details, status },
  };
}

/** Installs the audit hook. */
export function installAuditHook(app: FastifyInstance, audit: AuditLog): void {
  app.decorateRequest('auditNote', undefined);
  app.addHook('onResponse', async (request, reply) => {
    const draft = draftOf(request, reply.statusCode);
    if (draft === undefined) {
      return;
    }
    try {
      await audit.append(draft);
    } catch (error) {
      request.log.error({ event: logEvents.AUDIT_APPEND_FAILED, err: error }, 'audit event not recorded');
    }
  });
}
