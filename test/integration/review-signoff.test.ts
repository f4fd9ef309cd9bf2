/**
 * Clinician review and sign-off end to end with real peers: a fundus study sent by `storescu` gets a
 * preliminary SR in Orthanc; a grader modifies one eye's AI finding and rejects the other (a rejection without
 * a reason, a modification of another kind, and signing by a grader are refused); signing before every finding
 * is reviewed is refused; an ophthalmologist signs, and a final SR (COMPLETE / VERIFIED, the signer as
 * verifying observer, the preliminary SR as predecessor, the modified value, without the rejected finding) and
 * an IOCM rejection note arrive in Orthanc, dciodvfy-clean; the audit trail lists every step.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { secretHash } from '../../src/auth/index.ts';
import { parseMeasurementReport } from '../../src/dicom/sr/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { bearer, getJson, startTestGateway, waitFor } from '../peers/gateway.ts';
import { startOrthanc, type OrthancPeer } from '../peers/orthanc.ts';
import { peerInstalled, requirePeer } from '../peers/peers.ts';
import { dciodvfyErrors, orthancFile, storescuSend, writeFundusStudy } from '../peers/results.ts';

const graderToken = 'review-grader-token-0123456789';
const readerToken = 'review-reader-token-0123456789';

interface ReviewBody {
  reasonCode?: string;
  reason?: string;
}

interface FindingBody {
  id: string;
  eye: string;
  key: string;
  status: string;
  value: { kind: string; verdict?: string; reasons?: string[]; score?: number; components?: object };
}

/** Orthanc's instances of a study with their modality and SOP Instance UID. */
async function orthancInstances(
  orthanc: OrthancPeer,
  uid: string,
): Promise<{ id: string; modality: string; sop: string }[]> {
  const found = (await orthanc.rest('POST', '/tools/lookup', uid)) as { Type: string; ID: string }[];
  const study = found.find((entry) => entry.Type === 'Study');
  if (study === undefined) {
    return [];
  }
  const instances = (await orthanc.rest('GET', `/studies/${study.ID}/instances`)) as { ID: string }[];
  const out: { id: string; modality: string; sop: string }[] = [];
  for (const instance of instances) {
    const tags = (await orthanc.rest('GET', `/instances/${instance.ID}/simplified-tags`)) as Record<
      string,
      string
    >;
    out.push({ id: instance.ID, modality: tags.Modality ?? '', sop: tags.SOPInstanceUID ?? '' });
  }
  return out;
}

