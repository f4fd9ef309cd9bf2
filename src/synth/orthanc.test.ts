import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { startOrthanc } from '../../test/peers/orthanc.ts';
import type { OrthancPeer } from '../../test/peers/orthanc.ts';
import { peerInstalled, requirePeer } from '../../test/peers/peers.ts';
import {
  generateFundus,
  generateOctCircleScan,
  generateOctVolume,
  generateVisualField,
  makePatient,
  makeStudy,
} from './index.ts';
import type { SynthObject, SynthTransferSyntax } from './index.ts';

/** A multipart/related STOW-RS body of Part 10 files. */
function stowBody(objects: readonly SynthObject[]): { body: Buffer; contentType: string } {
  const boundary = `fovea-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const object of objects) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, 'latin1'),
      object.part10,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return {
    body: Buffer.concat(parts),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

describe('Orthanc accepts and renders synthetic objects', () => {
  let orthanc: OrthancPeer | undefined;
  const objects: SynthObject[] = [];

  before(async () => {
    if (!peerInstalled('orthanc')) {
      return;
    }
    orthanc = await startOrthanc();
    const patient = makePatient({ seed: 'orthanc' });
    const study = makeStudy({ seed: 'orthanc' });
    const syntaxes: SynthTransferSyntax[] = ['explicit-le', 'jpeg-baseline'];
    for (const [i, transferSyntax] of syntaxes.entries()) {
      // Different studies per transfer syntax keep the UIDs apart.
      const visit = i === 0 ? study : makeStudy({ seed: 'orthanc', label: 'jpeg' });
      const context = { patient, study: visit, transferSyntax };
      objects.push(
        await generateFundus({ ...context, seed: 'o1', eye: 'R', icdr: 2, width: 800, height: 600 }),
      );
      const cube = await generateOctVolume({
        ...context,
        seed: 'o2',
        eye: 'L',
        fluid: ['srf'],
        frames: 5,
        columns: 256,
        rows: 320,
      });
      objects.push(cube.oct, cube.slo);
      const circle = await generateOctCircleScan({ ...context, seed: 'o3', eye: 'R', columns: 256 });
      objects.push(circle.oct);
    }
    objects.push(generateVisualField({ seed: 'o4', eye: 'L', patient, study }));
  });

  after(async () => {
    await orthanc?.dispose();
  });

  it('stores every kind via STOW-RS', async (t) => {
    if (!requirePeer(t, 'orthanc')) {
      return;
    }
    const peer = orthanc!;
    const { body, contentType } = stowBody(objects);
    const response = await fetch(`${peer.dicomWebUrl}/studies`, {
      method: 'POST',
      headers: {
        authorization: peer.authorization,
        'content-type': contentType,
        accept: 'application/dicom+json',
      },
      body,
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const result = JSON.parse(text) as Record<string, { Value?: unknown[] }>;
    assert.equal(result['00081198']?.Value?.length ?? 0, 0, `failed SOP sequence: ${text}`);
    assert.equal(result['00081199']?.Value?.length, objects.length);
    for (const object of objects) {
      const found = (await peer.rest('POST', '/tools/find', {
        Level: 'Instance',
        Query: { SOPInstanceUID: object.sopInstanceUid },
      })) as string[];
      assert.equal(found.length, 1, `${object.fileName} stored`);
    }
  });

  it('renders the OP and OPT images', async (t) => {
    if (!requirePeer(t, 'orthanc')) {
      return;
    }
    const peer = orthanc!;
    for (const object of objects.filter((o) => o.modality !== 'OPV')) {
      const url = `${peer.dicomWebUrl}/studies/${object.studyInstanceUid}/series/${object.seriesInstanceUid}/instances/${object.sopInstanceUid}/rendered`;
      for (const accept of ['image/png', 'image/jpeg']) {
        const response = await fetch(url, { headers: { authorization: peer.authorization, accept } });
        const bytes = Buffer.from(await response.arrayBuffer());
        assert.equal(response.status, 200, `${object.fileName} ${accept}: ${bytes.toString('utf8', 0, 200)}`);
        const metadata = await sharp(bytes).metadata();
        assert.equal(metadata.format, accept === 'image/png' ? 'png' : 'jpeg');
        assert.ok(metadata.width > 0 && metadata.height > 0);
        if (accept === 'image/png') {
          const stats = await sharp(bytes).stats();
          const mean = stats.channels[0]!.mean;
          assert.ok(mean > 5 && mean < 250, `${object.fileName} rendered mean ${mean}`);
        }
      }
    }
  });
});
