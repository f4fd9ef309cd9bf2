/**
 * `npm run bench:review-station`: how long a 2000 × 2000 colour fundus photograph takes to be on screen in the
 * review station (issue 9 target: ≤ 1 s after opening the study), beside Orthanc rendering the same instances.
 *
 * A gateway (PGlite; image-quality and dr-screening assistive) receives `studies` synthetic two-eye studies of
 * 2000 × 2000 photographs by STOW-RS; Orthanc receives the same files. Headless Chromium signs in once, then
 * opens each study as a reader does, once it is on the worklist (analysed and triaged), and waits until both
 * photographs have loaded with pixels (`img.complete && naturalWidth > 0`): the first opening (the gateway
 * rendered the photographs when the study was routed, so this measures the station and its cache), then a
 * second opening. One more study is opened the moment it is routed, while it is being analysed and rendered
 * (the worst case). Side by side, the time to fetch one rendered photograph
 * over HTTP from the gateway (`/api/instances/{uid}/rendered`, 1024 px JPEG as the viewer asks) and from
 * Orthanc (`/instances/{id}/preview`, its PNG rendering), cold and warm.
 *
 * Usage: npm run bench:review-station -- [studies=4]
 */
import { readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createAccount } from '../src/api/index.ts';
import { DicomWebClient } from '../src/dicom/dicomweb/index.ts';
import { launchChromium, chromiumPath } from '../test/browser/chromium.ts';
import { signIn, waitForCount } from '../test/browser/station.ts';
import { ensureWebBuilt } from '../test/browser/web-build.ts';
import { createTestDatabase } from '../test/peers/databases.ts';
import { bearer, startTestGateway, testIngestToken, waitFor } from '../test/peers/gateway.ts';
import { startOrthanc } from '../test/peers/orthanc.ts';
import { writeFundusStudy } from '../test/peers/results.ts';

const studies = Number(process.argv[2] ?? 4);
const size = 2000;
const username = 'bench-reader';
const password = 'correct horse battery staple';

function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function summary(values: readonly number[]): string {
  return `median ${median(values).toFixed(0)} ms, max ${Math.max(...values).toFixed(0)} ms (n = ${values.length})`;
}

async function timedFetch(url: string, headers: Record<string, string>): Promise<number> {
  const start = performance.now();
  const response = await fetch(url, { headers });
  const bytes = await response.arrayBuffer();
  if (!response.ok || bytes.byteLength === 0) {
    throw new Error(`${url} -> ${response.status}`);
  }
  return performance.now() - start;
}

async function main(): Promise<void> {
  const executable = chromiumPath();
  if (executable === undefined) {
    throw new Error('Chromium is not installed (apt-get install -y --no-install-recommends chromium)');
  }
  await ensureWebBuilt();
  const database = await createTestDatabase('pglite');
  const orthanc = await startOrthanc();
  const gateway = await startTestGateway(
    database,
    {},
    { FOVEA_PHASES: 'image-quality:assistive,dr-screening:assistive' },
  );
  const directories: string[] = [];
  const browser = await launchChromium(executable);
  try {
    await createAccount(gateway.auth, username, password, ['grader']);
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    const sent: { uid: string; photographs: { sop: string; orthancId: string }[] }[] = [];
    for (let index = 0; index < studies; index++) {
      const study = await writeFundusStudy(9100 + index, size);
      directories.push(study.directory);
      const files = study.files.map((file) => readFileSync(file));
      await client.storeInstances(files, study.studyInstanceUid);
      const photographs = [];
      for (const [position, bytes] of files.entries()) {
        const response = await fetch(`${orthanc.httpUrl}/instances`, {
          method: 'POST',
          headers: { authorization: orthanc.authorization, 'content-type': 'application/dicom' },
          body: bytes,
        });
        const stored = (await response.json()) as { ID: string };
        const object = study.objects.find((candidate) => study.files[position]!.endsWith(candidate.fileName));
        photographs.push({ sop: object!.sopInstanceUid, orthancId: stored.ID });
      }
      sent.push({ uid: study.studyInstanceUid, photographs });
    }
    for (const study of sent) {
      await waitFor(
        async () =>
          (await gateway.results.listAnalyses(study.uid)).some(
            (analysis) => analysis.analyzerId === 'dr-screening',
          ) && (await gateway.results.getTriage(study.uid)) !== undefined,
        300_000,
        'the study analysed and on the worklist',
      );
    }
    print(`Review station: ${studies} studies of two ${size} × ${size} colour fundus photographs`);

    const page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    await signIn(page, gateway.httpUrl, username, password);

    const openStudy = async (uid: string): Promise<number> => {
      const start = performance.now();
      await page.goto(`${gateway.httpUrl}/studies/${uid}`);
      await waitForCount(page, 'img[data-testid="fundus-image"]', 2, true);
      return performance.now() - start;
    };
    const cold: number[] = [];
    const warm: number[] = [];
    for (const study of sent) {
      cold.push(await openStudy(study.uid));
      warm.push(await openStudy(study.uid));
    }
    print('');
    print('Study opened → both photographs on screen (Chromium, page navigation included)');
    print(`  first opening from the worklist: ${summary(cold)}   target ≤ 1000 ms`);
    print(`  second opening (warm): ${summary(warm)}`);
    const late = await writeFundusStudy(9100 + studies, size);
    directories.push(late.directory);
    await client.storeInstances(
      late.files.map((file) => readFileSync(file)),
      late.studyInstanceUid,
    );
    await waitFor(
      async () => (await gateway.store.index.getStudy(late.studyInstanceUid))?.state === 'routed',
      60_000,
      'the last study routed',
    );
    const immediate = await openStudy(late.studyInstanceUid);
    print(
      `  opened the moment it was routed (still being analysed and rendered): ${immediate.toFixed(0)} ms`,
    );

    const foveaCold: number[] = [];
    const foveaWarm: number[] = [];
    const orthancCold: number[] = [];
    const orthancWarm: number[] = [];
    const orthancAuth = { authorization: orthanc.authorization };
    for (const study of sent) {
      for (const photograph of study.photographs) {
        // The page above already rendered these at 1024 px: ask for 1000 px for a cold gateway render.
        const fovea = `${gateway.httpUrl}/api/instances/${photograph.sop}/rendered?frame=1&maxSize=1000`;
        foveaCold.push(await timedFetch(fovea, { ...bearer(), accept: 'image/jpeg' }));
        foveaWarm.push(await timedFetch(fovea, { ...bearer(), accept: 'image/jpeg' }));
        const preview = `${orthanc.httpUrl}/instances/${photograph.orthancId}/preview`;
        orthancCold.push(await timedFetch(preview, orthancAuth));
        orthancWarm.push(await timedFetch(preview, orthancAuth));
      }
    }
    print('');
    print('One photograph rendered over HTTP (decode + scale + encode), side by side');
    print(`  Fovea  /rendered 1000 px JPEG  cold: ${summary(foveaCold)}; warm: ${summary(foveaWarm)}`);
    print(`  Orthanc /preview PNG           cold: ${summary(orthancCold)}; warm: ${summary(orthancWarm)}`);
    print(`  ratio Fovea ÷ Orthanc (cold medians): ${(median(foveaCold) / median(orthancCold)).toFixed(2)}`);
  } finally {
    await browser.close();
    await gateway.close();
    await orthanc.dispose();
    await database.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  }
}

await main();
