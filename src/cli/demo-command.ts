/**
 * `fovea demo` (= `npm run demo`): the gateway on the embedded defaults with the demo profile, and a
 * synthetic demo cohort (normal, referable DR, DME, glaucoma progression, critical and ungradable cases, with
 * prior visits) generated and sent to it through real C-STORE, so that a new user sees studies arrive, get
 * assembled and routed within a minute.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAccount } from '../api/index.ts';
import { randomSecret } from '../auth/index.ts';
import { generateCohort } from '../synth/index.ts';
import { startGateway, type Gateway } from '../main/index.ts';
import { sendDicomFiles } from './send-command.ts';
import { createProgress } from './progress.ts';
import { configFromArgv, runUntilSignalled } from './serve-command.ts';

/** Findings left out of the summary (the per-subfield detail is in the API and the SR). */
const detailKeys = new Set([
  'centre-point-thickness',
  ...['IS', 'IN', 'II', 'IT', 'OS', 'ON', 'OI', 'OT'].map((name) => `thickness-${name}`),
  'irf-max-height',
  'srf-max-height',
  'ped-max-height',
]);

/** Waits until the analyses of the sent studies are done, then prints their per-eye findings. */
async function printFindings(gateway: Gateway): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  let quietRounds = 0;
  while (Date.now() < deadline && quietRounds < 3) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const receiving = await gateway.store.index.listStudies({ state: 'receiving', limit: 1, offset: 0 });
    const stable = await gateway.store.index.listStudies({ state: 'stable', limit: 1, offset: 0 });
    const jobs = await gateway.store.jobs.countByState();
    const idle = receiving.total === 0 && stable.total === 0 && jobs.queued === 0 && jobs.running === 0;
    quietRounds = idle ? quietRounds + 1 : 0;
  }
  const studies = await gateway.store.index.listStudies({ limit: 500, offset: 0 });
  console.log('\nAI findings (AI-generated — verify; preliminary until a clinician signs off):');
  for (const study of studies.items) {
    const analyses = await gateway.results.listAnalyses(study.studyInstanceUid);
    const lines = analyses.flatMap((analysis) =>
      analysis.findings
        .filter((finding) => !detailKeys.has(finding.key))
        .map((finding) => {
          const value = finding.value;
          const text =
            value.kind === 'quality'
              ? `${value.verdict} (score ${value.score.toFixed(2)}${value.reasons.length > 0 ? `; ${value.reasons.join(', ')}` : ''})`
              : value.kind === 'measurement'
                ? `${value.concept.meaning}: ${Number(value.value.toPrecision(4))} ${value.unit.value}`
                : value.kind === 'classification'
                  ? `${value.concept.meaning}: ${value.value.meaning}`
                  : `${value.concept.meaning} (${value.points.length / 2} points)`;
          return `    ${finding.eye}  ${finding.useCase}: ${text}  [${analysis.analyzerId}@${analysis.analyzerVersion}, ${analysis.phase}]`;
        }),
    );
    if (lines.length > 0) {
      console.log(
        `  ${study.patientId ?? '?'} ${study.studyDate ?? ''} ${study.modalities.join('/')}  ${gateway.httpUrl}/api/studies/${study.studyInstanceUid}/findings`,
      );
      console.log(lines.join('\n'));
    }
  }
  const worklist = await gateway.results.listWorklist({ limit: 20 });
  console.log(`\nWorklist (most urgent first): ${gateway.httpUrl}/api/worklist`);
  for (const entry of worklist) {
    const reasons = entry.triage.reasons.map((reason) => `${reason.eye}: ${reason.reason}`).join('; ');
    console.log(
      `  ${entry.triage.bucket.padEnd(18)} ${String(entry.triage.priority).padStart(4)}  ${reasons}`,
    );
  }
  if (worklist.length === 0) {
    console.log('  (no study needs attention yet)');
  }
}

/**
 * The demo ophthalmologist: created on the first run with a generated password kept (mode 0600) in the data
 * directory, so later runs print the same credentials.
 */