describe('clinician review and sign-off end to end', () => {
  let database: TestDatabase;
  let orthanc: OrthancPeer | undefined;
  let gateway: Gateway | undefined;
  const directories: string[] = [];

  before(async () => {
    database = await createTestDatabase('pglite');
    if (peerInstalled('orthanc')) {
      orthanc = await startOrthanc();
      gateway = await startTestGateway(
        database,
        {},
        {
          FOVEA_PACS_DIMSE: `${orthanc.aeTitle}@127.0.0.1:${orthanc.dicomPort}`,
          FOVEA_PHASES: 'image-quality:assistive',
        },
      );
      for (const [token, name, role] of [
        [graderToken, 'grader-gill', 'grader'],
        [readerToken, 'dr-reader', 'ophthalmologist'],
      ] as const) {
        await gateway.auth.saveToken({ hash: secretHash(token), name, roles: [role], createdAt: new Date() });
      }
    }
  });
  after(async () => {
    await gateway?.close();
    await orthanc?.dispose();
    await database.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  const post = async (
    path: string,
    body: unknown,
    token: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${gateway!.httpUrl}${path}`, {
      method: 'POST',
      headers: { ...bearer(token), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('turns reviewed AI findings into a signed final SR in Orthanc, every step audited', async (t) => {
    if (
      !requirePeer(t, 'orthanc') ||
      !requirePeer(t, 'dcmtk') ||
      !requirePeer(t, 'dciodvfy') ||
      !orthanc ||
      !gateway
    ) {
      return;
    }
    const study = await writeFundusStudy(4711, 512);
    directories.push(study.directory);
    const uid = study.studyInstanceUid;
    await storescuSend(gateway.dicomPort, study.files);
    const preliminary = await waitFor(
      async () => (await orthancInstances(orthanc!, uid)).find((instance) => instance.modality === 'SR'),
      60_000,
      'the preliminary SR in Orthanc',
    );

    const report = await getJson<{ unreviewed: number; findings: FindingBody[]; draft: string }>(
      gateway,
      `/api/studies/${uid}/report`,
      graderToken,
    );
    assert.equal(report.status, 200);
    assert.equal(report.body.unreviewed, 2);
    assert.match(report.body.draft, /Right eye: .*\[AI, not reviewed\]/u);
    const right = report.body.findings.find((finding) => finding.eye === 'R')!;
    const left = report.body.findings.find((finding) => finding.eye === 'L')!;
    const reviewPath = (finding: FindingBody): string => `/api/studies/${uid}/findings/${finding.id}/review`;

    assert.equal(
      (await post(`/api/studies/${uid}/sign`, { text: 'x' }, readerToken)).status,
      409,
      'unreviewed findings',
    );
    assert.equal(
      (await post(reviewPath(left), { decision: 'reject' }, graderToken)).status,
      400,
      'no reason',
    );
    const wrongKind = {
      kind: 'measurement',
      concept: { value: 'X', scheme: '99FOVEA', meaning: 'x' },
      value: 1,
      unit: { value: 'um', scheme: 'UCUM', meaning: 'um' },
    };
    assert.equal(
      (await post(reviewPath(right), { decision: 'modify', value: wrongKind }, graderToken)).status,
      400,
    );
    const modified = { ...right.value, verdict: 'ungradable', reasons: ['blur'], score: 0.2 };
    const modify = await post(reviewPath(right), { decision: 'modify', value: modified }, graderToken);
    assert.equal(modify.status, 200, JSON.stringify(modify.body));
    assert.equal((modify.body.finding as FindingBody).status, 'modified');
    assert.equal(
      (await post(reviewPath(left), { decision: 'reject', reasonCode: 'other' }, graderToken)).status,
      400,
      'another reason needs words',
    );
    assert.equal(
      (
        await post(
          reviewPath(left),
          { decision: 'reject', reasonCode: 'not-a-code', reason: 'x' },
          graderToken,
        )
      ).status,
      400,
      'an unknown code',
    );
    assert.equal(
      (await post(reviewPath(left), { decision: 'accept', reasonCode: 'duplicate' }, graderToken)).status,
      400,
      'only a rejection has a reason code',
    );
    const codedOnly = await post(
      reviewPath(left),
      { decision: 'reject', reasonCode: 'image-quality' },
      graderToken,
    );
    assert.equal(codedOnly.status, 200, JSON.stringify(codedOnly.body));
    assert.deepEqual(
      [(codedOnly.body.review as ReviewBody).reasonCode, (codedOnly.body.review as ReviewBody).reason],
      ['image-quality', 'Image not good enough to say'],
      'a coded rejection keeps the code and its meaning as words',
    );
    const reject = await post(
      reviewPath(left),
      { decision: 'reject', reasonCode: 'wrong-type', reason: 'eyelashes, not blur' },
      graderToken,
    );
    assert.equal(reject.status, 200, JSON.stringify(reject.body));
    assert.deepEqual(
      [(reject.body.review as ReviewBody).reasonCode, (reject.body.review as ReviewBody).reason],
      ['wrong-type', 'eyelashes, not blur'],
    );
    assert.equal(
      (await post(`/api/studies/${uid}/sign`, { text: 'x' }, graderToken)).status,
      403,
      'graders do not sign',
    );

    const draft = await getJson<{ unreviewed: number; draft: string }>(
      gateway,
      `/api/studies/${uid}/report`,
      readerToken,
    );
    assert.equal(draft.body.unreviewed, 0);
    assert.match(draft.body.draft, /Right eye: quality: ungradable \(blur\)\./u);
    assert.doesNotMatch(draft.body.draft, /Left eye/u, 'the rejected finding is left out');
    const signed = await post(
      `/api/studies/${uid}/sign`,
      { text: `${draft.body.draft}\nRecapture the right eye.`, signerName: 'Reader^Dana' },
      readerToken,
    );
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    assert.equal(signed.body.revision, 1);
    assert.equal((signed.body.objects as string[]).length, 2, 'a final SR and a rejection note');

    const finalSop = (signed.body.objects as string[])[0]!;
    const delivered = await waitFor(
      async () => {
        const instances = await orthancInstances(orthanc!, uid);
        return instances.some((instance) => instance.sop === finalSop) &&
          instances.some((instance) => instance.modality === 'KO')
          ? instances
          : undefined;
      },
      60_000,
      'the final SR and the rejection note in Orthanc',
    );
    const finalFile = await orthancFile(orthanc, delivered.find((instance) => instance.sop === finalSop)!.id);
    assert.deepEqual(await dciodvfyErrors(finalFile), []);
    const note = await orthancFile(orthanc, delivered.find((instance) => instance.modality === 'KO')!.id);
    assert.deepEqual(await dciodvfyErrors(note), []);
    const final = parseMeasurementReport(finalFile);
    assert.equal(final.completionFlag, 'COMPLETE');
    assert.equal(final.verificationFlag, 'VERIFIED');
    assert.equal(final.verifiers[0]?.name, 'Reader^Dana');
    assert.deepEqual(
      final.predecessors.map((reference) => reference.sopInstanceUid),
      [preliminary.sop],
    );
    assert.deepEqual(
      final.groups.map((group) => group.eye),
      ['R'],
      'only the reviewed right eye remains',
    );
    const value = final.groups[0]!.value;
    assert.ok(
      value?.kind === 'quality' && value.verdict === 'ungradable',
      'the modified value is in the final SR',
    );

    const audit = await getJson<{
      entries: { action?: string; path?: string; route?: string; actor?: { name: string } }[];
    }>(gateway, `/api/studies/${uid}/audit`);
    assert.equal(audit.status, 200);
    const trail = JSON.stringify(audit.body);
    for (const step of [
      '/review',
      '/sign',
      '/report',
      'grader-gill',
      'dr-reader',
      'wrong-type',
      'image-quality',
    ]) {
      assert.ok(trail.includes(step), `the audit trail mentions ${step}`);
    }
  });
});
