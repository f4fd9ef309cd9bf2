import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import {
  generateFundusPixels,
  generateOctCircleScanPixels,
  generateOctVolumePixels,
  generateVisualFieldValues,
  renderContactSheet,
  Rng,
  visualFieldGreyscale,
} from './index.ts';
import type { IcdrLevel, SheetTile } from './index.ts';

const output = join(import.meta.dirname, '..', '..', 'var', 'synth');

describe('contact sheet', () => {
  it('writes var/synth/contact-sheet.png: a fundus per ICDR level, a B-scan with fluid, a VF grey scale', async () => {
    const tiles: SheetTile[] = [];
    const labels = [
      'no DR',
      'mild NPDR',
      'moderate NPDR + DME',
      'severe NPDR (4-2-1)',
      'PDR + vitreous haemorrhage',
    ];
    for (const icdr of [0, 1, 2, 3, 4] as const satisfies readonly IcdrLevel[]) {
      const fundus = generateFundusPixels({
        seed: `sheet-${icdr}`,
        eye: icdr % 2 === 0 ? 'R' : 'L',
        icdr,
        dme: icdr === 2,
        dmeCentreInvolved: true,
        ...(icdr === 3
          ? {
              severeCriteria: [
                'haemorrhages-4-quadrants',
                'venous-beading-2-quadrants',
                'irma-1-quadrant',
              ] as const,
            }
          : {}),
        ...(icdr === 4 ? { proliferative: { nvd: true, nve: true, vitreousHaemorrhage: true } } : {}),
        width: 1024,
        height: 768,
      });
      tiles.push({
        label: `ICDR ${icdr}: ${labels[icdr]!} (${fundus.truth.eye})`,
        width: fundus.width,
        height: fundus.height,
        channels: 3,
        pixels: fundus.rgb,
      });
    }
    const ungradable = generateFundusPixels({
      seed: 'sheet-q',
      eye: 'L',
      icdr: 1,
      artefacts: ['small-pupil', 'eyelash-shadow'],
      width: 1024,
      height: 768,
    });
    tiles.push({
      label: 'Ungradable: small pupil, eyelash',
      width: 1024,
      height: 768,
      channels: 3,
      pixels: ungradable.rgb,
    });
    const volume = generateOctVolumePixels({
      seed: 'sheet-oct',
      eye: 'R',
      fluid: ['irf', 'srf', 'ped'],
      dme: true,
    });
    const frame = Math.round(volume.truth.geometry.fovea.frame);
    const bytes = volume.rows * volume.columns;
    tiles.push({
      label: `B-scan ${frame + 1}/${volume.frames}: IRF, SRF, PED (CST ${Math.round(volume.truth.centralSubfieldThicknessUm)} µm)`,
      width: volume.columns,
      height: volume.rows,
      channels: 1,
      pixels: volume.voxels.slice(frame * bytes, (frame + 1) * bytes),
    });
    const normal = generateOctVolumePixels({ seed: 'sheet-oct-normal', eye: 'L', frames: 9 });
    const middle = 4;
    tiles.push({
      label: `Normal B-scan (CST ${Math.round(normal.truth.centralSubfieldThicknessUm)} µm)`,
      width: normal.columns,
      height: normal.rows,
      channels: 1,
      pixels: normal.voxels.slice(
        middle * normal.rows * normal.columns,
        (middle + 1) * normal.rows * normal.columns,
      ),
    });
    tiles.push({
      label: 'IR SLO with the OCT',
      width: volume.slo.size,
      height: volume.slo.size,
      channels: 1,
      pixels: volume.slo.pixels,
    });
    const circle = generateOctCircleScanPixels({ seed: 'sheet-circle', eye: 'R', inferiorLoss: 0.5 });
    tiles.push({
      label: `RNFL circle, glaucoma (avg ${Math.round(circle.truth.rnfl.averageUm)} µm, I ${Math.round(circle.truth.rnfl.quadrants.I)})`,
      width: circle.columns,
      height: circle.rows,
      channels: 1,
      pixels: circle.pixels,
    });
    const field = generateVisualFieldValues(
      {
        pattern: '24-2',
        eye: 'R',
        ageYears: 66,
        defects: [{ hemifield: 'superior', depthDb: 18 }],
        diffuseLossDb: 1,
      },
      new Rng('sheet-vf'),
    );
    tiles.push(visualFieldGreyscale(field));
    const tenTwo = generateVisualFieldValues(
      { pattern: '10-2', eye: 'L', ageYears: 70, defects: [{ hemifield: 'inferior', depthDb: 14 }] },
      new Rng('sheet-vf-10'),
    );
    tiles.push(visualFieldGreyscale(tenTwo));
    const png = await renderContactSheet(tiles, { columns: 4 });
    mkdirSync(output, { recursive: true });
    writeFileSync(join(output, 'contact-sheet.png'), png);
    const metadata = await sharp(png).metadata();
    assert.equal(metadata.format, 'png');
    assert.equal(metadata.width, 4 * 512);
  });
});
