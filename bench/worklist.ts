/**
 * `npm run bench:worklist`: the reading worklist with 10,000 triaged studies (issue 9: ≤ 300 ms server time).
 * For each backend (PGlite, and PostgreSQL when it answers) a gateway is started on a fresh database seeded
 * with 10,000 routed studies, their analyses (four use cases), their triage (every bucket, random priorities)
 * and a signed report for one in ten; then, side by side: `GET /api/worklist` over HTTP on loopback (first
 * page, a page deep in the list, one bucket, the filters of the station together: use case, to read, a study
 * date range), each answer with its total, and the same SQL the store runs for the page, straight on the
 * database (the floor). Prints the median and p95 of each and the ratio.
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

const worklistSql = `SELECT t.*, s.site, s.accession_number, s.study_date, s.last_received_at,
         (SELECT max(r.revision) FROM report_signoff r
          WHERE r.study_instance_uid = t.study_instance_uid) AS signed_revision
  FROM study_triage t JOIN study s ON s.study_instance_uid = t.study_instance_uid
  WHERE ($1::text IS NULL OR t.bucket = $1) AND ($2::text IS NULL OR s.site = $2)
    AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM analysis a
                                     WHERE a.id = ANY (t.analysis_ids) AND a.use_case = $3))
    AND ($4::text IS NULL OR ($4 = 'signed') = EXISTS (SELECT 1 FROM report_signoff r
                                                      WHERE r.study_instance_uid = t.study_instance_uid))
    AND ($5::text IS NULL OR s.study_date >= $5) AND ($6::text IS NULL OR s.study_date <= $6)
  ORDER BY t.priority DESC, s.last_received_at, t.study_instance_uid
  LIMIT $7 OFFSET $8`;

const useCases = ['dr-screening', 'dme-quantification', 'glaucoma-progression', 'image-quality'];

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
    await sql.query(
      `INSERT INTO analysis (id, study_instance_uid, analyzer_id, analyzer_version, use_case, phase, status,
                             model_hash, input_sop_instance_uids, started_at, finished_at)
       SELECT 'an' || g, '2.25.9' || g, 'bench', '1.0.0', ($2::text[])[1 + g % 4], 'assistive', 'succeeded',
              'h', ARRAY['2.25.8' || g], now(), now()
       FROM generate_series(1, $1) AS g`,
      [studies, useCases],
    );
    await sql.query(
      `INSERT INTO report_signoff (id, study_instance_uid, revision, report_text, signer, signer_name, signed_at,
                                   analysis_ids)
       SELECT 'so' || g, '2.25.9' || g, 1, 'seeded', 'u', 'Reader^Bench', now(), ARRAY['an' || g]
       FROM generate_series(10, $1, 10) AS g`,
      [studies],
    );
    print(
      `${backend}: seeded ${studies} triaged studies in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const cases: [string, string, (string | number | null)[]][] = [
      ['first page (100)', '/api/worklist?limit=100', [null, null, null, null, null, null, 100, 0]],
      [
        'deep page (offset 9,900)',
        `/api/worklist?limit=100&offset=${studies - 100}`,
        [null, null, null, null, null, null, 100, studies - 100],
      ],
      [
        'one bucket (referable)',
        '/api/worklist?bucket=referable&limit=100',
        ['referable', null, null, null, null, null, 100, 0],
      ],
      [
        'use case + to read + Mar–Sep',
        '/api/worklist?useCase=dr-screening&status=unsigned&studyDateFrom=2026-03-01&studyDateTo=2026-09-30&limit=100',
        [null, null, 'dr-screening', 'unsigned', '20260301', '20260930', 100, 0],
      ],
    ];
    print(`| ${backend} | API median / p95 (ms) | SQL median / p95 (ms) | API ÷ SQL |`);
    print('|---|---|---|---|');
    for (const [name, path, params] of cases) {
      const api = await timed(repeats, async () => {
        const response = await fetch(`${gateway.httpUrl}${path}`, { headers: bearer() });
        if (response.status !== 200) {
          throw new Error(`${path}: ${response.status}`);
        }
        const body = (await response.json()) as { entries: unknown[]; total: number };
        if (body.entries.length !== 100 || body.total < 100) {
          throw new Error(`${path}: ${body.entries.length} entries of ${body.total}`);
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
