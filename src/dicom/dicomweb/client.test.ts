import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { FoveaError, type ErrorCode } from '../../core/errors.ts';
import type { LogFields, Logger } from '../../core/logger.ts';
import { freePort, requirePeer } from '../../../test/peers/peers.ts';
import { sharedOrthanc } from '../../../test/peers/orthanc.ts';
import { DicomWebClient } from './client.ts';
import {
  dicomJsonTags as tags,
  getPersonName,
  getSequence,
  getString,
  getStrings,
  type DicomJsonDataset,
} from './dicom-json.ts';
import { makeOpInstance, readDataset } from './fixtures.test.ts';

/** A logger that keeps every line, to check what is (not) logged. */
function capturingLogger(): Logger & { lines: { level: string; fields: LogFields; message: string }[] } {
  const lines: { level: string; fields: LogFields; message: string }[] = [];
  const logger = {
    lines,
    debug: (fields: LogFields, message: string) => lines.push({ level: 'debug', fields, message }),
    info: (fields: LogFields, message: string) => lines.push({ level: 'info', fields, message }),
    warn: (fields: LogFields, message: string) => lines.push({ level: 'warn', fields, message }),
    error: (fields: LogFields, message: string) => lines.push({ level: 'error', fields, message }),
    child: () => logger,
  };
  return logger;
}

