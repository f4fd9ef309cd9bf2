/**
 * PgClaimStore on PGlite and PostgreSQL: one reader holds a study; a second is refused and told who holds it;
 * the holder renews (keeping the time claimed) and releases; an admin break ends anyone's claim; an expired
 * claim is free for the next reader; claims and releases are announced on the worklist channel.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newUid } from '../core/uid.ts';
import { createTestDatabase, testBackends, type TestDatabase } from '../../test/peers/databases.ts';
import { openStore, PgClaimStore, worklistChannel, type Store } from './index.ts';

for (const backend of await testBackends()) {
  describe(`PgClaimStore on ${backend}`, () => {
    let database: TestDatabase;
    let store: Store;
    let claims: PgClaimStore;

    before(async () => {
      database = await createTestDatabase(backend);
      store = await openStore(database.location);
      claims = new PgClaimStore(store.sql);
    });
    after(async () => {
      await store.close();
      await database.dispose();
    });

    it('lets one reader hold a study, refuses another and names the holder', async () => {
      const uid = newUid();
      const first = await claims.claim(uid, 'reader-a', 600);
      assert.ok(first.claimed);
      assert.equal(first.claim.reader, 'reader-a');
      const span = first.claim.expiresAt.getTime() - first.claim.claimedAt.getTime();
      assert.ok(Math.abs(span - 600_000) < 1000, `claimed for ${span} ms`);
      const second = await claims.claim(uid, 'reader-b', 600);
      assert.equal(second.claimed, false);
      assert.ok(!second.claimed);
      assert.equal(second.holder.reader, 'reader-a');
      assert.equal((await claims.getClaim(uid))?.reader, 'reader-a');
    });

    it('renews the holder’s claim keeping the time claimed, and releases only the holder’s', async () => {
      const uid = newUid();
      const first = await claims.claim(uid, 'reader-a', 60);
      assert.ok(first.claimed);
      const renewed = await claims.claim(uid, 'reader-a', 600);
      assert.ok(renewed.claimed);
      assert.equal(renewed.claim.claimedAt.getTime(), first.claim.claimedAt.getTime());
      assert.ok(renewed.claim.expiresAt > first.claim.expiresAt);
      assert.equal(await claims.release(uid, 'reader-b'), undefined, 'not reader-b’s to release');
      assert.equal((await claims.release(uid, 'reader-a'))?.reader, 'reader-a');
      assert.equal(await claims.getClaim(uid), undefined);
      assert.equal(await claims.release(uid, 'reader-a'), undefined, 'nothing left to release');
      const next = await claims.claim(uid, 'reader-b', 600);
      assert.ok(next.claimed);
    });

    it('breaks anyone’s claim when no reader is given (admin)', async () => {
      const uid = newUid();
      assert.ok((await claims.claim(uid, 'reader-a', 600)).claimed);
      assert.equal((await claims.release(uid, undefined))?.reader, 'reader-a');
      assert.equal(await claims.getClaim(uid), undefined);
    });

    it('frees an expired claim for the next reader', async () => {
      const uid = newUid();
      assert.ok((await claims.claim(uid, 'reader-a', 600)).claimed);
      await store.sql.query(
        "UPDATE study_claim SET claimed_at = now() - interval '2 hours', expires_at = now() - interval '1 hour' WHERE study_instance_uid = $1",
        [uid],
      );
      assert.equal(await claims.getClaim(uid), undefined, 'an expired claim is no claim');
      assert.equal((await claims.listClaims([uid])).size, 0);
      assert.equal(await claims.release(uid, undefined), undefined, 'nothing to break');
      const taken = await claims.claim(uid, 'reader-b', 600);
      assert.ok(taken.claimed);
      assert.equal(taken.claim.reader, 'reader-b');
      assert.ok(Date.now() - taken.claim.claimedAt.getTime() < 60_000, 'claimed now, not when reader-a did');
    });

    it('lists the active claims of given studies', async () => {
      const [a, b, free] = [newUid(), newUid(), newUid()];
      assert.ok((await claims.claim(a, 'reader-a', 600)).claimed);
      assert.ok((await claims.claim(b, 'reader-b', 600)).claimed);
      const listed = await claims.listClaims([a, b, free]);
      assert.deepEqual(
        [...listed.entries()].map(([uid, claim]) => [uid, claim.reader]).sort(),
        [
          [a, 'reader-a'],
          [b, 'reader-b'],
        ].sort(),
      );
      assert.equal((await claims.listClaims([])).size, 0);
    });

    it('announces claims and releases on the worklist channel', async () => {
      const uid = newUid();
      const heard: string[] = [];
      let wake: (() => void) | undefined;
      const unlisten = await store.sql.listen(worklistChannel, (payload) => {
        heard.push(payload);
        wake?.();
      });
      const hear = async (count: number): Promise<void> => {
        while (heard.filter((payload) => payload === uid).length < count) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      };
      try {
        assert.ok((await claims.claim(uid, 'reader-a', 600)).claimed);
        await hear(1);
        assert.equal((await claims.claim(uid, 'reader-b', 600)).claimed, false);
        await claims.release(uid, 'reader-a');
        await hear(2);
        assert.equal(
          heard.filter((payload) => payload === uid).length,
          2,
          'a refused claim announces nothing',
        );
      } finally {
        await unlisten();
      }
    });
  });
}
