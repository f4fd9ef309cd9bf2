/**
 * The audit trail on both back ends: every request of a known caller and every sign-in attempt is recorded
 * with who, what, which study, when and from where; the table refuses UPDATE and DELETE; a row changed or
 * deleted behind the rules (as a database administrator could) is found by `fovea audit verify`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { getJson, startTestGateway, testApiToken, waitFor } from '../peers/gateway.ts';

const fovea = join(import.meta.dirname, '../../src/cli/fovea.ts');

for (const backend of await testBackends()) {
  describe(`audit trail on ${backend}`, () => {
    let database: TestDatabase;
    let gateway: Gateway;

    before(async () => {
      database = await createTestDatabase(backend);
      gateway = await startTestGateway(database);
    });
    after(async () => {
      await gateway.close();
      await database.dispose();
    });

    it('records views with the caller and the study, and sign-in attempts', async () => {
      const study = '1.2.826.0.1.3680043.10.511.77';
      assert.equal((await getJson(gateway, `/api/studies/${study}/findings`, testApiToken)).status, 404);
      const failed = await fetch(`${gateway.httpUrl}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody', password: 'not the password' }),
      });
      assert.equal(failed.status, 401);
      await failed.arrayBuffer();
      const trail = await waitFor(async () => {
        const body = await getJson<{
          events: { actor: string; action: string; target: string; outcome: string }[];
        }>(gateway, `/api/studies/${study}/audit`);
        return body.body.events.length > 0 ? body.body.events : undefined;
      });
      assert.deepEqual(
        trail.map((event) => [event.actor, event.action, event.target, event.outcome]),
        [['FOVEA_API_TOKEN', 'view', '/api/studies/:StudyInstanceUID/findings', 'failure']],
      );
      const all = await waitFor(async () => {
        const body = await getJson<{
          verification: { ok: boolean; events: number };
          events: { actor: string; action: string; outcome: string }[];
        }>(gateway, '/api/audit');
        return body.body.events.some((event) => event.action === 'sign-in') ? body.body : undefined;
      });
      assert.equal(all.verification.ok, true);
      assert.ok(
        all.events.some(
          (event) => event.actor === 'nobody' && event.action === 'sign-in' && event.outcome === 'failure',
        ),
      );
    });

    it('refuses UPDATE and DELETE, and finds a row changed or deleted behind the rules', async () => {
      for (let index = 0; index < 5; index++) {
        await gateway.audit.append({
          actor: 'dr-test',
          actorKind: 'user',
          action: 'view',
          target: `study:1.2.3.${index}`,
          outcome: 'success',
        });
      }
      const before = await gateway.audit.verify();
      assert.equal(before.ok, true);
      await gateway.store.sql.query("UPDATE audit_event SET actor = 'mallory' WHERE actor = 'dr-test'");
      await gateway.store.sql.query("DELETE FROM audit_event WHERE actor = 'dr-test'");
      assert.equal(
        (await gateway.audit.verify()).events,
        before.events,
        'the rules kept every row as it was',
      );

      const target = (await gateway.audit.list({ limit: 3 }))[1]!.seq;
      await gateway.store.sql.query('DROP RULE audit_event_no_update ON audit_event');
      await gateway.store.sql.query("UPDATE audit_event SET actor = 'mallory' WHERE seq = $1", [target]);
      const changed = await gateway.audit.verify();
      assert.deepEqual(changed.broken, { seq: target, reason: 'its content was changed' });
      await gateway.store.sql.query("UPDATE audit_event SET actor = 'dr-test' WHERE seq = $1", [target]);
      assert.equal((await gateway.audit.verify()).ok, true);

      await gateway.store.sql.query('DROP RULE audit_event_no_delete ON audit_event');
      await gateway.store.sql.query('DELETE FROM audit_event WHERE seq = $1', [target]);
      const deleted = await gateway.audit.verify();
      assert.equal(deleted.broken?.seq, target);
      if (backend === 'postgres') {
        const cli = spawnSync(
          process.execPath,
          [
            fovea,
            'audit',
            'verify',
            '--database-url',
            database.location.databaseUrl!,
            '--data-dir',
            database.dataDir,
          ],
          {
            encoding: 'utf8',
          },
        );
        assert.equal(cli.status, 1, cli.stdout + cli.stderr);
        assert.match(cli.stdout, new RegExp(`BROKEN at event ${target}`, 'u'));
      }
    });
  });
}
