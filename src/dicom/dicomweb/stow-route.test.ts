import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { FoveaError } from '../../core/errors.ts';
import { which } from '../../../test/peers/peers.ts';
import { DicomWebClient } from './client.ts';
import { deferExpectContinue } from './expect-continue.ts';
import {
  dicomJsonTags as tags,
  getNumber,
  getSequence,
  getString,
  type DicomJsonDataset,
} from './dicom-json.ts';
import { identifiersOf, makeOpInstance, type OpInstance } from './fixtures.test.ts';
import {
  createBoundary,
  multipartRelatedContentType,
  writeMultipart,
  type MultipartWriterPart,
} from './multipart-writer.ts';
import { stowRsRoutes, type StowHandlers, type StowPartResult, type StowRouteOptions } from './stow-route.ts';

const execFileAsync = promisify(execFile);

let directory = '';
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fovea-stow-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** What the test handler saw. */
interface Stored {
  readonly file: string;
  readonly sopInstanceUid: string;
  readonly context: { studyInstanceUid?: string; requestId: string; peerAddress: string; principal?: string };
}

/**
 * A handler like the real one: streams the part to a temporary file, deletes it if the body fails, then reads
 * the identifiers; an instance of another study than the URL names fails with 0xA900.
 */
function fileHandler(
  stored: Stored[],
  behaviour: (sopInstanceUid: string) => StowPartResult | undefined = () => undefined,
): StowHandlers {
  let counter = 0;
  return {
    async storePart(part, context) {
      counter += 1;
      const file = join(directory, `part-${Date.now()}-${counter}.dcm`);
      try {
        await pipeline(part.body, createWriteStream(file));
      } catch (error) {
        await unlink(file).catch(() => undefined);
        throw error;
      }
      const ids = identifiersOf(await readFile(file));
      const forced = behaviour(ids.sopInstanceUid);
      if (forced !== undefined) {
        return forced;
      }
      if (context.studyInstanceUid !== undefined && context.studyInstanceUid !== ids.studyInstanceUid) {
        return {
          ok: false,
          sopClassUid: ids.sopClassUid,
          sopInstanceUid: ids.sopInstanceUid,
          failureReason: 0xa900,
        };
      }
      stored.push({ file, sopInstanceUid: ids.sopInstanceUid, context: { ...context } });
      return { ok: true, ...ids };
    },
  };
}

const defaultLimits = { maxParts: 100, maxPartBytes: 10 * 1024 * 1024, maxTotalBytes: 100 * 1024 * 1024 };

async function buildApp(
  handlers: StowHandlers,
  overrides: Partial<StowRouteOptions> = {},
): Promise<FastifyInstance> {
  const app = Fastify();
  deferExpectContinue(app);
  // stands in for the lead's app-level handler: FoveaError → problem+json
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof FoveaError) {
      return reply
        .code(error.spec.http)
        .type('application/problem+json')
        .send({ status: error.spec.http, title: error.spec.title, code: error.code, detail: error.detail });
    }
    return reply.send(error);
  });
  await app.register(
    stowRsRoutes({
      handlers,
      limits: defaultLimits,
      role: 'ingest',
      retrieveBaseUrl: () => 'http://fovea.test/dicomweb',
      principal: (request) => (request.headers['x-test-principal'] as string | undefined) ?? undefined,
      ...overrides,
    }),
    { prefix: '/dicomweb' },
  );
  await app.ready();
  return app;
}

async function multipartBody(
  parts: readonly MultipartWriterPart[],
  boundary = createBoundary(),
): Promise<{ body: Buffer; contentType: string; boundary: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeMultipart(parts, boundary)) {
    chunks.push(chunk);
  }
  return {
    body: Buffer.concat(chunks),
    contentType: multipartRelatedContentType(boundary, 'application/dicom'),
    boundary,
  };
}

function dicomParts(...instances: OpInstance[]): MultipartWriterPart[] {
  return instances.map((instance) => ({ contentType: 'application/dicom', body: instance.part10 }));
}

function referenced(response: DicomJsonDataset): string[] {
  return getSequence(response, tags.ReferencedSOPSequence).map(
    (item) => getString(item, tags.ReferencedSOPInstanceUID) ?? '',
  );
}

