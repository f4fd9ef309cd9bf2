/**
 * The glaucoma trend plot: parsing the analyzer's raw output defensively, fitted lines drawn where
 * intercept + slope × span puts them, escaping, the AI-generated label, and the note for a missing RNFL series.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeXml, plotLayout, progressionPlotInput, renderProgressionPlotSvg } from './progression-plot.ts';

const trend = (slope: number, intercept: number) => ({
  slope,
  intercept,
  ci95: [slope - 0.5, slope + 0.5],
  pLeft: 0.01,
});
const raw = {
  eyes: [
    {
      eye: 'R',
      verdict: 'likely-progression',
      tests: [
        { date: '2020-01-01', md: -3 },
        { date: '2021-01-01', md: -4.1 },
        { date: '2022-01-01', md: -5 },
      ],
      mdTrend: trend(-1, -3),
      rnfl: {
        scans: [
          { date: '2020-01-01', globalUm: 80 },
          { date: '2022-01-01', globalUm: 76 },
        ],
        trend: trend(-2, 80),
      },
    },
    { eye: 'L', verdict: 'stable', tests: [{ date: '2020-01-01', md: 0 }], mdTrend: null, rnfl: null },
  ],
};

describe('progression plot', () => {
  it('parses only well-formed series', () => {
    assert.equal(progressionPlotInput(null, 'R', 'a@1'), undefined);
    assert.equal(progressionPlotInput({ eyes: 'x' }, 'R', 'a@1'), undefined);
    assert.equal(
      progressionPlotInput({ eyes: [{ eye: 'R', tests: [{ date: 'bad', md: 1 }] }] }, 'R', 'a@1'),
      undefined,
    );
    const input = progressionPlotInput(raw, 'R', 'vf-progression@0.2.0');
    assert.equal(input?.md?.points.length, 3);
    assert.equal(input?.rnfl?.trend?.slope, -2);
    assert.equal(progressionPlotInput(raw, 'L', 'a@1')?.rnfl, undefined);
  });

  it('draws each fitted line from intercept to intercept + slope × span', () => {
    const svg = renderProgressionPlotSvg(progressionPlotInput(raw, 'R', 'vf-progression@0.2.0')!);
    const lines = [
      ...svg.matchAll(/<line class="fit" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"/g),
    ];
    assert.equal(lines.length, 2);
    const points = [...svg.matchAll(/<circle class="point" cx="([\d.]+)" cy="([\d.]+)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    assert.equal(points.length, 5);
    // The MD points lie exactly on the line where the value equals the fit (2020: −3 = intercept; 2022: −5).
    const [md] = lines;
    const span = (Date.parse('2022-01-01') - Date.parse('2020-01-01')) / 86_400_000 / 365.25;
    assert.ok(Math.abs(Number(md![2]) - points[0]![1]!) < 0.011, 'intercept at the first test');
    // The slope of the drawn line, in value units, equals the fit's: Δy_px / (px per dB) = slope × span.
    const pxPerDb = (points[1]![1]! - points[0]![1]!) / 1.1;
    const drawn = (Number(md![4]) - Number(md![2])) / pxPerDb;
    assert.ok(Math.abs(drawn - 1 * span) < 0.01, `${drawn}`);
    assert.ok(Number(md![3]) <= plotLayout.width - plotLayout.right + 1e-9);
    assert.match(svg, /AI-generated — verify · vf-progression@0\.2\.0/);
    assert.match(svg, /MD -1\.00 dB\/yr \(95% CI -1\.50 to -0\.50\), p = 0\.010/);
  });

  it('escapes text and notes a missing RNFL series', () => {
    assert.equal(escapeXml(`<a & "b">'`), '&lt;a &amp; &quot;b&quot;&gt;&apos;');
    const svg = renderProgressionPlotSvg({
      eye: 'L',
      verdict: '<script>',
      analyzer: 'x@1',
      md: { points: [{ date: '2020-01-01', value: 0 }] },
    });
    assert.ok(!svg.includes('<script>'));
    assert.match(svg, /&lt;script&gt;/);
    assert.match(svg, /no RNFL circle scans/);
  });
});
