/**
 * The review station's server side: `GET /api/instances/{uid}/rendered` (colour and greyscale, uncompressed and
 * JPEG, multi-frame, PNG by Accept, scaled to maxSize, cached in memory, behind the integration role) on
 * instances sent by STOW-RS, and the static shell at `/` (public, SPA fallback for non-API paths only, 503
 * when the app is not built).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import sharp from 'sharp';
import { webRoutes } from '../../src/api/routes/web.ts';
import { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import { decodeFrame } from '../../src/imaging/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import { makeOphthalmicPhotograph, makeOphthalmicTomography, type Fixture } from '../fixtures/dicom-files.ts';
import { createTestDatabase, type TestDatabase } from '../peers/databases.ts';
import { bearer, startTestGateway, testApiToken, testIngestToken } from '../peers/gateway.ts';
import { ensureWebBuilt } from '../browser/web-build.ts';

async function rendered(
  gateway: Gateway,
  uid: string,
  query = '',
  headers: Record<string, string> = bearer(testApiToken),
): Promise<{ status: number; type: string; cache: string; body: Buffer }> {
  const response = await fetch(`${gateway.httpUrl}/api/instances/${uid}/rendered${query}`, { headers });
  return {
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    cache: response.headers.get('cache-control') ?? '',
    body: Buffer.from(await response.arrayBuffer()),
  };
}

async function raw(
  image: Buffer,
): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const channels = (await sharp(image).metadata()).channels;
  const decoded = channels === 1 ? sharp(image).toColourspace('b-w') : sharp(image);
  const { data, info } = await decoded.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels };
}

describe('review station routes', () => {
  let database: TestDatabase;
  let gateway: Gateway;
  let colour: Fixture;
  let jpeg: Fixture;
  let volume: Fixture;

  before(async () => {
    await ensureWebBuilt();
    database = await createTestDatabase('pglite');
    gateway = await startTestGateway(database);
    const studyInstanceUid = `2.25.${Date.now()}7`;
    colour = await makeOphthalmicPhotograph({ studyInstanceUid, eye: 'R', rows: 64, columns: 64 });
    jpeg = await makeOphthalmicPhotograph({
      studyInstanceUid,
      eye: 'L',
      rows: 80,
      columns: 96,
      transferSyntax: 'jpeg',
    });
    volume = makeOphthalmicTomography({ studyInstanceUid, eye: 'L', frames: 4 });
    const client = new DicomWebClient({
      baseUrl: `${gateway.httpUrl}/dicomweb`,
      auth: { bearer: testIngestToken },
    });
    const stored = await client.storeInstances([colour.part10, jpeg.part10, volume.part10], studyInstanceUid);
    assert.equal(stored.status, 200);
    await gateway.ingest.flush();
  });
  after(async () => {
    await gateway.close();
    await database.dispose();
  });

  it('renders a colour photograph as PNG with exactly its pixels', async () => {
    const answer = await rendered(gateway, colour.sopInstanceUid, '', {
      ...bearer(testApiToken),
      accept: 'image/png',
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.type, 'image/png');
    assert.match(answer.cache, /^private/u);
    const image = await raw(answer.body);
    assert.deepEqual([image.width, image.height, image.channels], [64, 64, 3]);
    const source = await decodeFrame(colour.part10);
    assert.ok(
      Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength).equals(image.data),
    );
  });

  it('answers JPEG by default, scaled to fit maxSize, from a JPEG-compressed photograph', async () => {
    const answer = await rendered(gateway, jpeg.sopInstanceUid, '?maxSize=48');
    assert.equal(answer.status, 200);
    assert.equal(answer.type, 'image/jpeg');
    const meta = await sharp(answer.body).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 48, 40]);
    const full = await raw((await rendered(gateway, jpeg.sopInstanceUid, '?maxSize=4096')).body);
    assert.deepEqual([full.width, full.height], [96, 80], 'never enlarged');
  });

  it('renders each frame of a greyscale OCT volume and refuses frames it does not have', async () => {
    const source = await decodeFrame(volume.part10, 2);
    const answer = await rendered(gateway, volume.sopInstanceUid, '?frame=3', {
      ...bearer(testApiToken),
      accept: 'image/png',
    });
    assert.equal(answer.status, 200);
    const image = await raw(answer.body);
    assert.equal(image.channels, 1, 'greyscale stays one channel');
    assert.deepEqual([image.width, image.height], [source.columns, source.rows]);
    assert.ok(
      Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength).equals(image.data),
    );
    const other = await raw(
      (
        await rendered(gateway, volume.sopInstanceUid, '?frame=1', {
          ...bearer(testApiToken),
          accept: 'image/png',
        })
      ).body,
    );
    assert.ok(!other.data.equals(image.data), 'another frame has other pixels');
    const missing = await rendered(gateway, volume.sopInstanceUid, '?frame=5');
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body.toString('utf8')).code, 'FOVEA_HTTP_NOT_FOUND');
    assert.equal((await rendered(gateway, volume.sopInstanceUid, '?frame=0')).status, 400);
  });

  it('answers 404 for an unknown instance, 400 for a malformed UID and maxSize', async () => {
    assert.equal((await rendered(gateway, '1.2.826.0.1.3680043.10.511.9')).status, 404);
    assert.equal((await rendered(gateway, 'not-a-uid')).status, 400);
    assert.equal((await rendered(gateway, colour.sopInstanceUid, '?maxSize=99999')).status, 400);
  });

  it('needs a reader: 401 without a caller, 403 for an ingest token', async () => {
    assert.equal((await rendered(gateway, colour.sopInstanceUid, '', {})).status, 401);
    assert.equal((await rendered(gateway, colour.sopInstanceUid, '', bearer(testIngestToken))).status, 403);
  });

  it('serves a rendered image again from memory when the file is gone', async () => {
    const first = await rendered(gateway, jpeg.sopInstanceUid, '?maxSize=64');
    assert.equal(first.status, 200);
    const [record] = (await gateway.store.index.listInstances(jpeg.studyInstanceUid)).filter(
      (instance) => instance.sopInstanceUid === jpeg.sopInstanceUid,
    );
    rmSync(gateway.spool.resolve(record!.spoolPath));
    const again = await rendered(gateway, jpeg.sopInstanceUid, '?maxSize=64');
    assert.equal(again.status, 200);
    assert.ok(again.body.equals(first.body));
    const uncached = await rendered(gateway, jpeg.sopInstanceUid, '?maxSize=63');
    assert.notEqual(uncached.status, 200, 'a size not rendered before needs the file');
  });

  it('serves the shell publicly, with its assets and a fallback for app paths only', async () => {
    const shell = await fetch(`${gateway.httpUrl}/`);
    assert.equal(shell.status, 200);
    assert.match(shell.headers.get('content-type') ?? '', /^text\/html/u);
    assert.match(shell.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/u);
    const html = await shell.text();
    assert.match(html, /<div id="root"><\/div>/u);
    const script = /src="(\/assets\/[^"]+\.js)"/u.exec(html)?.[1];
    assert.ok(script !== undefined, 'the shell loads its bundle');
    const bundle = await fetch(`${gateway.httpUrl}${script}`);
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get('content-type') ?? '', /^text\/javascript/u);
    assert.match(bundle.headers.get('cache-control') ?? '', /immutable/u);
    await bundle.arrayBuffer();

    const deep = await fetch(`${gateway.httpUrl}/studies/1.2.3`);
    assert.equal(deep.status, 200);
    assert.equal(await deep.text(), html, 'an app path gets the shell');
    for (const path of [
      '/api/no-such-route',
      '/dicomweb/no-such',
      '/api',
      '/assets/missing.js',
      '/..%2f..%2fpackage.json',
    ]) {
      const response = await fetch(`${gateway.httpUrl}${path}`);
      const body = await response.text();
      assert.equal(response.status, 404, path);
      assert.ok(!body.includes('"dependencies"'), `${path} never reveals files outside the build`);
    }
  });

  it('answers 503 with how to build when the app is not built', async () => {
    const app = Fastify();
    await app.register(webRoutes({ root: '/nonexistent/fovea-web-dist' }));
    const answer = await app.inject({ method: 'GET', url: '/studies/1.2.3' });
    assert.equal(answer.statusCode, 503);
    assert.match(answer.body, /npm run build:web/u);
    await app.close();
  });
});
