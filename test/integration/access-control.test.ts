/**
 * Access control of the whole API, as a matrix: every route (read from the gateway's own route table, so a
 * new route is covered automatically) refuses an unauthenticated caller with 401 and a caller without the role
 * with 403, and lets a caller with the role through. Sessions: sign-in, CSRF on state-changing requests,
 * sign-out, idle timeout, lock-out after repeated failures; tokens and passwords are stored as hashes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAccount } from '../../src/api/index.ts';
import { roleAllows, type Role } from '../../src/core/roles.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { startTestGateway, testAdminToken, testApiToken, testIngestToken } from '../peers/gateway.ts';

interface Caller {
  readonly name: string;
  readonly roles: readonly Role[];
  readonly headers: Record<string, string>;
  readonly csrf?: string;
}

const password = 'correct horse battery staple';

async function signIn(
  gateway: Gateway,
  username: string,
  secret = password,
): Promise<{ status: number; cookie?: string; csrf?: string }> {
  const response = await fetch(`${gateway.httpUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: secret }),
  });
  const body = (await response.json()) as { csrfToken?: string };
  const cookie = response.headers.get('set-cookie')?.split(';')[0];
  return {
    status: response.status,
    ...(cookie === undefined ? {} : { cookie }),
    ...(body.csrfToken === undefined ? {} : { csrf: body.csrfToken }),
  };
}

function sample(url: string): string {
  return url
    .replace(':StudyInstanceUID', '1.2.826.0.1.3680043.10.511.1')
    .replace(':SOPInstanceUID', '1.2.826.0.1.3680043.10.511.2')
    .replace(':id', 'no-such-job')
    .replace(/:[A-Za-z]+/gu, 'x');
}

describe('access control', () => {
  let database: TestDatabase;
  let gateway: Gateway;
  const callers: Caller[] = [];

  before(async () => {
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(database);
    callers.push(
      {
        name: 'integration token',
        roles: ['integration'],
        headers: { authorization: `Bearer ${testApiToken}` },
      },
      { name: 'ingest token', roles: ['ingest'], headers: { authorization: `Bearer ${testIngestToken}` } },
      { name: 'admin token', roles: ['admin'], headers: { authorization: `Bearer ${testAdminToken}` } },
    );
    for (const role of ['grader', 'ophthalmologist'] as const) {
      assert.ok(await createAccount(gateway.auth, `user-${role}`, password, [role]));
      const session = await signIn(gateway, `user-${role}`);
      assert.equal(session.status, 200);
      callers.push({
        name: `${role} session`,
        roles: [role],
        headers: { cookie: session.cookie! },
        csrf: session.csrf!,
      });
    }
  });
  after(async () => {
    await gateway.close();
    await database.dispose();
  });

  it('answers every route by role: 401 without a caller, 403 without the role, through with it', async (t) => {
    const routes = gateway.routes.filter((route) => route.method !== 'HEAD' && route.role !== 'public');
    assert.ok(routes.length >= 10, `routes: ${routes.length}`);
    const rows: string[] = [];
    for (const route of routes) {
      const url = `${gateway.httpUrl}${sample(route.url)}`;
      const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(route.method);
      const init = (headers: Record<string, string>): RequestInit => ({
        method: route.method,
        headers: { ...headers, ...(unsafe ? { 'content-type': 'application/json' } : {}) },
        ...(unsafe ? { body: '{}' } : {}),
      });
      const anonymous = await fetch(url, init({}));
      await anonymous.arrayBuffer();
      assert.equal(anonymous.status, 401, `${route.method} ${route.url} without a caller`);
      const cells: string[] = [];
      for (const caller of callers) {
        const headers = {
          ...caller.headers,
          ...(caller.csrf === undefined ? {} : { 'x-csrf-token': caller.csrf }),
        };
        const response = await fetch(url, init(headers));
        if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
          await response.body?.cancel();
        } else {
          await response.arrayBuffer();
        }
        const allowed = roleAllows(caller.roles, route.role);
        if (allowed) {
          assert.ok(
            response.status !== 401 && response.status !== 403,
            `${route.method} ${route.url} as ${caller.name}: ${response.status}`,
          );
        } else {
          assert.equal(response.status, 403, `${route.method} ${route.url} as ${caller.name}`);
        }
        cells.push(String(response.status));
      }
      rows.push(
        `${route.method.padEnd(6)} ${route.url.padEnd(52)} ${route.role.padEnd(15)} ${cells.join(' ')}`,
      );
    }
    t.diagnostic(`route / role / ${callers.map((caller) => caller.name).join(' | ')}\n${rows.join('\n')}`);
  });

  it('keeps only public routes open', async () => {
    const open = gateway.routes.filter((route) => route.role === 'public').map((route) => route.url);
    assert.deepEqual(
      [...new Set(open)].sort(),
      ['/', '/*', '/api/health', '/api/openapi.json', '/api/session'].sort(),
      'the review station shell (/, /*) holds no data',
    );
    assert.ok(
      gateway.routes.some(
        (route) => route.url === '/api/instances/:SOPInstanceUID/rendered' && route.role === 'integration',
      ),
      'rendered images need the readers of findings',
    );
    for (const url of [
      '/api/studies/:StudyInstanceUID/visual-fields',
      '/api/studies/:StudyInstanceUID/prior-visit',
    ]) {
      assert.ok(
        gateway.routes.some(
          (route) => route.url === url && route.method === 'GET' && route.role === 'integration',
        ),
        `${url}: the readers of findings, like the other study views`,
      );
    }
    const health = await fetch(`${gateway.httpUrl}/api/health`);
    assert.equal(health.status, 200);
    await health.arrayBuffer();
    const badToken = await fetch(`${gateway.httpUrl}/api/studies`, {
      headers: { authorization: 'Bearer nope' },
    });
    assert.equal(badToken.status, 401);
    assert.equal(((await badToken.json()) as { code: string }).code, 'FOVEA_HTTP_UNAUTHORIZED');
  });

  it('lets graders and ophthalmologists claim and release a study, and integrations read the claim', () => {
    const claimRoles = gateway.routes
      .filter((route) => route.url === '/api/studies/:StudyInstanceUID/claim' && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.role}`)
      .sort();
    assert.deepEqual(claimRoles, ['DELETE grader', 'GET integration', 'POST grader']);
  });

  it('serves the OCT layer lines and SLO positions to the readers of findings', () => {
    const octRoutes = gateway.routes
      .filter((route) => /\/oct-(layers|slo)\//u.test(route.url) && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url} ${route.role}`)
      .sort();
    assert.deepEqual(octRoutes, [
      'GET /api/studies/:StudyInstanceUID/oct-layers/:SOPInstanceUID integration',
      'GET /api/studies/:StudyInstanceUID/oct-slo/:SOPInstanceUID integration',
    ]);
  });

  it('serves the lesion heatmap to the readers of findings, like the rendered images', () => {
    const heatmapRoutes = gateway.routes
      .filter((route) => route.url.includes('/lesion-heatmap/') && route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url} ${route.role}`);
    assert.deepEqual(heatmapRoutes, [
      'GET /api/studies/:StudyInstanceUID/lesion-heatmap/:SOPInstanceUID integration',
    ]);
  });

  it('needs the CSRF token for state-changing requests made with the session cookie', async () => {
    const session = await signIn(gateway, 'user-ophthalmologist');
    const withoutCsrf = await fetch(`${gateway.httpUrl}/api/session`, {
      method: 'DELETE',
      headers: { cookie: session.cookie! },
    });
    assert.equal(withoutCsrf.status, 403);
    await withoutCsrf.arrayBuffer();
    const who = await fetch(`${gateway.httpUrl}/api/session`, { headers: { cookie: session.cookie! } });
    assert.equal(((await who.json()) as { username: string }).username, 'user-ophthalmologist');
    const signOut = await fetch(`${gateway.httpUrl}/api/session`, {
      method: 'DELETE',
      headers: { cookie: session.cookie!, 'x-csrf-token': session.csrf! },
    });
    assert.equal(signOut.status, 204);
    const after = await fetch(`${gateway.httpUrl}/api/studies`, { headers: { cookie: session.cookie! } });
    assert.equal(after.status, 401, 'a signed-out session opens nothing');
    await after.arrayBuffer();
  });

  it('ends idle sessions, and locks an account after repeated failures', async () => {
    const session = await signIn(gateway, 'user-grader');
    await gateway.store.sql.query(
      "UPDATE session SET last_seen_at = now() - interval '2 hours' WHERE account_id = (SELECT id FROM account WHERE username = 'user-grader')",
    );
    const idle = await fetch(`${gateway.httpUrl}/api/studies`, { headers: { cookie: session.cookie! } });
    assert.equal(idle.status, 401);
    await idle.arrayBuffer();

    assert.ok(await createAccount(gateway.auth, 'user-locked', password, ['grader']));
    for (let attempt = 0; attempt < 5; attempt++) {
      assert.equal((await signIn(gateway, 'user-locked', 'wrong password here')).status, 401);
    }
    assert.equal((await signIn(gateway, 'user-locked')).status, 401, 'locked even with the right password');
    assert.equal((await signIn(gateway, 'nobody-at-all')).status, 401);
    const stored = await gateway.store.sql.query<{ password_hash: string }>(
      "SELECT password_hash FROM account WHERE username = 'user-locked'",
    );
    assert.match(stored.rows[0]!.password_hash, /^scrypt\$32768\$8\$1\$/u);
    assert.ok(!stored.rows[0]!.password_hash.includes(password));
    const tokens = await gateway.store.sql.query<{ hash: string }>('SELECT hash FROM api_token');
    assert.ok(tokens.rows.every((row) => /^[0-9a-f]{64}$/u.test(row.hash) && row.hash !== testAdminToken));
  });
});
