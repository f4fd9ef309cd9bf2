/**
 * The lesion-likelihood heatmap: peaks at the lesions, zero far from them, the likelihood algebra, the colour
 * ramp and the blend, the lesions taken from an analysis, determinism and speed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnalysisRecord, Finding } from '../core/finding.ts';
import {
  blendLesionHeatmap,
  computeLesionHeatmap,
  heatmapColour,
  heatmapLesionsOf,
  heatmapMaxOpacity,
  heatmapVisibleFrom,
  renderLesionHeatmapRgba,
  sampleLesionHeatmap,
  type LesionHeatmap,
} from './lesion-heatmap.ts';

function argmax(map: LesionHeatmap): { column: number; row: number; value: number } {
  let best = 0;
  for (let k = 1; k < map.data.length; k++) {
    if (map.data[k]! > map.data[best]!) {
      best = k;
    }
  }
  const i = best % map.width;
  const j = Math.floor(best / map.width);
  return { column: (i + 0.5) * map.cell - 0.5, row: (j + 0.5) * map.cell - 0.5, value: map.data[best]! };
}

describe('computeLesionHeatmap', () => {
  it('peaks at a lone lesion with its confidence and is exactly zero beyond three sigma', () => {
    const map = computeLesionHeatmap([{ x: 700, y: 300, radius: 30, confidence: 0.8 }], 1000, 800);
    assert.equal(map.width, 256);
    assert.equal(map.height, 205);
    const peak = argmax(map);
    assert.ok(Math.abs(peak.column - 700) <= map.cell && Math.abs(peak.row - 300) <= map.cell, 'peak on it');
    assert.ok(peak.value > 0.78 && peak.value <= 0.8, `peak ${peak.value}`);
    assert.ok(Math.abs(sampleLesionHeatmap(map, 700, 300) - 0.8) < 0.02);
    // One sigma away: 0.8·e^(−1/2).
    assert.ok(Math.abs(sampleLesionHeatmap(map, 730, 300) - 0.8 * Math.exp(-0.5)) < 0.03);
    assert.equal(sampleLesionHeatmap(map, 100, 600), 0);
    assert.equal(sampleLesionHeatmap(map, 700 + 3 * 30 + 2 * map.cell, 300), 0);
    const nonZero = map.data.filter((value) => value > 0).length;
    // The support is the 3σ disc: π·(90/cell)² cells.
    assert.ok(Math.abs(nonZero - Math.PI * (90 / map.cell) ** 2) < 0.2 * nonZero, `${nonZero} cells`);
  });

  it('combines overlapping lesions as independent detections and uses the smallest sigma for tiny lesions', () => {
    const one = computeLesionHeatmap([{ x: 500, y: 500, radius: 1, confidence: 0.5 }], 1000, 1000);
    const two = computeLesionHeatmap(
      [
        { x: 500, y: 500, radius: 1, confidence: 0.5 },
        { x: 500, y: 500, radius: 1, confidence: 0.5 },
      ],
      1000,
      1000,
    );
    const atOne = sampleLesionHeatmap(one, 500, 500);
    const atTwo = sampleLesionHeatmap(two, 500, 500);
    assert.ok(atOne > 0.45 && atTwo > atOne, `${atOne} ${atTwo}`);
    for (let k = 0; k < one.data.length; k++) {
      assert.ok(Math.abs(two.data[k]! - (1 - (1 - one.data[k]!) ** 2)) < 1e-6, `cell ${k}`);
    }
    // sigma = 2 % of 1000 = 20 px, not 1 px: still warm 12 px away.
    assert.ok(sampleLesionHeatmap(one, 512, 500) > 0.25);
    const peaks = computeLesionHeatmap(
      [
        { x: 200, y: 200, radius: 20, confidence: 0.9 },
        { x: 800, y: 700, radius: 20, confidence: 0.6 },
      ],
      1000,
      1000,
    );
    assert.ok(sampleLesionHeatmap(peaks, 200, 200) > 0.85);
    assert.ok(Math.abs(sampleLesionHeatmap(peaks, 800, 700) - 0.6) < 0.02);
    assert.equal(sampleLesionHeatmap(peaks, 500, 450), 0);
  });

  it('gives an empty map without lesions and ignores lesions without confidence', () => {
    const map = computeLesionHeatmap(
      [
        { x: 10, y: 10, radius: 5, confidence: 0 },
        { x: Number.NaN, y: 3, radius: 5, confidence: 1 },
      ],
      64,
      48,
    );
    assert.ok(map.data.every((value) => value === 0));
    assert.ok(renderLesionHeatmapRgba(map, 32, 24).every((value) => value === 0));
  });

  it('is deterministic', () => {
    const lesions = Array.from({ length: 50 }, (_, k) => ({
      x: (k * 97) % 1500,
      y: (k * 61) % 1200,
      radius: 3 + (k % 7),
      confidence: 0.3 + (k % 5) / 10,
    }));
    const a = computeLesionHeatmap(lesions, 1500, 1200);
    const b = computeLesionHeatmap(lesions, 1500, 1200);
    assert.deepEqual(a.data, b.data);
    const rgb = new Uint8Array(1500 * 1200 * 3).fill(90);
    assert.deepEqual(blendLesionHeatmap(a, rgb), blendLesionHeatmap(b, rgb));
  });

  it('blends a 2000 x 2000 photograph with 300 lesions well under a second', () => {
    const lesions = Array.from({ length: 300 }, (_, k) => ({
      x: (k * 131) % 2000,
      y: (k * 173) % 2000,
      radius: 2 + (k % 30),
      confidence: 0.5,
    }));
    const rgb = new Uint8Array(2000 * 2000 * 3);
    const started = performance.now();
    const map = computeLesionHeatmap(lesions, 2000, 2000);
    blendLesionHeatmap(map, rgb);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `${elapsed.toFixed(0)} ms`);
  });
});

describe('heatmap colours and blend', () => {
  it('is transparent below the visible level and opaque at most to the maximum opacity', () => {
    assert.equal(heatmapColour(0)[3], 0);
    assert.equal(heatmapColour(heatmapVisibleFrom - 0.01)[3], 0);
    assert.ok(heatmapColour(0.2)[3] > 0);
    assert.equal(heatmapColour(1)[3], Math.round(255 * heatmapMaxOpacity));
    assert.deepEqual(heatmapColour(1).slice(0, 3), [255, 255, 255]);
    // Low likelihood is blue, middle yellowish.
    const low = heatmapColour(0.1);
    assert.ok(low[2] > low[0]);
    const middle = heatmapColour(0.7);
    assert.ok(middle[0] > 200 && middle[1] > 200 && middle[2] < 60);
  });

  it('leaves the photograph unchanged away from lesions and colours it on them', () => {
    const columns = 200;
    const rows = 100;
    const rgb = new Uint8Array(columns * rows * 3);
    for (let k = 0; k < columns * rows; k++) {
      rgb.set([180, 70, 30], k * 3);
    }
    const map = computeLesionHeatmap([{ x: 50, y: 50, radius: 8, confidence: 0.95 }], columns, rows);
    const out = blendLesionHeatmap(map, rgb);
    const at = (x: number, y: number): number[] => [
      ...out.subarray((y * columns + x) * 3, (y * columns + x) * 3 + 3),
    ];
    assert.deepEqual(at(180, 50), [180, 70, 30]);
    const centre = at(50, 50);
    assert.ok(centre[2]! > 150, `blue channel raised at the lesion: ${centre.join(',')}`);
    assert.deepEqual(rgb.subarray(0, 3), new Uint8Array([180, 70, 30]), 'input untouched');
    assert.throws(() => blendLesionHeatmap(map, new Uint8Array(3)), RangeError);
    const rgba = renderLesionHeatmapRgba(map, 100, 50);
    assert.ok(rgba[(25 * 100 + 25) * 4 + 3]! > 100, 'opaque at the lesion (half size)');
    assert.equal(rgba[(25 * 100 + 90) * 4 + 3], 0);
  });
});

describe('heatmapLesionsOf', () => {
  const provenance = {
    analyzerId: 'dr-screening',
    analyzerVersion: '0.3.0',
    modelHash: '',
    inputSopInstanceUids: ['1.2.3'],
    startedAt: new Date(0),
    finishedAt: new Date(0),
  };
  function region(key: string, points: number[], status: Finding['status'], confidence?: number): Finding {
    return {
      id: key,
      studyInstanceUid: '1.2',
      analysisId: 'an-1',
      eye: 'R',
      useCase: 'dr-screening',
      key,
      value: {
        kind: 'region',
        concept: { value: 'X', scheme: '99FOVEA', meaning: 'x' },
        sopInstanceUid: '1.2.3',
        frame: 1,
        graphicType: 'MULTIPOINT',
        points,
        ...(confidence === undefined ? {} : { confidence }),
      },
      sourceSopInstanceUids: ['1.2.3'],
      provenance,
      status,
      createdAt: new Date(0),
    } as Finding;
  }
  const analysis = {
    id: 'an-1',
    studyInstanceUid: '1.2',
    analyzerId: 'dr-screening',
    analyzerVersion: '0.3.0',
    useCase: 'dr-screening',
    phase: 'assistive',
    status: 'succeeded',
    provenance,
    raw: {
      images: [
        {
          sopInstanceUid: '1.2.3',
          analysis: {
            lesions: [
              { type: 'haemorrhage', x: 100.04, y: 200.02, radius: 14, confidence: 0.7 },
              { type: 'microaneurysm', x: 300, y: 310, radius: 3, confidence: 0.4 },
            ],
          },
        },
        {
          sopInstanceUid: '9.9',
          analysis: { lesions: [{ type: 'haemorrhage', x: 5, y: 5, radius: 9, confidence: 1 }] },
        },
      ],
    },
    findings: [
      region('lesions-haemorrhage', [100, 200, 400, 50], 'preliminary', 0.66),
      region('lesions-microaneurysm', [300, 310], 'rejected'),
    ],
  } as unknown as AnalysisRecord;

  it('takes radius and confidence from the raw lesion at each finding position, and leaves rejected findings out', () => {
    assert.deepEqual(heatmapLesionsOf(analysis, '1.2.3'), [
      { x: 100, y: 200, radius: 14, confidence: 0.7 },
      { x: 400, y: 50, radius: 0, confidence: 0.66 },
    ]);
    assert.deepEqual(heatmapLesionsOf(analysis, '9.9'), []);
  });
});
