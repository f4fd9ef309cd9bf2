/**
 * The review station's static shell (`web/dist`, built by `npm run build:web`): `GET /` and `GET /*` serve its
 * files, and any other path that is not an API path gets `index.html` so the single-page app can route it.
 * Public like `/api/health`: the shell holds no data, every request it makes for data goes to the API, behind
 * authentication. Paths under `/api/` and `/dicomweb/` never fall back to the shell (a typo there is a 404
 * problem, not a page). When the app is not built, the shell answers 503 with how to build it.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { FoveaError } from '../../core/errors.ts';

/** Where the built review station is. */
export interface WebRouteOptions {
  /** The folder with `index.html` and `assets/` (default: the repository's `web/dist`). */
  readonly root?: string;
}

/** The repository's build output of the review station. */
export const defaultWebRoot = fileURLToPath(new URL('../../../web/dist', import.meta.url));

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Paths that belong to the API or DICOMweb and so never get the shell. */
const apiPrefixes = ['api/', 'dicomweb/'];
const apiPaths = new Set(['api', 'dicomweb', 'metrics']);

// The shell loads only its own scripts and styles; images come from the API (same origin); it is never framed.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

async function regularFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

/** Registers the routes of the review station's static shell. */
export function webRoutes(options: WebRouteOptions = {}): FastifyPluginAsync {
  const root = normalize(options.root ?? defaultWebRoot);

  const sendIndex = async (reply: FastifyReply): Promise<FastifyReply> => {
    let html: Buffer;
    try {
      html = await readFile(join(root, 'index.html'));
    } catch {
      return secure(reply)
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('The review station is not built: run `npm run build:web` (web/README.md).\n');
    }
    return secure(reply)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(html);
  };

  return async (app) => {
    app.get('/', { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      sendIndex(reply),
    );

    app.get('/*', { config: { role: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      if (apiPaths.has(path) || apiPrefixes.some((prefix) => path.startsWith(prefix))) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such route' });
      }
      const file = normalize(join(root, path));
      if (file.startsWith(root + sep) && (await regularFile(file))) {
        const immutable = path.startsWith('assets/');
        return secure(reply)
          .header('content-type', contentTypes[extname(file)] ?? 'application/octet-stream')
          .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .send(await readFile(file));
      }
      if (path.startsWith('assets/') || extname(path) in contentTypes) {
        throw new FoveaError('FOVEA_HTTP_NOT_FOUND', { detail: 'no such file' });
      }
      return sendIndex(reply);
    });
  };
}
