/**
 * `npm run bench:worklist`: the reading worklist with 10,000 triaged studies (issue 9: ≤ 300 ms server time).
 * For each backend (PGlite, and PostgreSQL when it answers) a gateway is started on a fresh database seeded
 * with 10,000 routed studies and their triage (every bucket, random priorities); then, side by side:
 * `GET /api/worklist` over HTTP on loopback (first page, a page deep in the list, one bucket), and the same
 * SQL the store runs, straight on the database (the floor). Prints the median and p95 of each and the ratio.
 *
 * Usage: npm run bench:worklist -- [studies=10000] [repeats=30]
 */
import { performance } from 'node:perf_hooks';
import { triageBuckets } from '../src/core/triage.ts';
import { createTestDatabase, postgresAvailable, type Backend } from '../test/peers/databases.ts';
import { bearer, startTestGateway } from '../test/peers/gateway.ts';

const studies = Number(process.argv[2] ?? 10_000);
const repeats = Number(process.argv[3] ?? 30);

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function timed(repeatsCount: number, work: () => Promise<unknown>): Promise<number[]> {
  await work();
  const times: number[] = [];
  for (let i = 0; i < repeatsCount; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  return times;
}

const worklistSql = `SELECT t.*, s.site, s.accession_number, s.study_date, s.last_received_at
  FROM study_triage t JOIN study s ON s.study_instance_uid = t.study_instance_uid
  WHERE ($1::text IS NULL OR t.bucket = $1) AND ($2::text IS NULL OR s.site = $2)
  ORDER BY t.priority DESC, s.last_received_at, t.study_instance_uid
  LIMIT $3 OFFSET $4`;

async function run(backend: Backend): Promise<void> {
  const database = await createTestDatabase(backend);
  const gateway = await startTestGateway(database);
  try {
    const sql = gateway.store.sql;
    const started = performance.now();
    await sql.query(
      `INSERT INTO study (study_instance_uid, patient_id, study_date, accession_number, site, state,
                          first_received_at, last_received_at, routed_at)
       SELECT '2.25.9' || g, 'P' || g, '2026' || lpad(((g % 12) + 1)::text, 2, '0') || '15', 'A' || g, 'default',
              'routed', now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval, now()
       FROM generate_series(1, $1) AS g`,
      [studies],
    );
    await sql.query(
      `INSERT INTO study_triage (study_instance_uid, bucket, priority, reasons_json, analysis_ids, computed_at)
       SELECT '2.25.9' || g, ($2::text[])[1 + g % 5], (ARRAY[900, 700, 500, 300, 100])[1 + g % 5] + (g * 7919) % 99,
              jsonb_build_array(jsonb_build_object('eye', 'R', 'bucket', ($2::text[])[1 + g % 5],
                'reason', 'seeded', 'findingId', 'f' || g, 'analyzerId', 'bench')),
              ARRAY['an' || g], now()
       FROM generate_series(1, $1) AS g`,
      [studies, [...triageBuckets]],
    );
    print(
      `${backend}: seeded ${studies} triaged studies in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const cases: [string, string, (string | number | null)[]][] = [
      ['first page (100)', '/api/worklist?limit=100', [null, null, 100, 0]],
      [
        'deep page (offset 9,900)',
        `/api/worklist?limit=100&offset=${studies - 100}`,
        [null, null, 100, studies - 100],
      ],
      ['one bucket (referable)', '/api/worklist?bucket=referable&limit=100', ['referable', null, 100, 0]],
    ];
    print(`| ${backend} | API median / p95 (ms) | SQL median / p95 (ms) | API ÷ SQL |`);
    print('|---|---|---|---|');
    for (const [name, path, params] of cases) {
      const api = await timed(repeats, async () => {
        const response = await fetch(`${gateway.httpUrl}${path}`, { headers: bearer() });
        if (response.status !== 200) {
          throw new Error(`${path}: ${response.status}`);
        }
        const body = (await response.json()) as { entries: unknown[] };
        if (body.entries.length !== 100) {
          throw new Error(`${path}: ${body.entries.length} entries`);
        }
      });
      const floor = await timed(repeats, () => sql.query(worklistSql, params));
      print(
        `| ${name} | ${quantile(api, 0.5).toFixed(1)} / ${quantile(api, 0.95).toFixed(1)} | ` +
          `${quantile(floor, 0.5).toFixed(1)} / ${quantile(floor, 0.95).toFixed(1)} | ` +
          `${(quantile(api, 0.5) / quantile(floor, 0.5)).toFixed(2)} |`,
      );
    }
    print();
  } finally {
    await gateway.close();
    await database.dispose();
  }
}

print(`Worklist with ${studies} triaged studies, ${repeats} requests per case (after one warm-up)`);
await run('pglite');
if (await postgresAvailable()) {
  await run('postgres');
}
