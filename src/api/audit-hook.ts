/**
 * Records an audit event for every request a known caller makes (views of patient data, decisions, admin
 * actions) and for every sign-in attempt, after the response is sent (so auditing adds no latency). Health,
 * metrics, the OpenAPI document, the review station's static shell and "who am I" are not recorded.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditEventDraft, AuditLog } from '../core/audit.ts';
import { logEvents } from '../core/log-events.ts';

const unaudited = new Set(['/api/health', '/metrics', '/api/openapi.json', '/', '/*']);

function draftOf(request: FastifyRequest, status: number): AuditEventDraft | undefined {
  const route = request.routeOptions.url;
  if (route === undefined || unaudited.has(route)) {
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
  return {
    actor: principal.name,
    actorKind: principal.kind,
    action: request.method === 'GET' ? 'view' : request.method.toLowerCase(),
    target: route,
    ...(study === undefined ? {} : { studyInstanceUid: study }),
    outcome,
    from,
    details: { status },
  };
}

/** Installs the audit hook. */
export function installAuditHook(app: FastifyInstance, audit: AuditLog): void {
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