async function demoAccount(gateway: Gateway, dataDir: string): Promise<string> {
  const file = join(resolve(dataDir), 'demo-credentials.json');
  const username = 'demo-ophthalmologist';
  let password: string;
  if (existsSync(file)) {
    password = (JSON.parse(readFileSync(file, 'utf8')) as { password: string }).password;
  } else {
    password = randomSecret(15);
    writeFileSync(file, JSON.stringify({ username, password }), { mode: 0o600 });
  }
  if ((await gateway.auth.getAccountByName(username)) === undefined) {
    await createAccount(gateway.auth, username, password, ['ophthalmologist']);
  }
  return `POST ${gateway.httpUrl}/api/session {"username":"${username}","password":"${password}"}`;
}

/** Runs `fovea demo [--patients N] [--no-send] [serve flags…]`. */
export async function runDemoCommand(argv: readonly string[]): Promise<number> {
  const own = parseArgs({
    args: [...argv],
    strict: false,
    options: { patients: { type: 'string' }, 'no-send': { type: 'boolean' } },
  });
  const passThrough = argv.filter(
    (arg, index) => !arg.startsWith('--patients') && arg !== '--no-send' && argv[index - 1] !== '--patients',
  );
  const config = configFromArgv(passThrough, {
    FOVEA_PROFILE: 'demo',
    FOVEA_API_TOKEN: `demo-${randomSecret(18)}`,
    ...process.env,
  });
  if (config === undefined) {
    return 1;
  }
  const gateway = await startGateway(config);
  const signIn = await demoAccount(gateway, config.dataDir);
  console.log(`Fovea demo is running.
  API:      ${gateway.httpUrl}/api/studies   (OpenAPI: ${gateway.httpUrl}/api/openapi.json)
  Token:    export TOKEN=${config.auth.apiToken ?? ''}   (curl -H "Authorization: Bearer $TOKEN" …)
  Sign in:  ${signIn}
  DICOM:    ${config.dicom.aeTitle}@${config.host}:${gateway.dicomPort}
  Stop with Ctrl-C.`);
  if (own.values['no-send'] !== true) {
    const patients = Number(own.values.patients ?? 8);
    const cohortDir = resolve(config.dataDir, 'demo-cohort', `seed-2026-${patients}`);
    if (!existsSync(cohortDir) || readdirSync(cohortDir).length === 0) {
      console.log(
        `Generating a synthetic demo cohort of ${patients} patients (with prior visits) in ${cohortDir} …`,
      );
      const progress = createProgress('synth', patients);
      await generateCohort({
        seed: 2026,
        size: patients,
        visits: 2,
        out: cohortDir,
        retain: false,
        fundusSize: { width: 1024, height: 1024 },
        octSize: { frames: 25, columns: 384, rows: 496 },
        onCase: (_entry, index) => {
          progress.update(index + 1, 0);
        },
      });
      progress.finish();
    }
    console.log(`Sending the demo cohort to ${config.dicom.aeTitle} with C-STORE …`);
    let progress: ReturnType<typeof createProgress> | undefined;
    const report = await sendDicomFiles(
      [cohortDir],
      {
        host: config.host,
        port: gateway.dicomPort,
        callingAet: 'FOVEADEMO',
        calledAet: config.dicom.aeTitle,
      },
      (done, total, bytes) => {
        progress ??= createProgress('C-STORE', total);
        progress.update(done, bytes);
      },
    );
    progress?.finish();
    console.log(
      `Sent ${report.sent} instances (${report.failed.length} failed). Studies become stable after ${config.assembly.quietPeriodSeconds} s of quiet and are routed: see ${gateway.httpUrl}/api/studies`,
    );
    for (const failure of report.failed.slice(0, 5)) {
      console.log(`  failed: ${join(failure.path)}: ${failure.reason}`);
    }
    await printFindings(gateway);
  }
  await runUntilSignalled(gateway);
  return 0;
}
