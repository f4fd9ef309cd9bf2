/**
 * The storage SCU and echo against DCMTK storescp, Orthanc and Fovea's own SCP.
 */
import assert from 'node:assert/strict';
import { createReadStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { startOrthanc } from '../../../test/peers/orthanc.ts';
import { freePort, peerInstalled, requirePeer } from '../../../test/peers/peers.ts';
import { FoveaError } from '../../core/errors.ts';
import { silentLogger } from '../../core/logger.ts';
import type { DatasetSink, ProposedContext, ScuOptions, StoreScuRequest } from './index.ts';
import { dimseStatus, echo, startDimseServer, StoreScu } from './index.ts';
import {
  makeMultiFrameTomography,
  makeOphthalmicPhotograph,
  readPart10,
  sopClass,
  splitPart10,
  startTool,
  stopProcess,
  transferSyntax,
  waitForPort,
  type Part10File,
} from '../../../test/fixtures/dcmtk-files.ts';

interface Fixture {
  readonly path: string;
  readonly part10: Part10File;
}

let root = '';
let uncompressed: Fixture;
let jpeg: Fixture;
let multiFrame: Fixture;

const proposals: ProposedContext[] = [
  {
    sopClassUid: sopClass.ophthalmicPhotography8Bit,
    transferSyntaxes: [transferSyntax.explicitLittle, transferSyntax.jpegBaseline],
  },
  { sopClassUid: sopClass.ophthalmicTomography, transferSyntaxes: [transferSyntax.explicitLittle] },
];

before(() => {
  if (!peerInstalled('dcmtk')) {
    return;
  }
  root = mkdtempSync(join(tmpdir(), 'fovea-dimse-scu-'));
  const fixture = (path: string): Fixture => ({ path, part10: readPart10(path) });
  uncompressed = fixture(makeOphthalmicPhotograph(root, 'op1', { seed: 11 }));
  jpeg = fixture(makeOphthalmicPhotograph(root, 'op2', { seed: 12, jpeg: true }));
  multiFrame = fixture(makeMultiFrameTomography(root, 'opt3', 6));
});

after(() => {
  if (root !== '') {
    rmSync(root, { recursive: true, force: true });
  }
});

/** The data set of a file as a stream of its bytes after the meta group (no copy in memory). */
function datasetStream(fixture: Fixture): AsyncIterable<Buffer> {
  const start = statSync(fixture.path).size - fixture.part10.dataset.length;
  return createReadStream(fixture.path, { start, highWaterMark: 10_000 });
}

function requestFor(
  fixture: Fixture,
  dataset: StoreScuRequest['dataset'] = fixture.part10.dataset,
): StoreScuRequest {
  return {
    sopClassUid: fixture.part10.sopClassUid,
    sopInstanceUid: fixture.part10.sopInstanceUid,
    transferSyntaxUid: fixture.part10.transferSyntaxUid,
    dataset,
  };
}

function isFoveaError(code: string, detail?: RegExp): (error: unknown) => boolean {
  return (error) =>
    error instanceof FoveaError &&
    error.code === code &&
    (detail === undefined || detail.test(error.detail ?? ''));
}

describe('SCU → DCMTK storescp', () => {
  it('stores buffers and streams that storescp writes bit for bit, and echoes', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const out = join(root, 'storescp-out');
    mkdirSync(out);
    const port = await freePort();
    const storescp = startTool('storescp', ['-aet', 'STORESCP', '+xa', '+B', '-od', out, String(port)]);
    t.after(() => stopProcess(storescp));
    await waitForPort(port);
    const options: ScuOptions = { host: '127.0.0.1', port, callingAet: 'FOVEA', calledAet: 'STORESCP' };
    await echo(options);
    const scu = await StoreScu.connect(options, proposals);
    assert.deepEqual(scu.accepted(sopClass.ophthalmicPhotography8Bit), [
      transferSyntax.explicitLittle,
      transferSyntax.jpegBaseline,
    ]);
    assert.deepEqual(scu.accepted(sopClass.ophthalmicTomography), [transferSyntax.explicitLittle]);
    assert.deepEqual(scu.accepted(sopClass.secondaryCapture), []);
    const outcomes = await Promise.all([
      scu.store(requestFor(uncompressed)),
      scu.store(requestFor(jpeg, datasetStream(jpeg))),
      scu.store(requestFor(multiFrame)),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      [0, 0, 0],
    );
    await scu.release();
    const written = readdirSync(out);
    assert.equal(written.length, 3);
    for (const fixture of [uncompressed, jpeg, multiFrame]) {
      const name = written.find((file) => file.endsWith(fixture.part10.sopInstanceUid));
      assert.ok(name !== undefined, `storescp wrote ${fixture.part10.sopInstanceUid}`);
      const received = readPart10(join(out, name));
      assert.equal(received.transferSyntaxUid, fixture.part10.transferSyntaxUid);
      assert.ok(received.dataset.equals(fixture.part10.dataset), 'identical data set');
    }
  });
});

describe('SCU → Orthanc', () => {
  it('stores instances Orthanc then lists, and echoes', async (t) => {
    if (!requirePeer(t, 'orthanc') || !requirePeer(t, 'dcmtk')) {
      return;
    }
    const orthanc = await startOrthanc();
    t.after(() => orthanc.dispose());
    const options: ScuOptions = {
      host: '127.0.0.1',
      port: orthanc.dicomPort,
      callingAet: 'FOVEA',
      calledAet: orthanc.aeTitle,
    };
    await echo(options);
    const scu = await StoreScu.connect(options, proposals);
    for (const fixture of [uncompressed, jpeg, multiFrame]) {
      const outcome = await scu.store(
        requestFor(fixture, fixture === jpeg ? datasetStream(fixture) : undefined),
      );
      assert.equal(outcome.status, dimseStatus.Success);
    }
    await scu.release();
    const ids = (await orthanc.rest('GET', '/instances')) as string[];
    assert.equal(ids.length, 3);
    const uids = await Promise.all(
      ids.map(
        async (id) =>
          ((await orthanc.rest('GET', `/instances/${id}`)) as { MainDicomTags: { SOPInstanceUID: string } })
            .MainDicomTags.SOPInstanceUID,
      ),
    );
    assert.deepEqual(
      new Set(uids),
      new Set([uncompressed, jpeg, multiFrame].map((fixture) => fixture.part10.sopInstanceUid)),
    );
    for (const id of ids) {
      const response = await fetch(`${orthanc.httpUrl}/instances/${id}/file`, {
        headers: { authorization: orthanc.authorization },
      });
      const stored = splitPart10(Buffer.from(await response.arrayBuffer()));
      const original = [uncompressed, jpeg, multiFrame].find(
        (fixture) => fixture.part10.sopInstanceUid === stored.sopInstanceUid,
      )!;
      assert.equal(stored.transferSyntaxUid, original.part10.transferSyntaxUid);
      assert.ok(stored.dataset.equals(original.part10.dataset), 'Orthanc stored the data set unchanged');
    }
  });
});

describe('SCU → Fovea SCP', () => {
  async function startFovea(
    t: TestContext,
    sink: (uid: string) => DatasetSink,
    maxPduLength = 4096,
  ): Promise<{ port: number; close: () => Promise<void> }> {
    const server = await startDimseServer({
      host: '127.0.0.1',
      port: 0,
      aeTitle: 'FOVEA',
      logger: silentLogger,
      maxPduLength,
      contexts: new Map([
        [sopClass.ophthalmicPhotography8Bit, [transferSyntax.explicitLittle, transferSyntax.jpegBaseline]],
      ]),
      handlers: {
        associationRequested: (info) =>
          info.callingAet === 'STRANGER'
            ? { accept: false, result: 1, source: 1, reason: 3 }
            : { accept: true },
        storeBegin: (info) => sink(info.affectedSopInstanceUid),
      },
    });
    t.after(() => server.close());
    return { port: server.port, close: () => server.close() };
  }

  function collectingSink(
    store: Map<string, Buffer[]>,
    uid: string,
    status: number = dimseStatus.Success,
  ): DatasetSink {
    const chunks: Buffer[] = [];
    store.set(uid, chunks);
    return {
      write: (chunk) => {
        chunks.push(chunk);
      },
      end: () => Promise.resolve({ status, errorComment: status === 0 ? undefined : 'refused by test' }),
      abort: () => Promise.resolve(),
    };
  }

  it('fragments to the peer maximum, queues concurrent stores and reports failure statuses as outcomes', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const received = new Map<string, Buffer[]>();
    const { port } = await startFovea(t, (uid) =>
      collectingSink(
        received,
        uid,
        uid === jpeg.part10.sopInstanceUid ? dimseStatus.OutOfResources : dimseStatus.Success,
      ),
    );
    const options: ScuOptions = {
      host: '127.0.0.1',
      port,
      callingAet: 'SCU',
      calledAet: 'FOVEA',
      maxPduLength: 8192,
    };
    await echo(options);
    const scu = await StoreScu.connect(options, proposals);
    assert.deepEqual(scu.accepted(sopClass.ophthalmicTomography), []);
    const [first, second, third] = await Promise.all([
      scu.store(requestFor(uncompressed, datasetStream(uncompressed))),
      scu.store(requestFor(jpeg)),
      scu.store({ ...requestFor(uncompressed), sopInstanceUid: '2.25.77' }),
    ]);
    assert.deepEqual(first, { status: 0 });
    assert.deepEqual(second, { status: dimseStatus.OutOfResources, errorComment: 'refused by test' });
    assert.deepEqual(third, { status: 0 });
    const chunks = received.get(uncompressed.part10.sopInstanceUid)!;
    assert.ok(
      chunks.every((chunk) => chunk.length <= 4096 - 6),
      'PDVs fit the SCP maximum PDU length',
    );
    assert.ok(Buffer.concat(chunks).equals(uncompressed.part10.dataset));
    assert.ok(Buffer.concat(received.get('2.25.77')!).equals(uncompressed.part10.dataset));
    await assert.rejects(
      scu.store(requestFor(multiFrame)),
      isFoveaError('FOVEA_DICOM_SOP_CLASS_UNSUPPORTED'),
    );
    await assert.rejects(
      scu.store({ ...requestFor(uncompressed), transferSyntaxUid: transferSyntax.implicitLittle }),
      isFoveaError('FOVEA_DICOM_TRANSFER_SYNTAX_UNSUPPORTED'),
    );
    await scu.release();
  });

  it('reports a rejected association as FOVEA_DIMSE_ASSOCIATION_REJECTED with result, source and reason', async (t) => {
    const { port } = await startFovea(t, () => collectingSink(new Map(), ''));
    await assert.rejects(
      StoreScu.connect({ host: '127.0.0.1', port, callingAet: 'STRANGER', calledAet: 'FOVEA' }, proposals),
      isFoveaError('FOVEA_DIMSE_ASSOCIATION_REJECTED', /result 1 \(permanent\), source 1, reason 3/),
    );
    await assert.rejects(
      echo({ host: '127.0.0.1', port, callingAet: 'SCU', calledAet: 'SOMEONE' }),
      isFoveaError(
        'FOVEA_DIMSE_ASSOCIATION_REJECTED',
        /result 1 \(permanent\), source 1, reason 7 \(called AE title not recognized\)/,
      ),
    );
  });

  it('aborts when the data set source fails, and the SCP aborts its sink', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    let aborted: Error | undefined;
    let markAborted: () => void = () => undefined;
    const abortSeen = new Promise<void>((resolve) => {
      markAborted = resolve;
    });
    const { port } = await startFovea(t, () => ({
      write: () => undefined,
      end: () => Promise.resolve({ status: 0 }),
      abort: (reason) => {
        aborted = reason;
        markAborted();
        return Promise.resolve();
      },
    }));
    const scu = await StoreScu.connect(
      { host: '127.0.0.1', port, callingAet: 'SCU', calledAet: 'FOVEA' },
      proposals,
    );
    async function* failing(): AsyncIterable<Buffer> {
      yield uncompressed.part10.dataset.subarray(0, 50_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield uncompressed.part10.dataset.subarray(50_000, 60_000);
      throw new Error('disk read failed');
    }
    await assert.rejects(scu.store(requestFor(uncompressed, failing())), isFoveaError('FOVEA_INTERNAL'));
    await abortSeen;
    assert.ok(aborted instanceof FoveaError);
    await assert.rejects(scu.store(requestFor(uncompressed)), isFoveaError('FOVEA_DIMSE_PEER'));
  });

  it('fails with FOVEA_DIMSE_PEER when the SCP goes away mid-association', async (t) => {
    const { port, close } = await startFovea(t, (uid) => collectingSink(new Map(), uid));
    const scu = await StoreScu.connect({ host: '127.0.0.1', port, callingAet: 'SCU', calledAet: 'FOVEA' }, [
      { sopClassUid: sopClass.ophthalmicPhotography8Bit, transferSyntaxes: [transferSyntax.explicitLittle] },
    ]);
    await close();
    await assert.rejects(
      scu.store({
        sopClassUid: sopClass.ophthalmicPhotography8Bit,
        sopInstanceUid: '2.25.1',
        transferSyntaxUid: transferSyntax.explicitLittle,
        dataset: Buffer.alloc(10),
      }),
      isFoveaError('FOVEA_DIMSE_PEER'),
    );
  });
});

describe('SCU failures without a DICOM peer', () => {
  it('times out against a peer that never answers, and reports a refused connection', async (t) => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      for (const socket of sockets) {
        socket.destroy();
      }
      silent.close();
    });
    const address = silent.address();
    assert.ok(address !== null && typeof address === 'object');
    const started = Date.now();
    await assert.rejects(
      echo({ host: '127.0.0.1', port: address.port, callingAet: 'SCU', calledAet: 'X', timeoutMs: 300 }),
      isFoveaError('FOVEA_DIMSE_PEER', /timed out after 300 ms waiting for A-ASSOCIATE-AC/),
    );
    assert.ok(Date.now() - started < 2000);
    const closedPort = await freePort();
    await assert.rejects(
      StoreScu.connect({ host: '127.0.0.1', port: closedPort, callingAet: 'SCU', calledAet: 'X' }, proposals),
      isFoveaError('FOVEA_DIMSE_PEER', /cannot connect \(ECONNREFUSED\)/),
    );
  });
});
