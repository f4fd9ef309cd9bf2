/**
 * `Expect: 100-continue` answered after the header checks, not before. Node answers `100 Continue` on its own
 * as soon as the headers arrive, so a client such as curl (which asks for it on bodies over 1 MB) starts
 * sending a STOW-RS body that the route is about to refuse (415, 401, 413 …); the route closes the connection
 * without reading it and the client fails with "broken pipe" instead of reading the problem+json. With this
 * hook, `100 Continue` is sent only when a request reaches body parsing (Fastify's `preParsing`), i.e. after
 * authentication and the route's `onRequest` checks; a request refused before that gets its final status
 * without `100`, and the client never sends the body (RFC 9110 §10.1.1).
 * @see https://www.rfc-editor.org/rfc/rfc9110.html#section-10.1.1
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

const installed = new WeakSet<object>();

/**
 * Installs the deferred `100 Continue` on an app and its HTTP server; call once on the root app, before the
 * routes are registered.
 */
export function deferExpectContinue(app: FastifyInstance): void {
  const server = app.server;
  if (installed.has(server)) {
    return;
  }
  installed.add(server);
  const awaiting = new WeakSet<IncomingMessage>();
  server.on('checkContinue', (request: IncomingMessage, response: ServerResponse) => {
    awaiting.add(request);
    server.emit('request', request, response);
  });
  app.addHook('preParsing', (request, reply, payload, done) => {
    if (awaiting.has(request.raw)) {
      awaiting.delete(request.raw);
      reply.raw.writeContinue();
    }
    done(null, payload);
  });
}