function failures(response: DicomJsonDataset): { uid: string | undefined; reason: number | undefined }[] {
  return getSequence(response, tags.FailedSOPSequence).map((item) => ({
    uid: getString(item, tags.ReferencedSOPInstanceUID),
    reason: getNumber(item, tags.FailureReason),
  }));
}

describe('STOW-RS route (app.inject)', () => {
  test('two instances: 200, DICOM JSON response with RetrieveURLs, files identical to what was sent', async (t) => {
    const stored: Stored[] = [];
    const app = await buildApp(fileHandler(stored));
    t.after(() => app.close());
    const study = makeOpInstance();
    const first = makeOpInstance({
      studyInstanceUid: study.studyInstanceUid,
      seriesInstanceUid: study.seriesInstanceUid,
    });
    const second = makeOpInstance({
      studyInstanceUid: study.studyInstanceUid,
      seriesInstanceUid: study.seriesInstanceUid,
      laterality: 'L',
    });
    const { body, contentType } = await multipartBody(dicomParts(first, second));
    const response = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: {
        'content-type': contentType,
        accept: 'application/dicom+json',
        'x-test-principal': 'modality-1',
      },
      payload: body,
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.match(response.headers['content-type'] ?? '', /^application\/dicom\+json/);
    const dataset = response.json<DicomJsonDataset>();
    assert.deepEqual(referenced(dataset), [first.sopInstanceUid, second.sopInstanceUid]);
    assert.equal(
      getString(dataset, tags.RetrieveURL),
      `http://fovea.test/dicomweb/studies/${study.studyInstanceUid}`,
    );
    const item = getSequence(dataset, tags.ReferencedSOPSequence)[0]!;
    assert.equal(getString(item, tags.ReferencedSOPClassUID), first.sopClassUid);
    assert.equal(
      getString(item, tags.RetrieveURL),
      `http://fovea.test/dicomweb/studies/${first.studyInstanceUid}/series/${first.seriesInstanceUid}/instances/${first.sopInstanceUid}`,
    );
    assert.equal(dataset[tags.FailedSOPSequence], undefined);
    assert.equal(stored.length, 2);
    assert.ok((await readFile(stored[0]!.file)).equals(first.part10));
    assert.ok((await readFile(stored[1]!.file)).equals(second.part10));
    assert.equal(stored[0]!.context.principal, 'modality-1');
    assert.equal(stored[0]!.context.studyInstanceUid, undefined);
    assert.ok(stored[0]!.context.requestId !== '');
  });

  test('a part that is not application/dicom fails with 0xC000 without calling the handler: 202', async (t) => {
    const stored: Stored[] = [];
    const app = await buildApp(fileHandler(stored));
    t.after(() => app.close());
    const instance = makeOpInstance();
    const { body, contentType } = await multipartBody([
      { contentType: 'application/dicom+json', body: Buffer.from('[{}]') },
      ...dicomParts(instance),
    ]);
    const response = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': contentType },
      payload: body,
    });
    assert.equal(response.statusCode, 202, response.body);
    const dataset = response.json<DicomJsonDataset>();
    assert.deepEqual(referenced(dataset), [instance.sopInstanceUid]);
    assert.deepEqual(failures(dataset), [{ uid: undefined, reason: 0xc000 }]);
    assert.equal(stored.length, 1);
  });

  test('URL names a study: instances of another study fail with 0xA900; none stored: 409', async (t) => {
    const stored: Stored[] = [];
    const app = await buildApp(fileHandler(stored));
    t.after(() => app.close());
    const instance = makeOpInstance();
    const other = makeOpInstance();
    const { body, contentType } = await multipartBody(dicomParts(instance));
    const response = await app.inject({
      method: 'POST',
      url: `/dicomweb/studies/${other.studyInstanceUid}`,
      headers: { 'content-type': contentType },
      payload: body,
    });
    assert.equal(response.statusCode, 409, response.body);
    const dataset = response.json<DicomJsonDataset>();
    assert.deepEqual(failures(dataset), [{ uid: instance.sopInstanceUid, reason: 0xa900 }]);
    assert.deepEqual(dataset[tags.RetrieveURL], { vr: 'UR' });

    const mixed = await multipartBody(dicomParts(other, instance));
    const mixedResponse = await app.inject({
      method: 'POST',
      url: `/dicomweb/studies/${other.studyInstanceUid}`,
      headers: { 'content-type': mixed.contentType },
      payload: mixed.body,
    });
    assert.equal(mixedResponse.statusCode, 202, mixedResponse.body);
    assert.deepEqual(referenced(mixedResponse.json()), [other.sopInstanceUid]);
    assert.equal(stored[0]!.context.studyInstanceUid, other.studyInstanceUid);
  });

  test('handler errors become failure reasons (FoveaError spec.dimse, else 0x0110) and later parts still go on', async (t) => {
    const stored: Stored[] = [];
    const [a, b, c] = [makeOpInstance(), makeOpInstance(), makeOpInstance()];
    const app = await buildApp(
      fileHandler(stored, (uid) => {
        if (uid === a.sopInstanceUid) {
          throw new FoveaError('FOVEA_SPOOL_WRITE_FAILED');
        }
        if (uid === b.sopInstanceUid) {
          throw new Error('boom');
        }
        return undefined;
      }),
    );
    t.after(() => app.close());
    const { body, contentType } = await multipartBody(dicomParts(a, b, c));
    const response = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': contentType },
      payload: body,
    });
    assert.equal(response.statusCode, 202, response.body);
    const dataset = response.json<DicomJsonDataset>();
    assert.deepEqual(failures(dataset), [
      { uid: undefined, reason: 0xa700 },
      { uid: undefined, reason: 0x0110 },
    ]);
    assert.deepEqual(referenced(dataset), [c.sopInstanceUid]);
  });

  test('warnings: 202 with WarningReason', async (t) => {
    const instance = makeOpInstance();
    const app = await buildApp(
      fileHandler([], () => ({ ok: true, ...identifiersOf(instance.part10), warningReason: 0xb000 })),
    );
    t.after(() => app.close());
    const { body, contentType } = await multipartBody(dicomParts(instance));
    const response = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': contentType },
      payload: body,
    });
    assert.equal(response.statusCode, 202);
    const item = getSequence(response.json(), tags.ReferencedSOPSequence)[0]!;
    assert.equal(getNumber(item, tags.WarningReason), 0xb000);
  });

  test('Accept: application/json gets application/json; application/dicom+xml only: 406', async (t) => {
    const app = await buildApp(fileHandler([]));
    t.after(() => app.close());
    const { body, contentType } = await multipartBody(dicomParts(makeOpInstance()));
    const json = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': contentType, accept: 'application/json' },
      payload: body,
    });
    assert.equal(json.statusCode, 200);
    assert.match(json.headers['content-type'] ?? '', /^application\/json/);
    const xml = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': contentType, accept: 'application/dicom+xml' },
      payload: body,
    });
    assert.equal(xml.statusCode, 406);
    assert.equal(xml.json<{ code: string }>().code, 'FOVEA_HTTP_NOT_ACCEPTABLE');
    assert.equal(xml.headers.connection, 'close');
  });

  test('unsupported media types: 415', async (t) => {
    let calls = 0;
    const app = await buildApp({
      storePart() {
        calls += 1;
        return Promise.resolve({ ok: false, failureReason: 0x0110 });
      },
    });
    t.after(() => app.close());
    const cases: { headers: Record<string, string>; payload: string }[] = [
      { headers: { 'content-type': 'application/json' }, payload: '{}' },
      { headers: { 'content-type': 'application/dicom' }, payload: 'DICM' },
      {
        headers: { 'content-type': 'multipart/related; type="application/dicom+json"; boundary=x' },
        payload: '--x--',
      },
      {
        headers: { 'content-type': 'multipart/related; type="application/dicom+xml"; boundary=x' },
        payload: '--x--',
      },
      { headers: { 'content-type': 'multipart/mixed; boundary=x' }, payload: '--x--' },
      { headers: { 'content-type': 'not a media type' }, payload: 'x' },
      {
        headers: {
          'content-type': 'multipart/related; type="application/dicom"; boundary=x',
          'content-encoding': 'gzip',
        },
        payload: 'x',
      },
      { headers: {}, payload: 'x' },
    ];
    for (const { headers, payload } of cases) {
      const response = await app.inject({ method: 'POST', url: '/dicomweb/studies', headers, payload });
      assert.equal(response.statusCode, 415, JSON.stringify(headers));
      assert.equal(response.json<{ code: string }>().code, 'FOVEA_HTTP_UNSUPPORTED_MEDIA_TYPE');
    }
    assert.equal(calls, 0);
  });

  test('bad requests: 400 (path UID, boundary, malformed body with nothing stored, no parts)', async (t) => {
    const app = await buildApp(fileHandler([]));
    t.after(() => app.close());
    const instance = makeOpInstance();
    const { body, contentType, boundary } = await multipartBody(dicomParts(instance));
    for (const uid of ['1.2.abc', `1.${'2'.repeat(70)}`, '1..2', 'abc']) {
      const response = await app.inject({
        method: 'POST',
        url: `/dicomweb/studies/${uid}`,
        headers: { 'content-type': contentType },
        payload: body,
      });
      assert.equal(response.statusCode, 400, uid);
      assert.equal(response.json<{ code: string }>().code, 'FOVEA_HTTP_BAD_REQUEST');
    }
    const cases: { headers: Record<string, string>; payload: Buffer; code: string }[] = [
      {
        headers: { 'content-type': 'multipart/related; type="application/dicom"' },
        payload: body,
        code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
      },
      {
        headers: { 'content-type': contentType },
        payload: body.subarray(0, body.length - 10),
        code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
      },
      {
        headers: { 'content-type': contentType },
        payload: Buffer.from(`--${boundary}--\r\n`),
        code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
      },
      {
        headers: { 'content-type': contentType },
        payload: Buffer.alloc(0),
        code: 'FOVEA_HTTP_MULTIPART_MALFORMED',
      },
    ];
    for (const { headers, payload, code } of cases) {
      const response = await app.inject({ method: 'POST', url: '/dicomweb/studies', headers, payload });
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(response.json<{ code: string }>().code, code);
      assert.equal(response.headers.connection, 'close');
    }
  });

  test('a truncated part after a stored one: 202 with the stored instance and a 0xC000 failure; the partial file is gone', async (t) => {
    const stored: Stored[] = [];
    const app = await buildApp(fileHandler(stored));
    t.after(() => app.close());
    const [first, second] = [makeOpInstance(), makeOpInstance()];
    const { body, contentType } = await multipartBody(dicomParts(first, second));
    const filesBefore = new Set(await readdir(directory));
    const response = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': contentType },
      payload: body.subarray(0, body.length - 100),
    });
    assert.equal(response.statusCode, 202, response.body);
    const dataset = response.json<DicomJsonDataset>();
    assert.deepEqual(referenced(dataset), [first.sopInstanceUid]);
    assert.deepEqual(failures(dataset), [{ uid: undefined, reason: 0xc000 }]);
    assert.equal(stored.length, 1);
    const newFiles = (await readdir(directory)).filter((name) => !filesBefore.has(name));
    assert.deepEqual(
      newFiles,
      [stored[0]!.file.slice(directory.length + 1)],
      'the truncated part was discarded',
    );
  });

  test('limits: 413 for too large a body or part with nothing stored; 202 plus 0xA700 once something was stored', async (t) => {
    const [first, second, third] = [makeOpInstance(), makeOpInstance(), makeOpInstance()];
    const size = first.part10.length;
    const app = await buildApp(fileHandler([]), {
      limits: { maxParts: 2, maxPartBytes: size + 10, maxTotalBytes: 3 * size + 1000 },
    });
    t.after(() => app.close());
    const big = makeOpInstance({ rows: 64 });
    const oversized = await multipartBody(dicomParts(big));
    const tooBigPart = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': oversized.contentType },
      payload: oversized.body,
    });
    assert.equal(tooBigPart.statusCode, 413, tooBigPart.body);
    assert.equal(tooBigPart.json<{ code: string }>().code, 'FOVEA_HTTP_BODY_TOO_LARGE');

    const total = await multipartBody(dicomParts(first, second, third, makeOpInstance()));
    const tooBig = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': total.contentType },
      payload: total.body,
    });
    assert.equal(tooBig.statusCode, 413, 'Content-Length over the total limit');
    assert.equal(tooBig.headers.connection, 'close');

    const three = await multipartBody(dicomParts(first, second, third));
    const tooMany = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': three.contentType },
      payload: three.body,
    });
    assert.equal(tooMany.statusCode, 202, tooMany.body);
    assert.deepEqual(referenced(tooMany.json()), [first.sopInstanceUid, second.sopInstanceUid]);
    assert.deepEqual(failures(tooMany.json()), [{ uid: undefined, reason: 0xa700 }]);

    const mixed = await multipartBody(dicomParts(first, big));
    const partTooBig = await app.inject({
      method: 'POST',
      url: '/dicomweb/studies',
      headers: { 'content-type': mixed.contentType },
      payload: mixed.body,
    });
    assert.equal(partTooBig.statusCode, 202, partTooBig.body);
    assert.deepEqual(failures(partTooBig.json()), [{ uid: undefined, reason: 0xa700 }]);
  });

  test('the pass-through body parser stays inside the plugin', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    app.post('/echo', (request) => ({ body: request.body }));
    await app.register(stowRsRoutes({ handlers: fileHandler([]), limits: defaultLimits, role: 'ingest' }), {
      prefix: '/dicomweb',
    });
    const response = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    assert.deepEqual(response.json(), { body: { a: 1 } });
  });

  test('route config carries the role', async (t) => {
    const app = Fastify();
    t.after(() => app.close());
    const roles: unknown[] = [];
    app.addHook('onRoute', (route) => {
      roles.push(route.config?.role);
    });
    await app.register(stowRsRoutes({ handlers: fileHandler([]), limits: defaultLimits, role: 'ingest' }), {
      prefix: '/dicomweb',
    });
    await app.ready();
    assert.deepEqual(roles, ['ingest', 'ingest']);
  });
});

