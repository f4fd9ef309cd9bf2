/**
 * Worklist claims through the API on a real gateway (PGlite): a reader claims a study; the worklist and
 * `GET .../claim` show who holds it; a second reader's claim, review and sign-off get 409 `FOVEA_CLAIM_HELD`
 * naming the holder; the holder renews, reviews and releases, and then the other reader can review; an admin
 * breaks a claim; an expired claim is free; the claim time follows `review.claimMinutes`; the worklist's event
 * stream announces claims and releases; the audit trail records every claim, release and break, and every
 * review with the finding, its concept, the decision, the new value or the reason — and the chain verifies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secretHash } from '../../src/auth/index.ts';
import type { AnalysisRecord, Finding } from '../../src/core/finding.ts';
import { newUid } from '../../src/core/uid.ts';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { bearer, startTestGateway, testAdminToken, testApiToken, waitFor } from '../peers/gateway.ts';

const readerA = { token: 'claim-reader-a-token-0123456789', name: 'Reader^Dana' };
const readerB = { token: 'claim-reader-b-token-0123456789', name: 'Reader^Ola' };
const claimMinutes = 7;

const severityRight = {
  value: '71491-5',
  scheme: 'LN',
  meaning: 'Right eye Diabetic retinopathy severity level by Ophthalmoscopy',
};
const moderate = {
  value: '312904009',
  scheme: 'SCT',
  meaning: 'Moderate nonproliferative retinopathy due to diabetes mellitus',
};
const mild = {
  value: '312903003',
  scheme: 'SCT',
  meaning: 'Mild nonproliferative retinopathy due to diabetes mellitus',
};

/** A study on the worklist with a right-eye DR grade and a left-eye image quality finding (assistive). */
async function seedStudy(gateway: Gateway): Promise<{ uid: string; grade: Finding; quality: Finding }> {
  const uid = newUid();
  await gateway.store.index.recordInstances([
    {
      sopClassUid: '1.2.840.10008.5.1.4.1.1.77.1.5.1',
      sopInstanceUid: newUid(),
      studyInstanceUid: uid,
      seriesInstanceUid: newUid(),
      transferSyntaxUid: '1.2.840.10008.1.2.1',
      patientId: 'P-CLAIM',
      eye: 'R',
      spoolPath: 'studies/claim/r.dcm',
      sizeBytes: 10,
      receivedAt: new Date(),
      origin: { protocol: 'dimse', peerAddress: '127.0.0.1', requestId: 'r', site: 'default' },
    },
  ]);
  const analysisId = `an-${newUid()}`;
  const provenance = {
    analyzerId: 'dr-screening',
    analyzerVersion: '0.3.0',
    modelHash: 'a'.repeat(64),
    inputSopInstanceUids: ['1.2.3'],
    startedAt: new Date(),
    finishedAt: new Date(),
  };
  const base = {
    analysisId,
    studyInstanceUid: uid,
    useCase: 'dr-screening',
    sourceSopInstanceUids: ['1.2.3'],
    status: 'preliminary',
    createdAt: provenance.finishedAt,
    provenance,
  } as const;
  const grade: Finding = {
    ...base,
    id: `${analysisId}-grade`,
    eye: 'R',
    key: 'icdr',
    value: { kind: 'classification', concept: severityRight, value: moderate, confidence: 0.8 },
    triage: { bucket: 'referable', reason: 'moderate NPDR', confidence: 0.8 },
  };
  const quality: Finding = {
    ...base,
    id: `${analysisId}-quality`,
    eye: 'L',
    key: 'quality',
    value: { kind: 'quality', verdict: 'gradable', score: 0.9, reasons: [], components: {} },
  };
  const record: AnalysisRecord = {
    id: analysisId,
    studyInstanceUid: uid,
    analyzerId: 'dr-screening',
    analyzerVersion: '0.3.0',
    useCase: 'dr-screening',
    phase: 'assistive',
    status: 'succeeded',
    raw: null,
    provenance,
    findings: [grade, quality],
  };
  assert.ok(await gateway.results.saveAnalysis(record));
  assert.ok(
    await gateway.results.saveTriage({
      studyInstanceUid: uid,
      bucket: 'referable',
      priority: 780,
      reasons: [
        {
          eye: 'R',
          findingId: grade.id,
          analyzerId: 'dr-screening',
          bucket: 'referable',
          reason: 'moderate NPDR',
          confidence: 0.8,
        },
      ],
      analysisIds: [analysisId],
      computedAt: new Date(),
    }),
  );
  return { uid, grade, quality };
}

