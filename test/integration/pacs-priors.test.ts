/**
 * Priors found on a real PACS (Orthanc) with QIDO-RS and fetched with WADO-RS: only the same patient's earlier
 * studies of the wanted modality, newest first, per eye; only the series of that modality; cached (no second
 * fetch, one fetch for concurrent callers, a refetch when the PACS holds more instances); a PACS that is down
 * leaves the index's priors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Case } from '../../src/core/case.ts';
import type { LogFields, Logger } from '../../src/core/logger.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { logEvents } from '../../src/core/log-events.ts';
import { newUid } from '../../src/core/uid.ts';
import { readInstanceHeader, scanBuffer } from '../../src/dicom/codec/index.ts';
import { DicomWebClient, type InstanceHandler } from '../../src/dicom/dicomweb/index.ts';
import { combinedPriorFinder, PacsPriorFinder, type PriorPacs } from '../../src/pipeline/pacs-priors.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography } from '../fixtures/dicom-files.ts';
import { sharedOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { freePort, peerInstalled, requirePeer } from '../peers/peers.ts';

/** Counts the WADO-RS retrieves a finder makes. */
function counting(client: DicomWebClient): PriorPacs & { retrieves: number } {
  const counted = {
    retrieves: 0,
    searchStudies: client.searchStudies.bind(client),
    searchSeries: (studyUid: string, query: Readonly<Record<string, string>>) =>
      client.searchSeries(studyUid, query),
    retrieveSeries: (studyUid: string, seriesUid: string, onInstance: InstanceHandler) => {
      counted.retrieves += 1;
      return client.retrieveSeries(studyUid, seriesUid, onInstance);
    },
  };
  return counted;
}

function currentCase(patientId: string, studyDate: string): Case {
  return {
    studyInstanceUid: newUid(),
    patientId,
    studyDate,
    site: 'main',
    eyes: [
      { eye: 'R', instances: [] },
      { eye: 'L', instances: [] },
    ],
    bothEyes: [],
    unknownEye: [],
    assembledAt: new Date(),
  };
}

