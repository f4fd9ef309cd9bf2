/**
 * `npm run bench:e2e`: end-to-end latency and throughput of the walking skeleton with real peers. Synthetic
 * two-eye fundus studies (1024² colour photographs) are sent with DCMTK `storescu` to a Fovea gateway
 * (`fovea serve` on PostgreSQL, or PGlite when PostgreSQL is absent); the fundus-quality analyzer runs and a
 * preliminary SR is delivered to Orthanc over C-STORE.
 *
 * Latency: from the last instance of a study received by Fovea to the SR acknowledged by Orthanc (the
 * delivery's `delivered_at`), studies sent one at a time; printed p50/p95 in total, and with the configured
 * quiet period taken out. Saturation: a batch sent at once, studies/hour from the first instance received
 * to the last SR acknowledged.
 *
 * Usage: npm run bench:e2e -- [latencyStudies=20] [batchStudies=40] [quietSeconds=1]
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, postgresAvailable } from '../test/peers/databases.ts';
import { bearer, spawnGateway, testApiToken } from '../test/peers/gateway.ts';
import { startOrthanc } from '../test/peers/orthanc.ts';
import { runAsync } from '../test/peers/peers.ts';
import { writeFundusStudy } from '../test/peers/results.ts';

const latencyStudies = Number(process.argv[2] ?? 20);
const batchStudies = Number(process.argv[3] ?? 40);
const quietSeconds = Number(process.argv[4] ?? 1);

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function storescu(port: number, files: readonly string[]): Promise<void> {
  const result = await runAsync(
    'storescu',
    ['-aet', 'MODALITY', '-aec', 'FOVEA', '127.0.0.1', String(port), ...files],
    {
      env: { ...process.env, TCP_NODELAY: '1' },
    },
  );
  if (result.status !== 0) {
    throw new Error(result.output);
  }
}

const backend = (await postgresAvailable()) ? 'postgres' : 'pglite';
const database = await createTestDatabase(backend);
const orthanc = await startOrthanc();
const configPath = join(database.dataDir, 'bench.json');
writeFileSync(
  configPath,
  JSON.stringify({
    pacs: { default: { dimse: { aeTitle: orthanc.aeTitle, host: '127.0.0.1', port: orthanc.dicomPort } } },
    assembly: { quietPeriodSeconds: quietSeconds, sweepIntervalSeconds: 0.1 },
    analysis: { workers: 2, concurrency: 2 },
  }),
);
const gateway = await spawnGateway(database, {
  FOVEA_CONFIG: configPath,
  FOVEA_PHASES: 'image-quality:assistive',
  FOVEA_QUIET_PERIOD_SECONDS: String(quietSeconds),
}).catch(async (error: unknown) => {
  // The PACS and the database are ours to stop when the gateway does not come up.
  await orthanc.dispose();
  await database.dispose();
  throw error;
});
const directories: string[] = [];

async function deliveredAt(studyUid: string): Promise<{ last: number; acked: number } | undefined> {
  const response = await fetch(`${gateway.httpUrl}/api/studies/${studyUid}/deliveries`, {
    headers: bearer(testApiToken),
  });
  if (!response.ok) {
    return undefined;
  }
  const body = (await response.json()) as { deliveries: { state: string; deliveredAt?: string }[] };
  const delivery = body.deliveries[0];
  if (delivery?.state !== 'delivered' || delivery.deliveredAt === undefined) {
    return undefined;
  }
  const study = (await (
    await fetch(`${gateway.httpUrl}/api/studies/${studyUid}`, { headers: bearer(testApiToken) })
  ).json()) as {
    study: { lastReceivedAt: string };
  };
  return { last: Date.parse(study.study.lastReceivedAt), acked: Date.parse(delivery.deliveredAt) };
}

async function waitDelivered(
  studyUid: string,
  timeoutMs = 300_000,
): Promise<{ last: number; acked: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const times = await deliveredAt(studyUid);
    if (times !== undefined) {
      return times;
    }
    if (Date.now() > deadline) {
      throw new Error(`no SR delivered for ${studyUid}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

try {
  print(
    `bench:e2e — Fovea (${backend}) → fundus-quality → SR → Orthanc (C-STORE); quiet period ${quietSeconds} s`,
  );
  const latencies: number[] = [];
  for (let index = 0; index < latencyStudies; index++) {
    const study = await writeFundusStudy(7000 + index, 1024);
    directories.push(study.directory);
    await storescu(gateway.dicomPort, study.files);
    const times = await waitDelivered(study.studyInstanceUid);
    latencies.push(times.acked - times.last);
  }
  const quietMs = quietSeconds * 1000;
  print();
  print(
    `latency, last instance received → SR acknowledged by Orthanc (${latencyStudies} studies, one at a time)`,
  );
  print(`  total               p50 ${percentile(latencies, 50)} ms   p95 ${percentile(latencies, 95)} ms`);
  const work = latencies.map((value) => value - quietMs);
  print(
    `  minus quiet period  p50 ${percentile(work, 50)} ms   p95 ${percentile(work, 95)} ms   (quiet period ${quietMs} ms)`,
  );

  const batch: string[] = [];
  const files: string[] = [];
  for (let index = 0; index < batchStudies; index++) {
    const study = await writeFundusStudy(8000 + index, 1024);
    directories.push(study.directory);
    batch.push(study.studyInstanceUid);
    files.push(...study.files);
  }
  await storescu(gateway.dicomPort, files);
  const times = await Promise.all(batch.map((uid) => waitDelivered(uid, 900_000)));
  const first = Math.min(...times.map((entry) => entry.last));
  const lastAck = Math.max(...times.map((entry) => entry.acked));
  const seconds = (lastAck - first) / 1000;
  print();
  print(`saturation: ${batchStudies} studies (${files.length} photographs) sent at once`);
  print(
    `  ${seconds.toFixed(1)} s from first instance to last SR acknowledged → ${Math.round((batchStudies / seconds) * 3600)} studies/hour`,
  );
  print(
    `  (includes one quiet period of ${quietSeconds} s; 2 analyzer worker threads on ${String((await import('node:os')).availableParallelism())} cores)`,
  );
} finally {
  await gateway.kill('SIGTERM');
  await orthanc.dispose();
  await database.dispose();
  for (const directory of directories) {
    rmSync(directory, { recursive: true, force: true });
  }
}
