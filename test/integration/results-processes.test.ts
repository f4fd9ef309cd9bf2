/**
 * Durability of results across processes, with real peers: a kill -9 of Fovea between analysis and delivery
 * loses nothing and stores one SR; two Fovea processes on one PostgreSQL database (sharing the data
 * directory) process 200 studies with every job claimed by exactly one process and every SR stored once;
 * with a kill -9 of one of them mid-run, its claimed jobs are taken over after their lease expires and still
 * no study gets a second SR.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../peers/databases.ts';
import { bearer, spawnGateway, testApiToken, waitFor, type GatewayProcess } from '../peers/gateway.ts';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer, runAsync } from '../peers/peers.ts';
import { orthancSrInstances, writeFundusStudy } from '../peers/results.ts';

async function storescu(port: number, files: readonly string[]): Promise<void> {
  const result = await runAsync(
    'storescu',
    ['-aet', 'MODALITY', '-aec', 'FOVEA', '127.0.0.1', String(port), ...files],
    {
      env: { ...process.env, TCP_NODELAY: '1' },
    },
  );
  assert.equal(result.status, 0, result.output);
}

function writeConfig(database: TestDatabase, orthanc: OrthancPeer, leaseSeconds: number): string {
  const path = join(database.dataDir, 'fovea-test.json');
  writeFileSync(
    path,
    JSON.stringify({
      pacs: { default: { dimse: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort } } },
      analysis: { leaseSeconds, retryBaseSeconds: 0.2, concurrency: 2 },
      delivery: { retryBaseSeconds: 0.2, retryMaxSeconds: 1 },
      assembly: { sweepIntervalSeconds: 0.1 },
      spool: { adoptPendingAfterSeconds: 2 },
    }),
  );
  return path;
}

describe('results across processes', () => {
  let orthanc: OrthancPeer | undefined;
  const databases: TestDatabase[] = [];
  const gateways: GatewayProcess[] = [];
  const directories: string[] = [];

  before(async () => {
    if (peerInstalled('orthanc')) {
      orthanc = await startOrthanc();
    }
  });
  after(async () => {
    for (const gateway of gateways) {
      await gateway.kill();
    }
    await orthanc?.dispose();
    for (const database of databases) {
      await database.dispose();
    }
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('kill -9 between analysis and delivery: one SR after restart', async (t) => {
    if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk') || orthanc === undefined) {
      return;
    }
    const database = await createTestDatabase('pglite');
    databases.push(database);
    const env = {
      FOVEA_CONFIG: writeConfig(database, orthanc, 5),
      FOVEA_PHASES: 'image-quality:assistive,dr-screening:off',
    };
    await orthanc.stop();
    const first = await spawnGateway(database, env);
    gateways.push(first);
    const study = await writeFundusStudy(41, 512);
    directories.push(study.directory);
    await storescu(first.dicomPort, study.files);
    await waitFor(
      async () => {
        const response = await fetch(`${first.httpUrl}/api/studies/${study.studyInstanceUid}/deliveries`, {
          headers: bearer(testApiToken),
        });
        if (!response.ok) {
          return undefined;
        }
        const body = (await response.json()) as { deliveries: { attempts: number }[] };
        return body.deliveries.some((delivery) => delivery.attempts >= 1);
      },
      60_000,
      'a failed delivery attempt',
    );
    await first.kill('SIGKILL');
    await orthanc.start();
    const second = await spawnGateway(database, env);
    gateways.push(second);
    await waitFor(
      async () => {
        const response = await fetch(`${second.httpUrl}/api/studies/${study.studyInstanceUid}/deliveries`, {
          headers: bearer(testApiToken),
        });
        const body = (await response.json()) as { deliveries: { state: string }[] };
        return body.deliveries.length === 1 && body.deliveries[0]!.state === 'delivered';
      },
      60_000,
      'the delivery after the restart',
    );
    assert.equal((await orthancSrInstances(orthanc, study.studyInstanceUid)).length, 1);
    await second.kill('SIGTERM');
  });

  for (const scenario of [
    { name: 'share 200 studies: every job claimed once, every SR stored once', studies: 200, kill: false },
    { name: 'kill -9 of one process mid-run: its jobs are taken over, no SR twice', studies: 60, kill: true },
  ]) {
    it(`two processes on one PostgreSQL ${scenario.name}`, async (t) => {
      if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk') || orthanc === undefined) {
        return;
      }
      if (!requirePeer(t, 'postgres', await postgresAvailable())) {
        return;
      }
      const database = await createTestDatabase('postgres');
      databases.push(database);
      const env = {
        FOVEA_CONFIG: writeConfig(database, orthanc, 2),
        FOVEA_PHASES: 'image-quality:assistive,dr-screening:off',
      };
      const a = await spawnGateway(database, env);
      const b = await spawnGateway(database, env);
      gateways.push(a, b);
      const studies: { uid: string; files: string[] }[] = [];
      for (let index = 0; index < scenario.studies; index++) {
        const study = await writeFundusStudy(1000 + index + (scenario.kill ? 5000 : 0), 256);
        directories.push(study.directory);
        studies.push({ uid: study.studyInstanceUid, files: study.files });
      }
      const half = Math.ceil(studies.length / 2);
      const started = Date.now();
      await Promise.all([
        storescu(
          a.dicomPort,
          studies.slice(0, half).flatMap((study) => study.files),
        ),
        storescu(
          b.dicomPort,
          studies.slice(half).flatMap((study) => study.files),
        ),
      ]);
      const client = new pg.Client({ connectionString: database.location.databaseUrl });
      await client.connect();
      try {
        if (scenario.kill) {
          // Indexing follows the acknowledgement in batches: instances A acknowledged but had not yet indexed
          // when killed are adopted by B from the shared spool (spool.adoptPendingAfterSeconds), not left for
          // A's restart, so the kill need not wait for indexing.
          await waitFor(
            async () => {
              const result = await client.query<{ n: string }>(
                `SELECT count(*) AS n FROM job WHERE kind = 'analyze' AND state = 'running' AND locked_by LIKE $1`,
                [`%:${String(a.child.pid)}:%`],
              );
              return Number(result.rows[0]!.n) > 0;
            },
            60_000,
            'process A holding analysis jobs',
          );
          await a.kill('SIGKILL');
        }
        await waitFor(
          async () => {
            const result = await client.query<{ n: string }>(
              `SELECT count(*) AS n FROM delivery WHERE state = 'delivered'`,
            );
            return Number(result.rows[0]!.n) === studies.length;
          },
          300_000,
          `${studies.length} delivered SRs`,
        );
        t.diagnostic(
          `${studies.length} studies analysed and delivered in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        const jobs = await client.query<{ kind: string; state: string; attempts: number; locked_by: string }>(
          'SELECT kind, state, attempts, locked_by FROM job',
        );
        const analyze = jobs.rows.filter((job) => job.kind === 'analyze');
        assert.equal(analyze.length, studies.length);
        assert.ok(analyze.every((job) => job.state === 'succeeded'));
        const byProcess = new Map<string, number>();
        for (const job of analyze) {
          const pid = job.locked_by.split(':')[1]!;
          byProcess.set(pid, (byProcess.get(pid) ?? 0) + 1);
        }
        t.diagnostic(`analysis jobs finished per process: ${JSON.stringify(Object.fromEntries(byProcess))}`);
        const retried = analyze.filter((job) => job.attempts > 1).length;
        t.diagnostic(`analysis jobs run more than once: ${retried}`);
        if (scenario.kill) {
          assert.ok(retried > 0, 'the killed process held jobs that had to be taken over');
          assert.ok(
            analyze.every((job) => !job.locked_by.includes(`:${String(a.child.pid)}:`) || job.attempts === 1),
          );
        } else {
          assert.equal(retried, 0, 'no job was claimed twice');
          assert.equal(byProcess.size, 2, 'both processes did work');
        }
        const analyses = await client.query<{ n: string }>('SELECT count(*) AS n FROM analysis');
        assert.equal(Number(analyses.rows[0]!.n), studies.length);
        const objects = await client.query<{ n: string }>('SELECT count(*) AS n FROM result_object');
        assert.equal(Number(objects.rows[0]!.n), studies.length);
        for (const study of studies) {
          assert.equal((await orthancSrInstances(orthanc, study.uid)).length, 1, `one SR for ${study.uid}`);
        }
      } finally {
        await client.end();
        await a.kill('SIGTERM');
        await b.kill('SIGTERM');
      }
    });
  }
});
