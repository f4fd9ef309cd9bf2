import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requirePeer, run } from '../../test/peers/peers.ts';
import {
  generateFundus,
  generateOctCircleScan,
  generateOctVolume,
  generateVisualField,
  generateVisualFieldSeries,
} from './index.ts';
import type { SynthObject, SynthTransferSyntax } from './index.ts';

/**
 * dciodvfy applies the generic multi-frame concatenation rule to OPT, where PS3.3 C.8.17.7 fixes these
 * attributes to forbid concatenation (see peers.md §4.1). Exactly these lines are allowed for OPT.
 */
const optFalsePositives = [
  'Error - Attribute present when condition unsatisfied (which may not be present otherwise) Type 1C Conditional Element=<ConcatenationFrameOffsetNumber> Module=<MultiFrameFunctionalGroupsCommon>',
  'Error - Attribute present when condition unsatisfied (which may not be present otherwise) Type 1C Conditional Element=<InConcatenationNumber> Module=<MultiFrameFunctionalGroupsCommon>',
  'Error - Cannot be less than or equal to one since then not a Concatenation - attribute <InConcatenationTotalNumber>',
];

const temp = mkdtempSync(join(tmpdir(), 'fovea-synth-dciodvfy-'));
after(() => {
  rmSync(temp, { recursive: true, force: true });
});

async function sample(): Promise<SynthObject[]> {
  const objects: SynthObject[] = [];
  const syntaxes: SynthTransferSyntax[] = ['explicit-le', 'jpeg-baseline'];
  for (const transferSyntax of syntaxes) {
    objects.push(
      await generateFundus({ seed: 'v1', eye: 'R', icdr: 3, transferSyntax, width: 640, height: 480 }),
    );
    objects.push(
      await generateFundus({
        seed: 'v2',
        eye: 'L',
        icdr: 4,
        proliferative: { nvd: true, vitreousHaemorrhage: true },
        artefacts: ['eyelash-shadow'],
        transferSyntax,
        width: 640,
        height: 480,
      }),
    );
    const cube = await generateOctVolume({
      seed: 'v3',
      eye: 'L',
      fluid: ['irf', 'srf'],
      frames: 9,
      columns: 256,
      rows: 320,
      transferSyntax,
    });
    objects.push(cube.oct, cube.slo);
    const circle = await generateOctCircleScan({ seed: 'v4', eye: 'R', columns: 256, transferSyntax });
    objects.push(circle.oct, circle.slo);
  }
  objects.push(generateVisualField({ seed: 'v5', eye: 'R' }));
  objects.push(generateVisualField({ seed: 'v6', eye: 'L', pattern: '10-2' }));
  objects.push(
    ...generateVisualFieldSeries({
      seed: 'v7',
      eye: 'L',
      visits: 2,
      mdSlopeDbPerYear: -1.5,
      arcuate: 'superior',
    }),
  );
  return objects;
}

describe('synthetic objects pass dciodvfy', () => {
  it('has no Error lines (OPT: only the documented false positives)', async (t) => {
    if (!requirePeer(t, 'dciodvfy')) {
      return;
    }
    const objects = await sample();
    const kinds = new Set(objects.map((o) => `${o.modality}/${o.kind}/${o.transferSyntaxUid}`));
    assert.equal(kinds.size, 4 * 2 + 1, [...kinds].join(' '));
    for (const object of objects) {
      const file = join(temp, object.fileName);
      writeFileSync(file, object.part10);
      const result = run('dciodvfy', [file]);
      const lines = result.stderr.split('\n').filter((line) => line.startsWith('Error'));
      const allowed = object.modality === 'OPT' ? optFalsePositives : [];
      const unexpected = lines.filter((line) => !allowed.includes(line.trim()));
      assert.deepEqual(unexpected, [], `${object.fileName} (${object.transferSyntaxUid}):\n${result.stderr}`);
      for (const line of allowed) {
        assert.ok(lines.filter((l) => l.trim() === line).length <= 1);
      }
      const iod = result.stderr
        .split('\n')
        .find((line) => !line.startsWith('Error') && !line.startsWith('Warning'));
      const expected =
        object.modality === 'OP'
          ? 'OphthalmicPhotography8BitImage'
          : object.modality === 'OPT'
            ? 'OphthalmicTomographyImage'
            : 'OphthalmicVisualFieldStaticPerimetryMeasurements';
      assert.equal(iod, expected);
    }
  });
});
