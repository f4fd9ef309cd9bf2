/**
 * Access control of the API, deny by default: every route declares a role (`config.role`); a caller is a
 * signed-in user (session cookie) or a service (bearer token), and a route answers 401 without a caller and
 * 403 without the role (`core/roles.ts` says what each role grants). Sessions: local sign-in at
 * `POST /api/session` (scrypt-hashed passwords, lock-out after repeated failures), an HttpOnly SameSite=Strict
 * cookie, idle and absolute timeouts, and a CSRF token that every state-changing request made with the cookie
 * must echo in `X-CSRF-Token`. Bearer tokens come from the configuration (`FOVEA_API_TOKEN`,
 * `FOVEA_INGEST_TOKEN`) or from `fovea token add`; only their SHA-256 is kept.
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { hashPassword, randomSecret, secretHash, verifyPassword } from '../auth/index.ts';
import type { AuthStore } from '../core/auth-store.ts';
import { FoveaError } from '../core/errors.ts';
import { logEvents } from '../core/log-events.ts';
import { roleAllows, type Principal, type Role } from '../core/roles.ts';
import { ProblemSchema } from './schemas.ts';

/** A bearer token known from the configuration. */
export interface ConfiguredToken {
  readonly name: string;
  readonly token: string;
  readonly roles: readonly Role[];
}

/** What access control needs. */
export interface AuthOptions {
  readonly store: AuthStore;
  readonly tokens: readonly ConfiguredToken[];
  readonly sessionIdleMinutes: number;
  readonly sessionMaxHours: number;
  readonly maxFailedLogins: number;
  readonly lockoutMinutes: number;
  readonly secureCookies: boolean;
  readonly now?: () => Date;
}

/** The session cookie's name. */
export const sessionCookie = 'fovea_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller, when there is one. */
    principal?: Principal;
    /** The CSRF token of the caller's session. */
    csrfToken?: string;
  }
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      return rest.join('=');
    }
  }
  return undefined;
}