function isFovea(code: ErrorCode, detail?: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof FoveaError, `expected a FoveaError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (detail !== undefined) {
      assert.match(error.detail ?? '', detail);
    }
    return true;
  };
}

async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

describe('DicomWebClient against Orthanc (DICOMweb plugin)', () => {
  test('STOW, QIDO, WADO round trip; errors', async (t) => {
    if (!requirePeer(t, 'orthanc')) {
      return;
    }
    const orthanc = await sharedOrthanc();
    t.after(() => orthanc.dispose());
    const logger = capturingLogger();
    const client = new DicomWebClient({
      baseUrl: `${orthanc.dicomWebUrl}/`,
      auth: { user: orthanc.user, password: orthanc.password },
      timeoutMs: 10_000,
      logger,
    });
    const patientId = `PID-${Date.now()}`;
    const right = makeOpInstance({ patientId, patientName: 'DOE^JANE', laterality: 'R', instanceNumber: 1 });
    const left = makeOpInstance({
      patientId,
      patientName: 'DOE^JANE',
      laterality: 'L',
      instanceNumber: 2,
      studyInstanceUid: right.studyInstanceUid,
      seriesInstanceUid: right.seriesInstanceUid,
      rows: 300,
      columns: 400,
    });
    const other = makeOpInstance({
      patientId,
      patientName: 'DOE^JANE',
      studyInstanceUid: right.studyInstanceUid,
      laterality: 'R',
    });
    const instances = [right, left, other];
    const sopUids = instances.map((instance) => instance.sopInstanceUid).sort();

    await t.test('STOW-RS of three Part 10 files (buffers and a stream): 200', async () => {
      async function* streamed(): AsyncGenerator<Buffer> {
        for (let offset = 0; offset < left.part10.length; offset += 65_536) {
          await new Promise((resolve) => setImmediate(resolve));
          yield left.part10.subarray(offset, offset + 65_536);
        }
      }
      async function* all(): AsyncGenerator<Buffer | AsyncIterable<Buffer>> {
        yield right.part10;
        yield streamed();
        yield await Promise.resolve(other.part10);
      }
      const { status, response } = await client.storeInstances(all(), right.studyInstanceUid);
      assert.equal(status, 200);
      const stored = getSequence(response, tags.ReferencedSOPSequence)
        .map((item) => getString(item, tags.ReferencedSOPInstanceUID))
        .sort();
      assert.deepEqual(stored, sopUids);
      assert.match(
        getString(response, tags.RetrieveURL) ?? '',
        new RegExp(`/studies/${right.studyInstanceUid}$`),
      );
    });

    await t.test(
      'STOW-RS to a study URL the instance does not belong to: 409 with a failure reason',
      async () => {
        const { status, response } = await client.storeInstances(
          [right.part10],
          makeOpInstance().studyInstanceUid,
        );
        assert.equal(status, 409);
        const failed = getSequence(response, tags.FailedSOPSequence);
        assert.equal(failed.length, 1);
        assert.equal(getString(failed[0]!, tags.ReferencedSOPInstanceUID), right.sopInstanceUid);
      },
    );

    await t.test('QIDO-RS: studies by PatientID and ModalitiesInStudy=OP, series, instances', async () => {
      const studies = await client.searchStudies(
        { PatientID: patientId, ModalitiesInStudy: 'OP' },
        { includefield: ['StudyDescription'], limit: 10 },
      );
      assert.equal(studies.length, 1);
      const study = studies[0]!;
      assert.equal(getString(study, tags.StudyInstanceUID), right.studyInstanceUid);
      assert.equal(getPersonName(study, tags.PatientName), 'DOE^JANE');
      assert.deepEqual(getStrings(study, tags.ModalitiesInStudy), ['OP']);

      assert.deepEqual(await client.searchStudies({ PatientID: `${patientId}-none` }), []);
      assert.deepEqual(await client.searchStudies({ PatientID: patientId, ModalitiesInStudy: 'CT' }), []);

      const series = await client.searchSeries(right.studyInstanceUid);
      assert.deepEqual(
        series.map((item) => getString(item, tags.SeriesInstanceUID)).sort(),
        [right.seriesInstanceUid, other.seriesInstanceUid].sort(),
      );
      assert.ok(series.every((item) => getString(item, tags.Modality) === 'OP'));

      const inStudy = await client.searchInstances(right.studyInstanceUid);
      assert.deepEqual(inStudy.map((item) => getString(item, tags.SOPInstanceUID)).sort(), sopUids);
      const inSeries = await client.searchInstances(right.studyInstanceUid, right.seriesInstanceUid);
      assert.deepEqual(
        inSeries.map((item) => getString(item, tags.SOPInstanceUID)).sort(),
        [right.sopInstanceUid, left.sopInstanceUid].sort(),
      );
      const paged = await client.searchInstances(
        right.studyInstanceUid,
        undefined,
        {},
        { limit: 1, offset: 1 },
      );
      assert.equal(paged.length, 1);
    });

    await t.test('WADO-RS: the study streams back with data sets identical to what was stored', async () => {
      const received = new Map<string, Buffer>();
      const count = await client.retrieveStudy(right.studyInstanceUid, async (body, headers) => {
        assert.match(headers['content-type'] ?? 'application/dicom', /^application\/dicom/);
        const bytes = await collect(body);
        const dataset = readDataset(bytes);
        const uid = (dataset['00080018'] as { Value: string[] }).Value[0]!;
        received.set(uid, bytes);
      });
      assert.equal(count, 3);
      assert.deepEqual([...received.keys()].sort(), sopUids);
      for (const instance of instances) {
        assert.deepStrictEqual(
          readDataset(received.get(instance.sopInstanceUid)!),
          readDataset(instance.part10),
          `data set of ${instance.sopInstanceUid}`,
        );
      }
    });

    await t.test(
      'WADO-RS series and instance; a handler that skips bodies still gets every instance',
      async () => {
        let skipped = 0;
        const seriesCount = await client.retrieveSeries(
          right.studyInstanceUid,
          right.seriesInstanceUid,
          () => {
            skipped += 1;
            return Promise.resolve();
          },
        );
        assert.equal(seriesCount, 2);
        assert.equal(skipped, 2);
        let single: Buffer | undefined;
        const instanceCount = await client.retrieveInstance(
          left.studyInstanceUid,
          left.seriesInstanceUid,
          left.sopInstanceUid,
          async (body) => {
            single = await collect(body);
          },
        );
        assert.equal(instanceCount, 1);
        assert.deepStrictEqual(readDataset(single!), readDataset(left.part10));
      },
    );

    await t.test('a handler error stops the retrieve and propagates as is', async () => {
      const mine = new FoveaError('FOVEA_SPOOL_WRITE_FAILED');
      await assert.rejects(
        client.retrieveStudy(right.studyInstanceUid, () => Promise.reject(mine)),
        (error) => error === mine,
      );
    });

    await t.test('an unknown study: FOVEA_PACS_RESPONSE_INVALID with the HTTP status', async () => {
      await assert.rejects(
        client.retrieveStudy('1.2.3.4.5.6.7.8.9', () => Promise.resolve()),
        isFovea('FOVEA_PACS_RESPONSE_INVALID', /HTTP 404/),
      );
    });

    await t.test(
      'a wrong password: FOVEA_PACS_RESPONSE_INVALID (401), without PHI in the message',
      async () => {
        const wrong = new DicomWebClient({
          baseUrl: orthanc.dicomWebUrl,
          auth: { user: orthanc.user, password: 'not-the-password' },
        });
        await assert.rejects(wrong.searchStudies({ PatientID: patientId }), (error) => {
          isFovea('FOVEA_PACS_RESPONSE_INVALID', /HTTP 401/)(error);
          assert.ok(!(error as FoveaError).message.includes(patientId));
          return true;
        });
        await assert.rejects(
          wrong.storeInstances([right.part10]),
          isFovea('FOVEA_PACS_RESPONSE_INVALID', /HTTP 401/),
        );
      },
    );

    await t.test('arguments that are not UIDs are refused before any request', async () => {
      await assert.rejects(client.searchSeries('../../system'), isFovea('FOVEA_HTTP_BAD_REQUEST'));
    });

    await t.test('logs carry event numbers and no credentials, query values or UIDs', () => {
      assert.ok(logger.lines.length > 0);
      const text = JSON.stringify(logger.lines);
      for (const secret of [
        orthanc.password,
        'not-the-password',
        orthanc.authorization,
        patientId,
        right.studyInstanceUid,
      ]) {
        assert.ok(!text.includes(secret), `log lines contain ${secret}`);
      }
      assert.ok(logger.lines.every((line) => line.fields.event === 5020 || line.fields.event === 5021));
    });
  });
});

describe('DicomWebClient network failures', () => {
  test('a closed port: FOVEA_PACS_UNREACHABLE', async () => {
    const port = await freePort();
    const client = new DicomWebClient({ baseUrl: `http://127.0.0.1:${port}/dicom-web`, timeoutMs: 5000 });
    await assert.rejects(
      client.searchStudies({ PatientID: 'X' }),
      isFovea('FOVEA_PACS_UNREACHABLE', /ECONNREFUSED/),
    );
    await assert.rejects(
      client.retrieveStudy('1.2.3', () => Promise.resolve()),
      isFovea('FOVEA_PACS_UNREACHABLE'),
    );
    await assert.rejects(client.storeInstances([makeOpInstance().part10]), isFovea('FOVEA_PACS_UNREACHABLE'));
  });

  test('a peer that accepts but never answers: FOVEA_PACS_UNREACHABLE after the idle timeout', async (t) => {
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) {
            socket.destroy();
          }
          server.close(() => {
            resolve();
          });
        }),
    );
    const { port } = server.address() as { port: number };
    const client = new DicomWebClient({ baseUrl: `http://127.0.0.1:${port}/dicom-web`, timeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(
      client.searchStudies(),
      isFovea('FOVEA_PACS_UNREACHABLE', /no progress within 300 ms/),
    );
    await assert.rejects(client.storeInstances([makeOpInstance().part10]), isFovea('FOVEA_PACS_UNREACHABLE'));
    assert.ok(Date.now() - started < 5000);
  });

  test('a base URL with credentials or another scheme is refused', () => {
    assert.throws(() => new DicomWebClient({ baseUrl: 'http://u:p@host/dicom-web' }), FoveaError);
    assert.throws(() => new DicomWebClient({ baseUrl: 'ftp://host/dicom-web' }), FoveaError);
    assert.throws(() => new DicomWebClient({ baseUrl: 'not a url' }), FoveaError);
  });
});

/** Keeps the type import used when the Orthanc suite is skipped. */
export type { DicomJsonDataset };
