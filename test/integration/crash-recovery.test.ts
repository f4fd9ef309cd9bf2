/**
 * Kill -9 of the gateway during a burst of C-STOREs: after a restart, every instance that got a success
 * status is present and indexed, none twice. PGlite and PostgreSQL. On PostgreSQL also without the restart: a
 * second process sharing the data directory indexes what the killed one acknowledged (spool adoption).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, testBackends, type TestDatabase } from '../peers/databases.ts';
import { getJson, spawnGateway, waitFor, type GatewayProcess } from '../peers/gateway.ts';
import { peerInstalled, requirePeer, runAsync } from '../peers/peers.ts';
import { makeOphthalmicPhotograph } from '../fixtures/dicom-files.ts';

const count = 150;

interface Detail {
  study: { instanceCount: number };
  instancesByEye: Record<string, { sopInstanceUid: string }[]>;
}

/**
 * Sends every file of `dir` to the gateway with storescu and kills the gateway (-9) once `killAfter` instances
 * were acknowledged; returns the SOP Instance UIDs that got a success status.
 */
async function sendUntilKilled(
  first: GatewayProcess,
  dir: string,
  sopByFile: ReadonlyMap<string, string>,
  killAfter: number,
): Promise<{ acknowledged: Set<string>; killed: boolean }> {
  const acknowledged = new Set<string>();
  let current: string | undefined;
  const sender = spawn(
    'storescu',
    ['-v', '-aec', 'FOVEA', '+sd', '127.0.0.1', String(first.dicomPort), dir],
    {
      env: { ...process.env, TCP_NODELAY: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let buffered = '';
  let killed = false;
  const onLine = (line: string): void => {
    const sending = /Sending file: (.+)$/u.exec(line);
    if (sending !== null) {
      current = sending[1]!.trim();
    }
    if (/Received Store Response \(Success\)/u.test(line) && current !== undefined) {
      acknowledged.add(sopByFile.get(current)!);
      if (acknowledged.size === killAfter && !killed) {
        killed = true;
        first.child.kill('SIGKILL');
      }
    }
  };
  const consume = (data: Buffer): void => {
    buffered += data.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    lines.forEach(onLine);
  };
  sender.stdout.on('data', consume);
  sender.stderr.on('data', consume);
  await new Promise((resolve) => sender.once('close', resolve));
  return { acknowledged, killed };
}

for (const backend of await testBackends()) {
  describe(`crash during a C-STORE burst on ${backend}`, () => {
    let database: TestDatabase;
    let gateway: GatewayProcess | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'fovea-crash-'));
    const studyInstanceUid = `2.25.${Date.now()}${Math.floor(Math.random() * 1000)}`;
    const sopByFile = new Map<string, string>();

    before(async () => {
      database = await createTestDatabase(backend);
      for (let index = 0; index < count; index++) {
        const fixture = await makeOphthalmicPhotograph({
          studyInstanceUid,
          seriesInstanceUid: `${studyInstanceUid}.1`,
          eye: index % 2 === 0 ? 'R' : 'L',
          rows: 256,
          columns: 256,
          seed: index,
        });
        const file = join(dir, `i${String(index).padStart(4, '0')}.dcm`);
        writeFileSync(file, fixture.part10);
        sopByFile.set(file, fixture.sopInstanceUid);
      }
    });
    after(async () => {
      await gateway?.kill();
      await database.dispose();
    });

    it('keeps every acknowledged instance, exactly once', async (t) => {
      if (!requirePeer(t, 'dcmtk', peerInstalled('dcmtk'))) {
        return;
      }
      gateway = await spawnGateway(database);
      const first = gateway;
      const { acknowledged, killed } = await sendUntilKilled(first, dir, sopByFile, 40);
      assert.ok(killed, 'the gateway was killed during the burst');
      assert.ok(acknowledged.size >= 40 && acknowledged.size < count, `acknowledged ${acknowledged.size}`);
      await first.kill();

      gateway = await spawnGateway(database);
      const second = gateway;
      const detail = await waitFor(
        async () => {
          const response = await getJson<Detail>(second, `/api/studies/${studyInstanceUid}`);
          return response.status === 200 ? response.body : undefined;
        },
        30_000,
        'the study after restart',
      );
      const indexed = Object.values(detail.instancesByEye)
        .flat()
        .map((instance) => instance.sopInstanceUid);
      assert.equal(new Set(indexed).size, indexed.length, 'no instance indexed twice');
      assert.equal(detail.study.instanceCount, indexed.length);
      const missing = [...acknowledged].filter((uid) => !indexed.includes(uid));
      assert.deepEqual(missing, [], 'every acknowledged instance is indexed');

      const resend = await runAsync(
        'storescu',
        ['-aec', 'FOVEA', '+sd', '127.0.0.1', String(second.dicomPort), dir],
        {
          env: { ...process.env, TCP_NODELAY: '1' },
        },
      );
      assert.equal(resend.status, 0, resend.output);
      const complete = await waitFor(
        async () => {
          const response = await getJson<Detail>(second, `/api/studies/${studyInstanceUid}`);
          return response.body.study.instanceCount === count ? response.body : undefined;
        },
        30_000,
        'all instances after the resend',
      );
      const all = Object.values(complete.instancesByEye).flat();
      assert.equal(all.length, count);
      assert.equal(new Set(all.map((instance) => instance.sopInstanceUid)).size, count);
    });

    if (backend === 'postgres') {
      it('a process sharing the data directory indexes what the killed one acknowledged, with no restart', async (t) => {
        if (!requirePeer(t, 'dcmtk', peerInstalled('dcmtk'))) {
          return;
        }
        const shared = await createTestDatabase('postgres');
        const config = join(shared.dataDir, 'fovea-adopt.json');
        writeFileSync(config, JSON.stringify({ spool: { adoptPendingAfterSeconds: 1 } }));
        const receiver = await spawnGateway(shared, { FOVEA_CONFIG: config });
        const survivor = await spawnGateway(shared, { FOVEA_CONFIG: config });
        try {
          const { acknowledged, killed } = await sendUntilKilled(receiver, dir, sopByFile, 40);
          assert.ok(killed, 'the receiving process was killed during the burst');
          // What a process killed between its acknowledgement and its index batch leaves behind, whatever the
          // timing of this kill: a committed pending file (written aside, then renamed in, as commits are).
          const leftBehind = await makeOphthalmicPhotograph({
            studyInstanceUid,
            seriesInstanceUid: `${studyInstanceUid}.1`,
            eye: 'R',
            rows: 256,
            columns: 256,
            seed: count + 1,
          });
          const pending = join(shared.dataDir, 'spool', 'pending');
          const name = `req-left-behind__${leftBehind.sopInstanceUid}.dcm`;
          writeFileSync(join(pending, `${name}.part`), leftBehind.part10);
          const committedAt = new Date(Date.now() - 5_000);
          utimesSync(join(pending, `${name}.part`), committedAt, committedAt);
          renameSync(join(pending, `${name}.part`), join(pending, name));
          const expected = new Set([...acknowledged, leftBehind.sopInstanceUid]);
          const detail = await waitFor(
            async () => {
              const response = await getJson<Detail>(survivor, `/api/studies/${studyInstanceUid}`);
              if (response.status !== 200) {
                return undefined;
              }
              const indexed = new Set(
                Object.values(response.body.instancesByEye)
                  .flat()
                  .map((instance) => instance.sopInstanceUid),
              );
              return [...expected].every((uid) => indexed.has(uid)) ? response.body : undefined;
            },
            30_000,
            'every acknowledged instance indexed by the surviving process',
          );
          const indexed = Object.values(detail.instancesByEye).flat();
          assert.equal(new Set(indexed.map((instance) => instance.sopInstanceUid)).size, indexed.length);
          assert.equal(detail.study.instanceCount, indexed.length);
          await waitFor(
            () => Promise.resolve(readdirSync(pending).length === 0 || undefined),
            10_000,
            'the pending area emptied',
          );
          t.diagnostic(
            `acknowledged ${acknowledged.size} before the kill; the survivor indexed them and the left-behind file`,
          );
        } finally {
          await receiver.kill();
          await survivor.kill();
          await shared.dispose();
        }
      });
    }
  });
}