describe('priors from a PACS (QIDO-RS + WADO-RS, cached)', () => {
  let orthanc: OrthancPeer | undefined;
  let client: DicomWebClient;
  const spoolRoot = mkdtempSync(join(tmpdir(), 'fovea-priors-'));
  const patientId = `PRI${Date.now()}`;
  const older = { study: newUid(), date: '20240110' };
  const newer = { study: newUid(), date: '20250301' };
  const later = { study: newUid(), date: '20270101' };
  const otherPatient = { study: newUid(), date: '20250302' };
  let newerOpSopUids: string[] = [];

  before(async () => {
    if (!peerInstalled('orthanc')) {
      return;
    }
    orthanc = await sharedOrthanc();
    client = new DicomWebClient({
      baseUrl: orthanc.dicomWebUrl,
      auth: { user: orthanc.user, password: orthanc.password },
    });
    const photo = (study: { study: string; date: string }, eye: 'R' | 'L', patient = patientId) =>
      makeOphthalmicPhotograph({
        patientId: patient,
        studyInstanceUid: study.study,
        studyDate: study.date,
        eye,
      });
    const newerRight = await photo(newer, 'R');
    const newerLeft = await photo(newer, 'L');
    newerOpSopUids = [newerRight.sopInstanceUid, newerLeft.sopInstanceUid];
    const instances = [
      (await photo(older, 'R')).part10,
      newerRight.part10,
      newerLeft.part10,
      makeOphthalmicTomography({
        patientId,
        studyInstanceUid: newer.study,
        studyDate: newer.date,
        eye: 'L',
      }).part10,
      (await photo(later, 'R')).part10,
      (await photo(otherPatient, 'R', `${patientId}X`)).part10,
    ];
    const stored = await client.storeInstances(instances);
    assert.equal(stored.status, 200);
  });
  after(async () => {
    await orthanc?.dispose();
    rmSync(spoolRoot, { recursive: true, force: true });
  });

  it('finds the earlier studies of the patient and modality, newest first, per eye, and caches them', async (t) => {
    if (!requirePeer(t, 'orthanc') || orthanc === undefined) {
      return;
    }
    const pacs = counting(client);
    const finder = new PacsPriorFinder({ pacsId: 'default', pacs, spoolRoot, logger: silentLogger });
    const current = currentCase(patientId, '20260601');
    const priors = await finder.findPriors(current, ['OP']);
    assert.deepEqual(
      priors.map((prior) => prior.studyInstanceUid),
      [newer.study, older.study],
      'the later study and the other patient are no priors',
    );
    const [first] = priors;
    assert.ok(first !== undefined);
    assert.equal(first.patientId, patientId);
    assert.equal(first.studyDate, newer.date);
    assert.deepEqual(
      first.eyes.map((eye) => [eye.eye, eye.instances.map((instance) => instance.sopInstanceUid)]),
      [
        ['R', [newerOpSopUids[0]]],
        ['L', [newerOpSopUids[1]]],
      ],
      'only the OP series is fetched (not the OCT of the same study), grouped by eye',
    );
    for (const instance of first.eyes.flatMap((eye) => eye.instances)) {
      const header = readInstanceHeader(
        scanBuffer(readFileSync(join(spoolRoot, instance.spoolPath)), { part10: true }),
      );
      assert.equal(header.sopInstanceUid, instance.sopInstanceUid);
      assert.equal(header.modality, 'OP');
    }
    assert.equal(
      pacs.retrieves,
      3,
      'one WADO-RS retrieve per OP series (two in the newer study, one in the older)',
    );

    const again = await finder.findPriors(current, ['OP']);
    assert.deepEqual(again, priors, 'the cached Cases are the same');
    assert.equal(pacs.retrieves, 3, 'a cached prior is not fetched again');

    const fresh = counting(client);
    const restarted = new PacsPriorFinder({
      pacsId: 'default',
      pacs: fresh,
      spoolRoot,
      logger: silentLogger,
    });
    await restarted.findPriors(current, ['OP']);
    assert.equal(fresh.retrieves, 0, 'the cache is on disk: a restarted Fovea does not fetch again');

    const added = await makeOphthalmicPhotograph({
      patientId,
      studyInstanceUid: older.study,
      studyDate: older.date,
      eye: 'L',
    });
    assert.equal((await client.storeInstances([added.part10])).status, 200);
    const refreshed = await restarted.findPriors(current, ['OP']);
    assert.equal(
      fresh.retrieves,
      2,
      'a prior with more instances on the PACS is fetched again (its two series)',
    );
    const oldest = refreshed.find((prior) => prior.studyInstanceUid === older.study);
    assert.deepEqual(
      oldest?.eyes.map((eye) => eye.instances.length),
      [1, 1],
    );
  });

  it('fetches a prior once for concurrent analyses, and never matches other patients by wildcard', async (t) => {
    if (!requirePeer(t, 'orthanc') || orthanc === undefined) {
      return;
    }
    const pacs = counting(client);
    const root = mkdtempSync(join(tmpdir(), 'fovea-priors-'));
    try {
      const finder = new PacsPriorFinder({ pacsId: 'default', pacs, spoolRoot: root, logger: silentLogger });
      const current = currentCase(patientId, '20260601');
      const [a, b] = await Promise.all([
        finder.findPriors(current, ['OP']),
        finder.findPriors(current, ['OP']),
      ]);
      assert.deepEqual(a, b);
      assert.equal(pacs.retrieves, 4, 'each prior series (now four, with the added one) fetched once');
      const wildcard = await finder.findPriors(currentCase(`${patientId}*`, '20260601'), ['OP']);
      assert.deepEqual(wildcard, [], 'a Patient ID with * matches no other patient');
      assert.deepEqual(await finder.findPriors(currentCase(patientId, '20240101'), ['OP']), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('goes on with the index priors when the PACS is down, and says so in the log', async () => {
    const down = new DicomWebClient({
      baseUrl: `http://127.0.0.1:${await freePort()}/dicom-web`,
      timeoutMs: 2000,
    });
    const warnings: LogFields[] = [];
    const logger: Logger = { ...silentLogger, warn: (fields) => warnings.push(fields), child: () => logger };
    const local = currentCase(patientId, '20230101');
    const finder = combinedPriorFinder(
      { findPriors: () => Promise.resolve([local]) },
      new PacsPriorFinder({ pacsId: 'default', pacs: down, spoolRoot, logger: silentLogger }),
      logger,
    );
    const priors = await finder.findPriors(currentCase(patientId, '20260601'), ['OP']);
    assert.deepEqual(
      priors.map((prior) => prior.studyInstanceUid),
      [local.studyInstanceUid],
    );
    assert.deepEqual(
      warnings.map((fields) => fields.event),
      [logEvents.PRIORS_FETCH_FAILED],
    );
  });
});
