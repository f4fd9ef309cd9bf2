/**
 * Live worklist updates: `GET /api/worklist/events` (server-sent events) refuses a caller without a token, and
 * tells a connected reader about a study the moment it lands on the worklist (a study with an under-exposed
 * eye, sent by `storescu`, goes to recapture) and again when one of its findings is reviewed.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/main/index.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { bearer, getJson, startTestGateway } from '../peers/gateway.ts';
import { requirePeer } from '../peers/peers.ts';
import { storescuSend, writeFundusStudy } from '../peers/results.ts';

/** Reads server-sent events from a response body, one `{ event, data }` per block. */
function eventReader(body: ReadableStream<Uint8Array>): () => Promise<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return async () => {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const fields = new Map<string, string>();
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          if (colon > 0) {
            fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
          }
        }
        if (fields.has('event')) {
          return { event: fields.get('event')!, data: fields.get('data') ?? '' };
        }
        continue;
      }
      const { value, done } = await reader.read();
      if (done) {
        throw new Error('the event stream ended');
      }
      buffered += decoder.decode(value, { stream: true });
    }
  };
}

describe('worklist live updates (server-sent events)', () => {
  let database: TestDatabase;
  let gateway: Gateway;
  const directories: string[] = [];

  before(async () => {
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(database, {}, { FOVEA_PHASES: 'image-quality:assistive' });
  });
  after(async () => {
    await gateway.close();
    await database.dispose();
    for (const directory of directories) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses a caller without a token', async () => {
    const response = await fetch(`${gateway.httpUrl}/api/worklist/events`);
    assert.equal(response.status, 401);
  });

  it('announces a study landing on the worklist and a review of its finding', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const controller = new AbortController();
    const response = await fetch(`${gateway.httpUrl}/api/worklist/events`, {
      headers: bearer(),
      signal: controller.signal,
    });
    try {
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/u);
      const next = eventReader(response.body!);
      const study = await writeFundusStudy(3131, 512, { R: { artefacts: ['under-exposure'] } });
      directories.push(study.directory);
      await storescuSend(gateway.dicomPort, study.files);
      const first = await next();
      assert.deepEqual(first, {
        event: 'worklist',
        data: JSON.stringify({ studyInstanceUid: study.studyInstanceUid }),
      });
      const worklist = await getJson<{ entries: { studyInstanceUid: string; triage: { bucket: string } }[] }>(
        gateway,
        '/api/worklist',
      );
      assert.equal(
        worklist.body.entries.find((entry) => entry.studyInstanceUid === study.studyInstanceUid)?.triage
          .bucket,
        'recapture',
        'the event came once the triage was committed',
      );
      const findings = await getJson<{ findings: { id: string; eye: string }[] }>(
        gateway,
        `/api/studies/${study.studyInstanceUid}/findings`,
      );
      const right = findings.body.findings.find((finding) => finding.eye === 'R')!;
      const review = await fetch(
        `${gateway.httpUrl}/api/studies/${study.studyInstanceUid}/findings/${right.id}/review`,
        {
          method: 'POST',
          headers: { ...bearer(), 'content-type': 'application/json' },
          body: JSON.stringify({ decision: 'accept' }),
        },
      );
      assert.equal(review.status, 200);
      let event = await next();
      while (JSON.parse(event.data).studyInstanceUid !== study.studyInstanceUid) {
        event = await next();
      }
      assert.equal(event.event, 'worklist');
    } finally {
      controller.abort();
    }
  });

  it('filters the worklist by use case, report status and study date, with the total for paging', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const study = await writeFundusStudy(3132, 512, { L: { artefacts: ['under-exposure'] } });
    directories.push(study.directory);
    await storescuSend(gateway.dicomPort, study.files);
    type Page = { entries: { studyInstanceUid: string; studyDate?: string }[]; total: number };
    let all = await getJson<Page>(gateway, '/api/worklist');
    for (
      let attempt = 0;
      !all.body.entries.some((e) => e.studyInstanceUid === study.studyInstanceUid);
      attempt++
    ) {
      assert.ok(attempt < 600, 'the study reached the worklist');
      await new Promise((resolve) => setTimeout(resolve, 100));
      all = await getJson<Page>(gateway, '/api/worklist');
    }
    assert.equal(all.body.total, all.body.entries.length);
    const date = all.body.entries.find((e) => e.studyInstanceUid === study.studyInstanceUid)!.studyDate!;
    const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
    const has = async (query: string) => {
      const page = await getJson<Page>(gateway, `/api/worklist?${query}`);
      assert.equal(page.status, 200, query);
      return page.body.entries.some((e) => e.studyInstanceUid === study.studyInstanceUid);
    };
    assert.equal(
      await has(`useCase=image-quality&status=unsigned&studyDateFrom=${iso}&studyDateTo=${iso}`),
      true,
    );
    assert.equal(await has('useCase=dr-screening'), false);
    assert.equal(await has('status=signed'), false);
    assert.equal(await has(`studyDateTo=${Number(date.slice(0, 4)) - 1}-12-31`), false);
    const onePage = await getJson<Page>(gateway, '/api/worklist?limit=1');
    assert.equal(onePage.body.entries.length, 1);
    assert.equal(onePage.body.total, all.body.total, 'the total counts every page');
    const bad = await fetch(`${gateway.httpUrl}/api/worklist?studyDateFrom=yesterday`, { headers: bearer() });
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /^application\/problem\+json/u);
  });
});
