/**
 * The storage SCP against DCMTK clients (echoscu, storescu) on loopback.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { peerInstalled, requirePeer } from '../../../test/peers/peers.ts';
import { FoveaError } from '../../core/errors.ts';
import { logEvents } from '../../core/log-events.ts';
import type {
  AssociationContext,
  CStoreRequestInfo,
  DatasetSink,
  DimseServer,
  StoreOutcome,
  StoreScpHandlers,
} from './index.ts';
import { dimseStatus, startDimseServer } from './index.ts';
import {
  createMemoryLogger,
  makeMultiFrameTomography,
  makeOphthalmicPhotograph,
  mustRun,
  readPart10,
  runToolAsync,
  sopClass,
  transferSyntax,
  type LogLine,
  type Part10File,
} from '../../../test/fixtures/dcmtk-files.ts';

const table = new Map([
  [
    sopClass.ophthalmicPhotography8Bit,
    [transferSyntax.explicitLittle, transferSyntax.implicitLittle, transferSyntax.jpegBaseline],
  ],
  [sopClass.ophthalmicTomography, [transferSyntax.explicitLittle, transferSyntax.implicitLittle]],
]);

interface Received {
  readonly info: CStoreRequestInfo;
  readonly chunks: Buffer[];
  ended: boolean;
  aborted: Error | undefined;
}

interface Harness {
  readonly server: DimseServer;
  readonly port: string;
  readonly received: Map<string, Received>;
  readonly ended: { association: AssociationContext; how: string }[];
  readonly lines: LogLine[];
  readonly events: () => number[];
}

/** A sink that records what it receives. */
function recordingSink(
  received: Map<string, Received>,
  info: CStoreRequestInfo,
): DatasetSink & { record: Received } {
  const record: Received = { info, chunks: [], ended: false, aborted: undefined };
  received.set(info.affectedSopInstanceUid, record);
  return {
    record,
    write(chunk) {
      record.chunks.push(chunk);
    },
    end() {
      record.ended = true;
      return Promise.resolve({ status: dimseStatus.Success });
    },
    abort(reason) {
      record.aborted = reason;
      return Promise.resolve();
    },
  };
}

async function startHarness(t: TestContext, handlers: Partial<StoreScpHandlers> = {}): Promise<Harness> {
  const { logger, lines, events } = createMemoryLogger();
  const received = new Map<string, Received>();
  const ended: Harness['ended'] = [];
  const server = await startDimseServer({
    host: '127.0.0.1',
    port: 0,
    aeTitle: 'FOVEA',
    contexts: table,
    logger,
    handlers: {
      associationRequested: (info) =>
        info.callingAet === 'INTRUDER'
          ? { accept: false, result: 1, source: 1, reason: 3 }
          : { accept: true },
      storeBegin: (info) => recordingSink(received, info),
      associationEnded: (association, how) => ended.push({ association, how }),
      ...handlers,
    },
  });
  t.after(() => server.close());
  return { server, port: String(server.port), received, ended, lines, events };
}

function assertReceivedExactly(harness: Harness, file: Part10File): void {
  const record = harness.received.get(file.sopInstanceUid);
  assert.ok(record !== undefined, `received ${file.sopInstanceUid}`);
  assert.equal(record.info.affectedSopClassUid, file.sopClassUid);
  assert.equal(record.info.transferSyntaxUid, file.transferSyntaxUid);
  assert.equal(record.ended, true);
  const bytes = Buffer.concat(record.chunks);
  assert.equal(bytes.length, file.dataset.length);
  assert.ok(bytes.equals(file.dataset), 'data set bytes identical to the file after its meta group');
}

let root = '';
/** Folder of four instances: two uncompressed OP, one JPEG baseline OP, one multi-frame OPT. */
let folder = '';
let files: { path: string; part10: Part10File }[] = [];
let secondaryCapture = '';

before(() => {
  if (!peerInstalled('dcmtk')) {
    return;
  }
  root = mkdtempSync(join(tmpdir(), 'fovea-dimse-scp-'));
  const made = join(root, 'made');
  folder = join(root, 'set');
  mkdirSync(made);
  mkdirSync(folder);
  const paths = [
    makeOphthalmicPhotograph(made, 'op1', { seed: 1 }),
    makeOphthalmicPhotograph(made, 'op2', { seed: 2 }),
    makeOphthalmicPhotograph(made, 'op3', { seed: 3, jpeg: true }),
    makeMultiFrameTomography(made, 'opt4', 4),
  ];
  files = paths.map((path) => {
    const target = join(folder, basename(path));
    copyFileSync(path, target);
    return { path: target, part10: readPart10(target) };
  });
  secondaryCapture = join(made, 'sc.dcm');
  mustRun('img2dcm', ['-i', 'BMP', join(made, 'op1.bmp'), secondaryCapture]);
});