describe('STOW-RS route over a real socket', () => {
  async function listening(
    handlers: StowHandlers,
    overrides: Partial<StowRouteOptions> = {},
  ): Promise<{ app: FastifyInstance; base: string }> {
    const app = await buildApp(handlers, {
      retrieveBaseUrl: (request) => `http://${request.headers.host ?? ''}/dicomweb`,
      ...overrides,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    return { app, base: `http://127.0.0.1:${port}/dicomweb` };
  }

  test('DicomWebClient.storeInstances (a buffer and a stream), chunked upload: 200', async (t) => {
    const stored: Stored[] = [];
    const { app, base } = await listening(fileHandler(stored));
    t.after(() => app.close());
    const first = makeOpInstance();
    const second = makeOpInstance({ studyInstanceUid: first.studyInstanceUid, rows: 200, columns: 300 });
    async function* streamed(): AsyncGenerator<Buffer> {
      for (let offset = 0; offset < second.part10.length; offset += 4096) {
        yield second.part10.subarray(offset, offset + 4096);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    const client = new DicomWebClient({ baseUrl: base });
    const { status, response } = await client.storeInstances(
      [first.part10, streamed()],
      first.studyInstanceUid,
    );
    assert.equal(status, 200);
    assert.deepEqual(referenced(response), [first.sopInstanceUid, second.sopInstanceUid]);
    assert.equal(getString(response, tags.RetrieveURL), `${base}/studies/${first.studyInstanceUid}`);
    assert.ok((await readFile(stored[1]!.file)).equals(second.part10));
    assert.equal(stored[0]!.context.peerAddress, '127.0.0.1');
  });

  test('DicomWebClient.storeInstances gets 409 with the failure reasons', async (t) => {
    const { app, base } = await listening(fileHandler([]));
    t.after(() => app.close());
    const instance = makeOpInstance();
    const client = new DicomWebClient({ baseUrl: base });
    const { status, response } = await client.storeInstances(
      [instance.part10],
      makeOpInstance().studyInstanceUid,
    );
    assert.equal(status, 409);
    assert.deepEqual(failures(response), [{ uid: instance.sopInstanceUid, reason: 0xa900 }]);
  });

  test('a part over the limit on a real socket: 413 reaches the client', async (t) => {
    const small = makeOpInstance();
    const { app, base } = await listening(fileHandler([]), {
      limits: { maxParts: 10, maxPartBytes: small.part10.length, maxTotalBytes: 1e9 },
    });
    t.after(() => app.close());
    const big = makeOpInstance({ rows: 512, columns: 512 });
    const client = new DicomWebClient({ baseUrl: base });
    await assert.rejects(client.storeInstances([big.part10]), (error) => {
      assert.ok(error instanceof FoveaError);
      assert.equal(error.code, 'FOVEA_PACS_RESPONSE_INVALID');
      assert.match(error.detail ?? '', /HTTP 413/);
      return true;
    });
  });

  test('a client that disconnects midway: the handler sees its body fail, nothing is kept, the server goes on', async (t) => {
    const stored: Stored[] = [];
    let bodyFailed: (error: unknown) => void = () => undefined;
    const failedBody = new Promise<unknown>((resolve) => {
      bodyFailed = resolve;
    });
    const inner = fileHandler(stored);
    const { app, base } = await listening({
      async storePart(part, context) {
        try {
          return await inner.storePart(part, context);
        } catch (error) {
          bodyFailed(error);
          throw error;
        }
      },
    });
    t.after(() => app.close());
    const instance = makeOpInstance({ rows: 300, columns: 300 });
    const { body, contentType } = await multipartBody(dicomParts(instance));
    const filesBefore = new Set(await readdir(directory));
    const url = new URL(`${base}/studies`);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\n` +
        `Content-Length: ${body.length}\r\n\r\n`,
    );
    socket.write(body.subarray(0, body.length / 2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    const error = await failedBody;
    assert.ok(error instanceof Error);
    assert.equal(stored.length, 0);
    assert.deepEqual(
      (await readdir(directory)).filter((name) => !filesBefore.has(name)),
      [],
      'the partial file was deleted',
    );
    const client = new DicomWebClient({ baseUrl: base });
    assert.equal((await client.storeInstances([instance.part10])).status, 200);
  });

  test('answers Expect: 100-continue only after the header checks: 415 without 100, a good request gets 100', async (t) => {
    const stored: Stored[] = [];
    const { app, base } = await listening(fileHandler(stored));
    t.after(() => app.close());
    const url = new URL(`${base}/studies`);
    const firstLine = (contentType: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(Number(url.port), url.hostname);
        let received = '';
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
          const end = received.indexOf('\r\n');
          if (end >= 0) {
            socket.destroy();
            resolve(received.slice(0, end));
          }
        });
        socket.on('error', reject);
        socket.write(
          `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\n` +
            'Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n',
        );
      });
    assert.match(await firstLine('application/octet-stream'), /^HTTP\/1\.1 415 /u);
    assert.match(
      await firstLine('multipart/related; type="application/dicom"; boundary=abc'),
      /^HTTP\/1\.1 100 Continue/u,
    );
  });

  test('curl (a real HTTP client) posting a multipart body, with and without Expect and chunked coding', async (t) => {
    if (which('curl') === undefined) {
      t.skip('curl not installed');
      return;
    }
    const stored: Stored[] = [];
    const { app, base } = await listening(fileHandler(stored));
    t.after(() => app.close());
    const small = makeOpInstance();
    const large = makeOpInstance({ studyInstanceUid: small.studyInstanceUid, rows: 700, columns: 700 }); // > 1 MB: curl adds Expect
    const { body, contentType } = await multipartBody(dicomParts(small, large));
    const file = join(directory, 'curl-body.bin');
    await writeFile(file, body);
    const variants: string[][] = [[], ['-H', 'Expect:'], ['-H', 'Transfer-Encoding: chunked']];
    for (const extra of variants) {
      stored.length = 0;
      const { stdout } = await execFileAsync('curl', [
        '-sS',
        ...extra,
        '-H',
        `Content-Type: ${contentType}`,
        '-H',
        'Accept: application/dicom+json',
        '--data-binary',
        `@${file}`,
        '-w',
        '\n%{http_code}',
        `${base}/studies`,
      ]);
      const lines = stdout.trimEnd().split('\n');
      const status = lines.pop();
      assert.equal(status, '200', `${extra.join(' ')}: ${stdout}`);
      const response = JSON.parse(lines.join('\n')) as DicomJsonDataset;
      assert.deepEqual(referenced(response), [small.sopInstanceUid, large.sopInstanceUid]);
      assert.ok((await readFile(stored[1]!.file)).equals(large.part10), extra.join(' '));
    }
    const { stdout } = await execFileAsync('curl', [
      '-sS',
      '-H',
      'Content-Type: application/octet-stream',
      '--data-binary',
      `@${file}`,
      '-w',
      '\n%{http_code}',
      `${base}/studies`,
    ]);
    assert.equal(stdout.trimEnd().split('\n').pop(), '415');
  });
});
