import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type DcmjsDefault from 'dcmjs';
import { generateFundus, generateFundusPixels, lesionLabels } from './index.ts';
import type { FundusPixels, FundusTruth } from './index.ts';

const dcmjs = createRequire(import.meta.url)('dcmjs') as typeof DcmjsDefault;
dcmjs.log.setLevel('error');

const size = { width: 800, height: 600 };

function green(image: FundusPixels, x: number, y: number): number {
  return image.rgb[3 * (Math.round(y) * image.width + Math.round(x)) + 1]!;
}

/** Mean green over a small disc around a point. */
function meanGreen(image: FundusPixels, x: number, y: number, radius: number): number {
  let sum = 0;
  let n = 0;
  const r = Math.max(1, radius);
  for (let dy = -r; dy <= r; dy++) {
    for (let dx = -r; dx <= r; dx++) {
      if (dx * dx + dy * dy <= r * r) {
        sum += green(image, x + dx, y + dy);
        n++;
      }
    }
  }
  return sum / n;
}

describe('synthetic fundus', () => {
  it('is deterministic for a seed and differs between seeds', async () => {
    const a = await generateFundus({ seed: 7, eye: 'R', icdr: 2, ...size });
    const b = await generateFundus({ seed: 7, eye: 'R', icdr: 2, ...size });
    const c = await generateFundus({ seed: 8, eye: 'R', icdr: 2, ...size });
    assert.ok(a.part10.equals(b.part10));
    assert.deepEqual(a.truth, b.truth);
    assert.notEqual(a.sopInstanceUid, c.sopInstanceUid);
    assert.ok(!a.part10.equals(c.part10));
  });

  it('writes exactly the generated pixels into the DICOM object', async () => {
    const options = { seed: 'pixels', eye: 'L' as const, icdr: 3 as const, ...size };
    const object = await generateFundus(options);
    const pixels = generateFundusPixels({ ...options, anatomySeed: 'pixels/anatomy' });
    const dict = dcmjs.data.DicomMessage.readFile(new Uint8Array(object.part10).buffer);
    const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
    assert.equal(dataset.Rows, size.height);
    assert.equal(dataset.Columns, size.width);
    assert.equal(dataset.ImageLaterality, 'L');
    const region = (
      dataset.AnatomicRegionSequence as { CodeValue: string; CodingSchemeDesignator: string }[]
    )[0]!;
    assert.equal(region.CodeValue, '81745001');
    assert.equal(region.CodingSchemeDesignator, 'SCT');
    const data = new Uint8Array((dataset.PixelData as ArrayBuffer[])[0]!);
    assert.equal(data.length, pixels.rgb.length);
    assert.ok(Buffer.from(data).equals(Buffer.from(pixels.rgb)));
    assert.deepEqual(object.truth.lesions, pixels.truth.lesions);
  });

  it('puts the disc on the nasal side and the fovea about 2.5 disc diameters temporal to it', () => {
    for (const eye of ['R', 'L'] as const) {
      const { truth } = generateFundusPixels({ seed: 'layout', eye, ...size });
      const { fovea, disc, discDiameterPx } = truth.anatomy;
      assert.equal(truth.anatomy.discSide, eye === 'R' ? 'right' : 'left');
      assert.ok(eye === 'R' ? disc.x > fovea.x : disc.x < fovea.x);
      const distanceDd = Math.hypot(disc.x - fovea.x, disc.y - fovea.y) / discDiameterPx;
      assert.ok(distanceDd > 2 && distanceDd < 3, `fovea–disc ${distanceDd} DD`);
      // The disc is brighter than the macula.
      const image = generateFundusPixels({ seed: 'layout', eye, ...size });
      assert.ok(meanGreen(image, disc.x, disc.y, 6) > meanGreen(image, fovea.x, fovea.y, 6) + 20);
    }
  });

  it('draws no lesions at level 0 and only microaneurysms at level 1', () => {
    const none = generateFundusPixels({ seed: 'l0', eye: 'R', icdr: 0, ...size });
    assert.equal(none.truth.lesions.length, 0);
    assert.equal(
      none.lesionMask.reduce((a, b) => a + b, 0),
      0,
    );
    const mild = generateFundusPixels({ seed: 'l1', eye: 'R', icdr: 1, ...size });
    assert.ok(mild.truth.lesions.length >= 1);
    assert.ok(mild.truth.lesions.every((l) => l.type === 'microaneurysm'));
    assert.equal(mild.truth.referable, false);
  });

  it('changes pixels exactly where the truth puts lesions', () => {
    const options = { seed: 'agree', eye: 'R' as const, ...size };
    const clean = generateFundusPixels({ ...options, icdr: 0 });
    const sick = generateFundusPixels({ ...options, icdr: 2, dme: true });
    assert.ok(sick.truth.lesions.length > 5);
    const inside = new Uint8Array(size.width * size.height);
    for (const lesion of sick.truth.lesions) {
      const r = lesion.radiusPx * 2 + 4;
      for (let y = Math.floor(lesion.y - r); y <= lesion.y + r; y++) {
        for (let x = Math.floor(lesion.x - r); x <= lesion.x + r; x++) {
          if (x >= 0 && y >= 0 && x < size.width && y < size.height) {
            inside[y * size.width + x] = 1;
          }
        }
      }
      const before = meanGreen(clean, lesion.x, lesion.y, Math.floor(lesion.radiusPx / 2));
      const after = meanGreen(sick, lesion.x, lesion.y, Math.floor(lesion.radiusPx / 2));
      if (lesion.type === 'hard-exudate' || lesion.type === 'cotton-wool-spot') {
        assert.ok(after > before + 8, `${lesion.type} ${lesion.id} brighter: ${before} → ${after}`);
      } else {
        assert.ok(after < before - 4, `${lesion.type} ${lesion.id} darker: ${before} → ${after}`);
      }
      const centre = Math.round(lesion.y) * size.width + Math.round(lesion.x);
      assert.equal(sick.lesionMask[centre], lesionLabels[lesion.type], `mask at ${lesion.type} ${lesion.id}`);
    }
    // Everywhere else the two images are identical (same anatomy, illumination and noise).
    let differing = 0;
    for (let i = 0; i < inside.length; i++) {
      if (inside[i] === 0) {
        for (let c = 0; c < 3; c++) {
          if (clean.rgb[3 * i + c] !== sick.rgb[3 * i + c]) {
            differing++;
          }
        }
      }
    }
    assert.equal(differing, 0);
  });

  it('satisfies the 4-2-1 rule at level 3', () => {
    const { truth } = generateFundusPixels({
      seed: 'severe',
      eye: 'L',
      icdr: 3,
      severeCriteria: ['haemorrhages-4-quadrants', 'venous-beading-2-quadrants', 'irma-1-quadrant'],
      ...size,
    });
    assert.equal(truth.icdr, 3);
    for (const quadrant of ['superotemporal', 'superonasal', 'inferotemporal', 'inferonasal'] as const) {
      assert.ok(
        truth.haemorrhagesByQuadrant[quadrant] > 20,
        `${quadrant}: ${truth.haemorrhagesByQuadrant[quadrant]}`,
      );
    }
    // Quadrants follow from the positions: superior is above the fovea, nasal towards the disc.
    const { fovea } = truth.anatomy;
    for (const lesion of truth.lesions) {
      const superior = lesion.y < fovea.y;
      const nasal = truth.anatomy.discSide === 'left' ? lesion.x < fovea.x : lesion.x > fovea.x;
      assert.equal(lesion.quadrant, `${superior ? 'supero' : 'infero'}${nasal ? 'nasal' : 'temporal'}`);
    }
    assert.equal(truth.fourTwoOne.haemorrhageQuadrantsOver20, 4);
    assert.ok(truth.fourTwoOne.venousBeadingQuadrants.length >= 2);
    assert.ok(truth.fourTwoOne.irmaQuadrants.length >= 1);
    assert.deepEqual([...truth.fourTwoOne.criteriaMet].sort(), [
      'haemorrhages-4-quadrants',
      'irma-1-quadrant',
      'venous-beading-2-quadrants',
    ]);
    assert.equal(truth.counts.nvd + truth.counts.nve, 0);
  });

  it('places DME exudates within one disc diameter of the fovea', () => {
    for (const centreInvolved of [true, false]) {
      const { truth } = generateFundusPixels({
        seed: 'dme',
        eye: 'R',
        icdr: 2,
        dme: true,
        dmeCentreInvolved: centreInvolved,
        ...size,
      });
      const dd = truth.anatomy.discDiameterPx;
      const near = truth.lesions.filter(
        (l) =>
          l.type === 'hard-exudate' &&
          Math.hypot(l.x - truth.anatomy.fovea.x, l.y - truth.anatomy.fovea.y) <= dd,
      );
      assert.ok(near.length >= 3, `exudates within 1 DD: ${near.length}`);
      assert.equal(truth.dme.exudatesWithinOneDiscDiameter >= near.length - 1, true);
      assert.equal(truth.dme.centreInvolved, centreInvolved);
      assert.equal(truth.referable, true);
      const nearestMm = truth.dme.nearestExudateMm!;
      assert.ok(centreInvolved ? nearestMm <= 0.5 : nearestMm > 0.5, `nearest exudate ${nearestMm} mm`);
    }
    assert.throws(
      () => generateFundusPixels({ seed: 'x', eye: 'R', icdr: 1, dme: true, ...size }),
      RangeError,
    );
  });

  it('draws proliferative signs at level 4 and marks artefacts as ungradable', () => {
    const pdr = generateFundusPixels({
      seed: 'pdr',
      eye: 'R',
      icdr: 4,
      proliferative: { nvd: true, nve: true, preretinalHaemorrhage: true, vitreousHaemorrhage: true },
      ...size,
    });
    const t: FundusTruth = pdr.truth;
    assert.ok(t.proliferative.nvd && t.proliferative.nve && t.proliferative.preretinalHaemorrhage);
    assert.notEqual(t.proliferative.vitreousHaemorrhage, null);
    assert.ok(pdr.lesionMask.some((v) => v === lesionLabels.nvd));
    const blurred = generateFundusPixels({ seed: 'q', eye: 'R', artefacts: ['defocus'], ...size });
    const sharp = generateFundusPixels({ seed: 'q', eye: 'R', ...size });
    assert.equal(blurred.truth.gradable, false);
    assert.equal(sharp.truth.gradable, true);
    // Defocus removes fine detail: neighbouring-pixel differences shrink.
    const roughness = (image: FundusPixels): number => {
      let sum = 0;
      for (let i = 3 * (300 * size.width + 200); i < 3 * (300 * size.width + 600); i += 3) {
        sum += Math.abs(image.rgb[i + 1]! - image.rgb[i + 4]!);
      }
      return sum;
    };
    assert.ok(roughness(blurred) < roughness(sharp));
    const lashes = generateFundusPixels({ seed: 'q', eye: 'R', artefacts: ['eyelash-shadow'], ...size });
    assert.equal(lashes.truth.gradable, true);
  });
});