function cookie(options: AuthOptions, value: string, maxAgeSeconds: number): string {
  return [
    `${sessionCookie}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    ...(options.secureCookies ? ['Secure'] : []),
  ].join('; ');
}

/** A hash a missing account's password is checked against, so a wrong name takes as long as a wrong password. */
const decoyHash = hashPassword(randomSecret(16));

const SignInSchema = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 128 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

const SessionViewSchema = Type.Object({
  username: Type.String(),
  kind: Type.Union([Type.Literal('user'), Type.Literal('token')]),
  roles: Type.Array(Type.String()),
  csrfToken: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
});

/** Installs access control and the session routes on `app` (before the other routes are registered). */
export async function installAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  const now = options.now ?? (() => new Date());
  const configured = new Map(options.tokens.map((entry) => [secretHash(entry.token), entry]));

  const resolve = async (request: FastifyRequest): Promise<void> => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/iu.exec(authorization);
      const hash = match?.[1] === undefined ? undefined : secretHash(match[1]);
      const token =
        hash === undefined ? undefined : (configured.get(hash) ?? (await options.store.getToken(hash)));
      if (token === undefined) {
        throw new FoveaError('FOVEA_HTTP_UNAUTHORIZED', { detail: 'the bearer token is not valid' });
      }
      request.principal = { kind: 'token', name: token.name, roles: token.roles };
      return;
    }
    const value = cookieValue(request.headers.cookie, sessionCookie);
    if (value === undefined || value === '') {
      return;
    }
    const idHash = secretHash(value);
    const session = await options.store.getSession(idHash);
    const at = now();
    if (
      session === undefined ||
      session.expiresAt <= at ||
      session.lastSeenAt.getTime() + options.sessionIdleMinutes * 60_000 <= at.getTime()
    ) {
      return;
    }
    const account = await options.store.getAccount(session.accountId);
    if (account === undefined || account.disabled) {
      return;
    }
    request.principal = { kind: 'user', name: account.username, roles: account.roles, sessionId: idHash };
    request.csrfToken = session.csrfToken;
    if (at.getTime() - session.lastSeenAt.getTime() > 30_000) {
      await options.store.touchSession(idHash, at);
    }
  };

  app.addHook('onRequest', async (request) => {
    const required = request.routeOptions.config.role;
    if (required === undefined) {
      return;
    }
    await resolve(request);
    const principal = request.principal;
    if (principal?.kind === 'user' && !safeMethods.has(request.method)) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || sent !== request.csrfToken) {
        request.log.info(
          { event: logEvents.AUTH_DENIED, route: request.routeOptions.url, reason: 'csrf' },
          'request refused',
        );
        throw new FoveaError('FOVEA_HTTP_FORBIDDEN', { detail: 'the CSRF token is missing or wrong' });
      }
    }
    if (required === 'public') {
      return;
    }
    if (principal === undefined) {
      throw new FoveaError('FOVEA_HTTP_UNAUTHORIZED', { detail: 'sign in or send a bearer token' });
    }
    if (!roleAllows(principal.roles, required)) {
      request.log.info(
        { event: logEvents.AUTH_DENIED, route: request.routeOptions.url, required, caller: principal.name },
        'request refused',
      );
      throw new FoveaError('FOVEA_HTTP_FORBIDDEN', { detail: `this needs the ${required} role` });
    }
  });

  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  typed.post(
    '/api/session',
    {
      config: { role: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Sign in with a local account; sets the session cookie and returns the CSRF token',
        body: SignInSchema,
        response: { 200: SessionViewSchema, 401: ProblemSchema },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const failed = (): FoveaError =>
        new FoveaError('FOVEA_HTTP_UNAUTHORIZED', {
          detail: 'wrong user name or password, or account locked',
        });
      const account = await options.store.getAccountByName(username);
      if (account === undefined || account.disabled) {
        await verifyPassword(password, await decoyHash);
        request.log.info(
          { event: logEvents.AUTH_SIGN_IN_FAILED, reason: 'unknown-or-disabled' },
          'sign-in failed',
        );
        throw failed();
      }
      const at = now();
      if (account.lockedUntil !== undefined && account.lockedUntil > at) {
        request.log.info(
          { event: logEvents.AUTH_SIGN_IN_FAILED, user: account.username, reason: 'locked' },
          'sign-in failed',
        );
        throw failed();
      }
      if (!(await verifyPassword(password, account.passwordHash))) {
        const updated = await options.store.recordFailedLogin(
          account.id,
          options.maxFailedLogins,
          new Date(at.getTime() + options.lockoutMinutes * 60_000),
        );
        const locked = updated?.lockedUntil !== undefined && updated.lockedUntil > at;
        request.log.info(
          {
            event: locked ? logEvents.AUTH_ACCOUNT_LOCKED : logEvents.AUTH_SIGN_IN_FAILED,
            user: account.username,
          },
          locked ? 'account locked after repeated failures' : 'sign-in failed',
        );
        throw failed();
      }
      await options.store.recordSuccessfulLogin(account.id);
      const secret = randomSecret();
      const csrfToken = randomSecret(24);
      const expiresAt = new Date(at.getTime() + options.sessionMaxHours * 3_600_000);
      await options.store.createSession({
        idHash: secretHash(secret),
        accountId: account.id,
        csrfToken,
        createdAt: at,
        lastSeenAt: at,
        expiresAt,
      });
      request.log.info({ event: logEvents.AUTH_SIGNED_IN, user: account.username }, 'signed in');
      void reply.header('set-cookie', cookie(options, secret, options.sessionMaxHours * 3600));
      return {
        username: account.username,
        kind: 'user' as const,
        roles: [...account.roles],
        csrfToken,
        expiresAt: expiresAt.toISOString(),
      };
    },
  );

  typed.get(
    '/api/session',
    {
      config: { role: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Who is calling (the signed-in user or the token), with the CSRF token of a session',
        response: { 200: SessionViewSchema, 401: ProblemSchema },
      },
    },
    async (request) => {
      const principal = request.principal;
      if (principal === undefined) {
        throw new FoveaError('FOVEA_HTTP_UNAUTHORIZED', { detail: 'not signed in' });
      }
      return {
        username: principal.name,
        kind: principal.kind,
        roles: [...principal.roles],
        ...(request.csrfToken === undefined ? {} : { csrfToken: request.csrfToken }),
      };
    },
  );

  typed.delete(
    '/api/session',
    {
      config: { role: 'public' },
      schema: {
        tags: ['session'],
        summary: 'Sign out (ends the session and clears the cookie)',
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const principal = request.principal;
      if (principal?.sessionId !== undefined) {
        await options.store.deleteSession(principal.sessionId);
        request.log.info({ event: logEvents.AUTH_SIGNED_OUT, user: principal.name }, 'signed out');
      }
      void reply.header('set-cookie', cookie(options, '', 0));
      return reply.code(204).send(null);
    },
  );
}

/** Creates a local account (for `fovea user add` and the demo); the password must already pass the rules. */
export async function createAccount(
  store: AuthStore,
  username: string,
  password: string,
  roles: readonly Role[],
): Promise<boolean> {
  return store.createAccount({
    id: randomUUID(),
    username,
    passwordHash: await hashPassword(password),
    roles,
  });
}
