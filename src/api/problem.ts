/**
 * One wire format for HTTP errors: RFC 9457 problem details (`application/problem+json`), built from the error
 * catalogue. 5xx answers never carry internal detail.
 * @see https://www.rfc-editor.org/rfc/rfc9457
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FoveaError, toFoveaError, type ErrorCode } from '../core/errors.ts';
import { logEvents } from '../core/log-events.ts';

/** A problem details body. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: ErrorCode;
  readonly detail?: string;
  readonly instance?: string;
  readonly path?: string;
}

/** The problem document for an error. */
export function problemFor(error: FoveaError, requestId?: string): Problem {
  const status = error.spec.http;
  return {
    type: `https://fovea.invalid/errors#${error.code}`,
    title: error.spec.title,
    status,
    code: error.code,
    ...(status < 500 && error.detail !== undefined ? { detail: error.detail } : {}),
    ...(status < 500 && error.path !== undefined ? { path: error.path } : {}),
    ...(requestId === undefined ? {} : { instance: `urn:fovea:request:${requestId}` }),
  };
}

/** Maps Fastify's own errors (validation, body parsing, limits) to catalogue errors. */
function fromFastify(error: FastifyError): FoveaError {
  if (error instanceof FoveaError) {
    return error;
  }
  if (error.validation !== undefined) {
    return new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: error.message });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new FoveaError('FOVEA_HTTP_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FoveaError('FOVEA_HTTP_UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: error.message });
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return new FoveaError('FOVEA_HTTP_BAD_REQUEST', { detail: error.message });
      }
      return toFoveaError(error);
  }
}

function send(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** Installs the error and not-found handlers on an app. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const failure = fromFastify(error);
    const level = failure.spec.http >= 500 ? 'error' : 'info';
    request.log[level](
      {
        event: logEvents.HTTP_REQUEST_FAILED,
        code: failure.code,
        route: request.routeOptions.url,
        status: failure.spec.http,
        ...(failure.spec.http >= 500 ? { err: error } : {}),
      },
      'request failed',
    );
    return send(reply, problemFor(failure, request.id));
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    send(reply, problemFor(new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such route' }), request.id)),
  );
}