after(() => {
  if (root !== '') {
    rmSync(root, { recursive: true, force: true });
  }
});

describe('SCP with DCMTK clients', () => {
  it('answers echoscu', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const harness = await startHarness(t);
    const result = await runToolAsync('echoscu', [
      '-aet',
      'MODALITY',
      '-aec',
      'FOVEA',
      '127.0.0.1',
      harness.port,
    ]);
    assert.equal(result.status, 0, result.output);
    assert.ok(harness.events().includes(logEvents.DIMSE_ASSOCIATION_ACCEPTED));
    assert.ok(harness.events().includes(logEvents.DIMSE_ECHO));
    assert.ok(harness.events().includes(logEvents.DIMSE_ASSOCIATION_RELEASED));
    assert.equal(harness.ended.length, 1);
    assert.equal(harness.ended[0]!.how, 'released');
    assert.equal(harness.ended[0]!.association.callingAet, 'MODALITY');
    assert.match(harness.ended[0]!.association.id, /^[0-9a-f]{12}$/);
  });

  it('rejects a wrong called AE title (1/1/7) and a calling AE the handler refuses (1/1/3)', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const harness = await startHarness(t);
    const wrongCalled = await runToolAsync('echoscu', ['-aec', 'NOTFOVEA', '127.0.0.1', harness.port]);
    assert.notEqual(wrongCalled.status, 0);
    assert.match(wrongCalled.output, /Association Rejected/);
    assert.match(wrongCalled.output, /Called AE Title Not Recognized/);
    const intruder = await runToolAsync('echoscu', [
      '-aet',
      'INTRUDER',
      '-aec',
      'FOVEA',
      '127.0.0.1',
      harness.port,
    ]);
    assert.notEqual(intruder.status, 0);
    assert.match(intruder.output, /Calling AE Title Not Recognized/);
    assert.equal(
      harness.events().filter((event) => event === logEvents.DIMSE_ASSOCIATION_REJECTED).length,
      2,
    );
    assert.equal(harness.ended.length, 0, 'associationEnded only for accepted associations');
    const fine = await runToolAsync('echoscu', ['-aec', 'FOVEA', '127.0.0.1', harness.port]);
    assert.equal(fine.status, 0, fine.output);
  });

  it('streams every data set of a storescu +sd folder byte for byte (uncompressed, JPEG, multi-frame)', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const harness = await startHarness(t);
    const result = await runToolAsync('storescu', [
      '-v',
      '-xy',
      '-aec',
      'FOVEA',
      '+sd',
      '127.0.0.1',
      harness.port,
      folder,
    ]);
    assert.equal(result.status, 0, result.output);
    assert.equal(
      (result.output.match(/Received Store Response \(Success\)/g) ?? []).length,
      files.length,
      result.output,
    );
    assert.equal(harness.received.size, files.length);
    for (const file of files) {
      assertReceivedExactly(harness, file.part10);
    }
    assert.deepEqual(
      new Set(files.map((file) => file.part10.transferSyntaxUid)),
      new Set([transferSyntax.explicitLittle, transferSyntax.jpegBaseline]),
    );
    const associationIds = new Set(
      [...harness.received.values()].map((record) => record.info.association.id),
    );
    assert.equal(associationIds.size, 1, 'one association');
    assert.deepEqual(
      harness.ended.map((end) => end.how),
      ['released'],
    );
    const logged = JSON.stringify(harness.lines);
    assert.ok(!logged.includes('TEST^DIMSE') && !logged.includes('DIMSE0001'), 'no patient data in logs');
  });

  it('streams with backpressure and an asynchronous storeBegin', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const received = new Map<string, Received>();
    let writes = 0;
    const harness = await startHarness(t, {
      async storeBegin(info) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const sink = recordingSink(received, info);
        return {
          ...sink,
          async write(chunk) {
            writes += 1;
            await new Promise((resolve) => setTimeout(resolve, 1));
            sink.record.chunks.push(chunk);
          },
        };
      },
    });
    const result = await runToolAsync('storescu', [
      '-xy',
      '-aec',
      'FOVEA',
      '+sd',
      '127.0.0.1',
      harness.port,
      folder,
    ]);
    assert.equal(result.status, 0, result.output);
    assert.ok(writes >= files.length);
    for (const file of files) {
      assertReceivedExactly({ ...harness, received }, file.part10);
    }
  });

  it('answers a failing sink with its status and keeps the association for the next instance', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const [beginThrows, writeThrows, endRefuses, succeeds] = files.map((file) => file.part10.sopInstanceUid);
    const received = new Map<string, Received>();
    const harness = await startHarness(t, {
      storeBegin(info) {
        if (info.affectedSopInstanceUid === beginThrows) {
          throw new FoveaError('FOVEA_SPOOL_WRITE_FAILED', { detail: 'spool full' });
        }
        const sink = recordingSink(received, info);
        if (info.affectedSopInstanceUid === writeThrows) {
          return {
            ...sink,
            write() {
              throw new Error('internal details that must not leak');
            },
          };
        }
        if (info.affectedSopInstanceUid === endRefuses) {
          return {
            ...sink,
            end: (): Promise<StoreOutcome> =>
              Promise.resolve({
                status: dimseStatus.DataSetDoesNotMatchSopClass,
                errorComment: 'Not an OP image',
              }),
          };
        }
        return sink;
      },
    });
    const result = await runToolAsync('storescu', [
      '-d',
      '-nh',
      '-xy',
      '-aec',
      'FOVEA',
      '127.0.0.1',
      harness.port,
      ...files.map((file) => file.path),
    ]);
    const statuses = [...result.output.matchAll(/DIMSE Status\s+: (0x[0-9a-f]{4})/g)].map(
      (match) => match[1],
    );
    assert.deepEqual(statuses, ['0xa700', '0x0110', '0xa900', '0x0000'], result.output);
    assert.match(result.output, /\(0000,0902\) LO \[spool full\]/);
    assert.match(result.output, /\(0000,0902\) LO \[Processing failure\]/);
    assert.match(result.output, /\(0000,0902\) LO \[Not an OP image\]/);
    assert.equal(received.get(writeThrows!)!.aborted?.message, 'internal details that must not leak');
    assert.ok(!result.output.includes('internal details'));
    assert.equal(received.get(succeeds!)!.ended, true);
    assert.ok(Buffer.concat(received.get(succeeds!)!.chunks).equals(files[3]!.part10.dataset));
    assert.equal(harness.events().filter((event) => event === logEvents.DIMSE_STORE_FAILED).length, 3);
    assert.deepEqual(
      harness.ended.map((end) => end.how),
      ['released'],
      'one association survived every failure',
    );
  });

  it('refuses a SOP class missing from the table and keeps serving', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const harness = await startHarness(t);
    const result = await runToolAsync('storescu', [
      '-aec',
      'FOVEA',
      '127.0.0.1',
      harness.port,
      secondaryCapture,
    ]);
    assert.notEqual(result.status, 0);
    assert.match(result.output, /No presentation context|No Acceptable Presentation Contexts/i);
    assert.equal(harness.received.size, 0);
    const echo = await runToolAsync('echoscu', ['-aec', 'FOVEA', '127.0.0.1', harness.port]);
    assert.equal(echo.status, 0, echo.output);
    const store = await runToolAsync('storescu', [
      '-aec',
      'FOVEA',
      '127.0.0.1',
      harness.port,
      files[0]!.path,
    ]);
    assert.equal(store.status, 0, store.output);
    assertReceivedExactly(harness, files[0]!.part10);
  });

  it('serves concurrent associations', async (t) => {
    if (!requirePeer(t, 'dcmtk')) {
      return;
    }
    const harness = await startHarness(t);
    const results = await Promise.all(
      [0, 1, 2].map((n) =>
        runToolAsync('storescu', [
          '-xy',
          '-aet',
          `MOD${n}`,
          '-aec',
          'FOVEA',
          '+sd',
          '127.0.0.1',
          harness.port,
          folder,
        ]),
      ),
    );
    for (const result of results) {
      assert.equal(result.status, 0, result.output);
    }
    assert.equal(harness.ended.length, 3);
    assert.ok(harness.ended.every((end) => end.how === 'released'));
    assert.equal(new Set(harness.ended.map((end) => end.association.id)).size, 3);
    assert.deepEqual(
      new Set(harness.ended.map((end) => end.association.callingAet)),
      new Set(['MOD0', 'MOD1', 'MOD2']),
    );
    for (const file of files) {
      assertReceivedExactly(harness, file.part10);
    }
  });
});