interface Answer {
  status: number;
  type: string;
  body: Record<string, unknown>;
}

interface ClaimBody {
  claim: { reader: string; claimedAt: string; expiresAt: string; mine: boolean } | null;
  mayClaim: boolean;
  mayBreak: boolean;
}

interface AuditRow {
  actor: string;
  action: string;
  target: string;
  outcome: string;
  details?: Record<string, string | number | boolean>;
}

describe('worklist claims', () => {
  let database: TestDatabase;
  let gateway: Gateway;

  const call = async (method: string, path: string, token: string, body?: unknown): Promise<Answer> => {
    const response = await fetch(`${gateway.httpUrl}${path}`, {
      method,
      headers: { ...bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };
  const claimOf = async (uid: string, token: string): Promise<ClaimBody> => {
    const answer = await call('GET', `/api/studies/${uid}/claim`, token);
    assert.equal(answer.status, 200);
    return answer.body as unknown as ClaimBody;
  };
  /** The study's audit trail once it holds `count` events (each is written after its answer). */
  const auditOf = async (uid: string, count: number): Promise<AuditRow[]> =>
    waitFor(
      async () => {
        const answer = await call('GET', `/api/studies/${uid}/audit?limit=1000`, testAdminToken);
        const events = (answer.body as { events: AuditRow[] }).events.filter(
          (event) => !event.target.endsWith('/audit'),
        );
        return events.length >= count ? events : undefined;
      },
      20_000,
      `${count} audit events`,
    );

  before(async () => {
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(database, { 'review.claimMinutes': claimMinutes });
    for (const [reader, role] of [
      [readerA, 'ophthalmologist'],
      [readerB, 'ophthalmologist'],
    ] as const) {
      await gateway.auth.saveToken({
        hash: secretHash(reader.token),
        name: reader.name,
        roles: [role],
        createdAt: new Date(),
      });
    }
  });
  after(async () => {
    await gateway.close();
    await database.dispose();
  });

  it('lets one reader hold a study: others get 409 naming the holder until it is released', async () => {
    const { uid, grade, quality } = await seedStudy(gateway);
    const claimPath = `/api/studies/${uid}/claim`;
    const reviewPath = (finding: Finding): string => `/api/studies/${uid}/findings/${finding.id}/review`;

    assert.deepEqual(await claimOf(uid, readerA.token), { claim: null, mayClaim: true, mayBreak: false });
    const claimed = await call('POST', claimPath, readerA.token);
    assert.equal(claimed.status, 200);
    const mine = claimed.body as unknown as ClaimBody;
    assert.equal(mine.claim?.reader, readerA.name);
    assert.equal(mine.claim?.mine, true);
    const span = Date.parse(mine.claim!.expiresAt) - Date.parse(mine.claim!.claimedAt);
    assert.ok(
      Math.abs(span - claimMinutes * 60_000) < 1000,
      `the claim lasts review.claimMinutes: ${span} ms`,
    );

    const worklist = await call('GET', '/api/worklist', testApiToken);
    const entry = (
      worklist.body as {
        entries: { studyInstanceUid: string; claim?: { reader: string; claimedAt: string } }[];
      }
    ).entries.find((row) => row.studyInstanceUid === uid);
    assert.deepEqual(entry?.claim, {
      reader: readerA.name,
      claimedAt: mine.claim!.claimedAt,
      expiresAt: mine.claim!.expiresAt,
    });
    const seenByB = await claimOf(uid, readerB.token);
    assert.equal(seenByB.claim?.mine, false);
    assert.equal(seenByB.mayClaim, false);
    assert.equal(seenByB.mayBreak, false);
    assert.equal(
      (await claimOf(uid, testApiToken)).claim?.reader,
      readerA.name,
      'integrations see the claim',
    );
    assert.equal((await call('POST', claimPath, testApiToken)).status, 403, 'an integration cannot claim');

    const refused = await call('POST', claimPath, readerB.token);
    assert.equal(refused.status, 409);
    assert.match(refused.type, /^application\/problem\+json/u);
    assert.equal(refused.body.code, 'FOVEA_CLAIM_HELD');
    assert.equal(refused.body.title, 'The study is claimed by another reader');
    assert.match(String(refused.body.detail), /^Reader\^Dana has claimed this study since /u);
    assert.doesNotMatch(String(refused.body.detail), /P-CLAIM/u, 'no patient data');

    const reviewByB = await call('POST', reviewPath(grade), readerB.token, { decision: 'accept' });
    assert.equal(reviewByB.status, 409);
    assert.equal(reviewByB.body.code, 'FOVEA_CLAIM_HELD');
    const signByB = await call('POST', `/api/studies/${uid}/sign`, readerB.token, { text: 'x' });
    assert.equal(signByB.status, 409);
    assert.equal(signByB.body.code, 'FOVEA_CLAIM_HELD');
    const releaseByB = await call('DELETE', claimPath, readerB.token);
    assert.equal(releaseByB.status, 409, 'only the holder releases (or an admin breaks)');

    const modify = await call('POST', reviewPath(grade), readerA.token, {
      decision: 'modify',
      value: { kind: 'classification', concept: severityRight, value: mild },
    });
    assert.equal(modify.status, 200, 'the holder reviews');
    const renewed = await call('POST', claimPath, readerA.token);
    assert.equal(renewed.status, 200);
    assert.equal(
      (renewed.body as unknown as ClaimBody).claim?.claimedAt,
      mine.claim!.claimedAt,
      'renewed, same start',
    );

    assert.equal((await call('DELETE', claimPath, readerA.token)).status, 204);
    assert.equal((await call('DELETE', claimPath, readerA.token)).status, 404, 'nothing left to release');
    assert.equal((await claimOf(uid, readerB.token)).claim, null);
    const reject = await call('POST', reviewPath(quality), readerB.token, {
      decision: 'reject',
      reason: 'left photograph is of the wrong eye',
    });
    assert.equal(reject.status, 200, 'free again: the other reader reviews');

    // Eleven requests above change or read patient data of the study; the four reads of who holds it (no patient
    // data, repeated by the station on every live update) and the worklist read are not in the study's trail.
    const events = await auditOf(uid, 11);
    assert.equal(events.length, 11);
    assert.ok(
      events.every((event) => event.action !== 'view'),
      'reading the claim is not audited',
    );
    const ofAction = (action: string, actor: string): AuditRow[] =>
      events.filter((event) => event.action === action && event.actor === actor);
    const claimsByA = ofAction('claim', readerA.name);
    assert.equal(claimsByA.length, 2);
    assert.ok(
      claimsByA.every((event) => event.outcome === 'success' && event.details?.reader === readerA.name),
    );
    const refusedClaim = ofAction('claim', readerB.name);
    assert.equal(refusedClaim.length, 1);
    assert.equal(refusedClaim[0]!.outcome, 'failure');
    assert.equal(refusedClaim[0]!.details?.heldBy, readerA.name);
    assert.equal(refusedClaim[0]!.details?.status, 409);
    const releases = ofAction('release', readerA.name);
    assert.deepEqual(
      releases.map((event) => event.outcome).sort(),
      ['failure', 'success'],
      'released; then nothing left',
    );
    assert.equal(releases.find((event) => event.outcome === 'success')?.details?.reader, readerA.name);
    const attemptedBreak = ofAction('claim-break', readerB.name);
    assert.equal(attemptedBreak.length, 1);
    assert.equal(attemptedBreak[0]!.outcome, 'failure');

    const reviews = events.filter((event) => event.target.endsWith('/review'));
    assert.equal(reviews.length, 3);
    const refusedReview = reviews.find(
      (event) => event.actor === readerB.name && event.outcome === 'failure',
    )!;
    assert.equal(refusedReview.details?.findingId, grade.id);
    assert.equal(refusedReview.details?.decision, 'accept');
    assert.equal(refusedReview.details?.status, 409);
    const modified = reviews.find((event) => event.details?.decision === 'modify')!;
    assert.equal(modified.actor, readerA.name);
    assert.deepEqual(
      {
        findingId: modified.details?.findingId,
        eye: modified.details?.eye,
        findingKind: modified.details?.findingKind,
        concept: modified.details?.concept,
        aiValue: modified.details?.aiValue,
        newValue: modified.details?.newValue,
      },
      {
        findingId: grade.id,
        eye: 'R',
        findingKind: 'classification',
        concept: `${severityRight.meaning} (LN 71491-5)`,
        aiValue: `${moderate.meaning} (SCT 312904009)`,
        newValue: `${mild.meaning} (SCT 312903003)`,
      },
    );
    const rejected = reviews.find((event) => event.details?.decision === 'reject')!;
    assert.equal(rejected.details?.findingId, quality.id);
    assert.equal(rejected.details?.findingKind, 'quality');
    assert.equal(rejected.details?.reason, 'left photograph is of the wrong eye');
    assert.equal(rejected.details?.newValue, undefined);
    assert.ok(
      events.every((event) => !JSON.stringify(event).includes('P-CLAIM')),
      'no patient id in the trail',
    );
    assert.equal((await gateway.audit.verify()).ok, true, 'the chain still verifies');
  });

  it('lets an admin break a claim, audited with whose claim it was', async () => {
    const { uid } = await seedStudy(gateway);
    const claimPath = `/api/studies/${uid}/claim`;
    assert.equal((await call('POST', claimPath, readerA.token)).status, 200);
    const seenByAdmin = await claimOf(uid, testAdminToken);
    assert.equal(seenByAdmin.mayBreak, true);
    assert.equal((await call('DELETE', claimPath, testAdminToken)).status, 204);
    assert.equal((await claimOf(uid, readerA.token)).claim, null);
    assert.equal((await call('POST', claimPath, readerB.token)).status, 200, 'free for the next reader');
    const events = await auditOf(uid, 3); // claim, break, claim (reading the claim is not audited)
    const broken = events.find((event) => event.action === 'claim-break');
    assert.equal(broken?.actor, 'test-admin');
    assert.equal(broken?.outcome, 'success');
    assert.equal(broken?.details?.reader, readerA.name);
  });

  it('frees an expired claim, and refuses claims of unknown studies', async () => {
    const { uid, grade } = await seedStudy(gateway);
    const claimPath = `/api/studies/${uid}/claim`;
    assert.equal((await call('POST', claimPath, readerA.token)).status, 200);
    await gateway.store.sql.query(
      "UPDATE study_claim SET claimed_at = now() - interval '2 hours', expires_at = now() - interval '1 minute' WHERE study_instance_uid = $1",
      [uid],
    );
    assert.equal((await claimOf(uid, readerB.token)).claim, null, 'expired');
    const review = await call('POST', `/api/studies/${uid}/findings/${grade.id}/review`, readerB.token, {
      decision: 'accept',
    });
    assert.equal(review.status, 200, 'an expired claim blocks nobody');
    const taken = await call('POST', claimPath, readerB.token);
    assert.equal(taken.status, 200);
    assert.equal((taken.body as unknown as ClaimBody).claim?.reader, readerB.name);
    const unknown = `/api/studies/${newUid()}/claim`;
    assert.equal((await call('POST', unknown, readerA.token)).status, 404);
    assert.equal((await call('GET', unknown, readerA.token)).status, 404);
  });

  it('announces claims and releases on the worklist event stream', async () => {
    const { uid } = await seedStudy(gateway);
    const controller = new AbortController();
    const response = await fetch(`${gateway.httpUrl}/api/worklist/events`, {
      headers: bearer(testApiToken),
      signal: controller.signal,
    });
    try {
      assert.equal(response.status, 200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (done: () => boolean): Promise<void> => {
        while (!done()) {
          const chunk = await reader.read();
          assert.ok(!chunk.done, 'the event stream ended');
          text += decoder.decode(chunk.value, { stream: true });
        }
      };
      const line = `event: worklist\ndata: ${JSON.stringify({ studyInstanceUid: uid })}`;
      const announced = async (count: number): Promise<void> =>
        readUntil(() => text.split(line).length - 1 >= count);
      await readUntil(() => text.includes(': connected'));
      assert.equal((await call('POST', `/api/studies/${uid}/claim`, readerA.token)).status, 200);
      await announced(1);
      assert.equal((await call('DELETE', `/api/studies/${uid}/claim`, readerA.token)).status, 204);
      await announced(2);
    } finally {
      controller.abort();
    }
  });
});
