/**
 * The glaucoma trend plot of the review station: MD (dB) and global RNFL thickness (µm) of one eye over time,
 * with the fitted least-squares lines, drawn as a self-contained SVG from the raw output of the
 * `vf-progression` analyzer. Labelled AI-generated with the analyzer id@version.
 * @see https://www.w3.org/TR/SVG11/ (SVG 1.1)
 */

/** A fitted line: value = intercept + slope × years since the first point. */
export interface PlotTrend {
  readonly slope: number;
  readonly intercept: number;
  readonly ci95: readonly [number, number];
  readonly pLeft: number;
}

/** One panel's series. */
export interface PlotSeries {
  readonly points: readonly { readonly date: string; readonly value: number }[];
  readonly trend?: PlotTrend;
}

/** What {@link renderProgressionPlotSvg} draws. */
export interface ProgressionPlotInput {
  readonly eye: 'R' | 'L';
  readonly verdict: string;
  /** `id@version` of the analyzer. */
  readonly analyzer: string;
  readonly md?: PlotSeries;
  readonly rnfl?: PlotSeries;
}

type Json = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isDate = (value: unknown): value is string =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);

function trendOf(value: unknown): PlotTrend | undefined {
  if (!isObject(value)) {
    return undefined;
  }
  const { slope, intercept, ci95, pLeft } = value;
  if (
    typeof slope !== 'number' ||
    typeof intercept !== 'number' ||
    typeof pLeft !== 'number' ||
    !Array.isArray(ci95) ||
    typeof ci95[0] !== 'number' ||
    typeof ci95[1] !== 'number'
  ) {
    return undefined;
  }
  return { slope, intercept, pLeft, ci95: [ci95[0], ci95[1]] };
}

function seriesOf(items: unknown, key: string, trend: unknown): PlotSeries | undefined {
  if (!Array.isArray(items)) {
    return undefined;
  }
  const points = items
    .filter(isObject)
    .filter((item) => isDate(item['date']) && typeof item[key] === 'number' && Number.isFinite(item[key]))
    .map((item) => ({ date: item['date'] as string, value: item[key] as number }));
  if (points.length === 0) {
    return undefined;
  }
  const fit = trendOf(trend);
  return { points, ...(fit === undefined ? {} : { trend: fit }) };
}

/**
 * The plot input for `eye` from a vf-progression analysis' raw output (untyped JSON), or `undefined` when the
 * eye has neither a field nor an RNFL series there.
 */
export function progressionPlotInput(
  raw: unknown,
  eye: 'R' | 'L',
  analyzer: string,
): ProgressionPlotInput | undefined {
  if (!isObject(raw) || !Array.isArray(raw['eyes'])) {
    return undefined;
  }
  const entry = raw['eyes'].filter(isObject).find((item) => item['eye'] === eye);
  if (entry === undefined) {
    return undefined;
  }
  const md = seriesOf(entry['tests'], 'md', entry['mdTrend']);
  const rnflRaw = entry['rnfl'];
  const rnfl = isObject(rnflRaw) ? seriesOf(rnflRaw['scans'], 'globalUm', rnflRaw['trend']) : undefined;
  if (md === undefined && rnfl === undefined) {
    return undefined;
  }
  return {
    eye,
    verdict: typeof entry['verdict'] === 'string' ? entry['verdict'] : 'unknown',
    analyzer,
    ...(md === undefined ? {} : { md }),
    ...(rnfl === undefined ? {} : { rnfl }),
  };
}

/** XML-escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const dayMs = 86_400_000;
const time = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const fixed = (value: number): string => (Math.round(value * 100) / 100).toString();

/** Geometry of the plot: width, panel height, margins. */
export const plotLayout = { width: 720, panelHeight: 200, top: 72, gap: 56, left: 64, right: 24 } as const;

function niceTicks(low: number, high: number, count: number): number[] {
  const span = Math.max(high - low, 1e-9);
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let t = Math.ceil(low / step) * step; t <= high + 1e-9; t += step) {
    ticks.push(Math.round(t / step) * step);
  }
  return ticks;
}

function trendTitle(name: string, unit: string, trend: PlotTrend | undefined): string {
  if (trend === undefined) {
    return `${name}: too few tests for a trend`;
  }
  const p = trend.pLeft < 0.001 ? 'p < 0.001' : `p = ${trend.pLeft.toFixed(3)}`;
  return (
    `${name} ${trend.slope.toFixed(2)} ${unit}/yr ` +
    `(95% CI ${trend.ci95[0].toFixed(2)} to ${trend.ci95[1].toFixed(2)}), ${p}`
  );
}

function panel(
  series: PlotSeries | undefined,
  name: string,
  unit: string,
  top: number,
  dates: { from: number; to: number },
): string {
  const { width, panelHeight, left, right } = plotLayout;
  const plotWidth = width - left - right;
  const parts: string[] = [
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${panelHeight}" fill="none" stroke="#999"/>`,
  ];
  if (series === undefined) {
    parts.push(
      `<text x="${left + plotWidth / 2}" y="${top + panelHeight / 2}" text-anchor="middle" fill="#666">` +
        `${escapeXml(name === 'RNFL' ? 'no RNFL circle scans' : 'no visual fields')}</text>`,
    );
    return parts.join('');
  }
  const first = time(series.points[0]!.date);
  const years = (date: string): number => (time(date) - first) / dayMs / 365.25;
  const lastYears = years(series.points[series.points.length - 1]!.date);
  const fitted =
    series.trend === undefined
      ? []
      : [series.trend.intercept, series.trend.intercept + series.trend.slope * lastYears];
  const values = [...series.points.map((point) => point.value), ...fitted];
  const pad = Math.max(1, (Math.max(...values) - Math.min(...values)) * 0.1);
  const low = Math.min(...values) - pad;
  const high = Math.max(...values) + pad;
  const x = (t: number): number =>
    left + ((t - dates.from) / Math.max(dates.to - dates.from, dayMs)) * plotWidth;
  const y = (v: number): number => top + panelHeight - ((v - low) / (high - low)) * panelHeight;
  parts.push(
    `<text x="${left}" y="${top - 10}" font-weight="bold">${escapeXml(trendTitle(name, unit, series.trend))}</text>`,
    `<text x="16" y="${top + panelHeight / 2}" transform="rotate(-90 16 ${top + panelHeight / 2})" text-anchor="middle">${escapeXml(`${name} (${unit})`)}</text>`,
  );
  for (const tick of niceTicks(low, high, 5)) {
    parts.push(
      `<line x1="${left - 4}" x2="${left}" y1="${fixed(y(tick))}" y2="${fixed(y(tick))}" stroke="#999"/>`,
      `<text x="${left - 6}" y="${fixed(y(tick) + 4)}" text-anchor="end" font-size="11">${escapeXml(String(tick))}</text>`,
    );
  }
  if (series.trend !== undefined) {
    const end = first + lastYears * 365.25 * dayMs;
    parts.push(
      `<line class="fit" x1="${fixed(x(first))}" y1="${fixed(y(fitted[0]!))}" x2="${fixed(x(end))}" y2="${fixed(y(fitted[1]!))}" stroke="#c0392b" stroke-width="2"/>`,
    );
  }
  for (const point of series.points) {
    parts.push(
      `<circle class="point" cx="${fixed(x(time(point.date)))}" cy="${fixed(y(point.value))}" r="4" fill="#1f4e79"><title>${escapeXml(`${point.date}: ${point.value.toFixed(2)} ${unit}`)}</title></circle>`,
    );
  }
  return parts.join('');
}

/**
 * Renders the trend plot (deterministic for its input): a panel per measure the series has (MD, RNFL; both, as
 * empty frames, when it has neither), a note naming a missing measure, the title and, on its own line, the
 * AI label with the analyzer id@version.
 */
export function renderProgressionPlotSvg(input: ProgressionPlotInput): string {
  const { width, panelHeight, top, gap, left } = plotLayout;
  const measures = [
    { series: input.md, name: 'MD', unit: 'dB', missing: 'no visual fields' },
    { series: input.rnfl, name: 'RNFL', unit: 'µm', missing: 'no RNFL circle scans' },
  ];
  const present = measures.filter((measure) => measure.series !== undefined);
  const shown = present.length === 0 ? measures : present;
  const notes = present.length === 0 ? [] : measures.filter((measure) => measure.series === undefined);
  const axisTop = top + shown.length * panelHeight + (shown.length - 1) * gap;
  const height = axisTop + 48 + notes.length * 18;
  const all = [...(input.md?.points ?? []), ...(input.rnfl?.points ?? [])].map((point) => time(point.date));
  const dates = { from: Math.min(...all), to: Math.max(...all) };
  const eyeName = input.eye === 'R' ? 'Right eye (OD)' : 'Left eye (OS)';
  const yearTicks: string[] = [];
  const firstYear = new Date(dates.from).getUTCFullYear();
  const lastYear = new Date(dates.to).getUTCFullYear();
  const plotWidth = width - left - plotLayout.right;
  for (let year = firstYear; year <= lastYear + 1; year++) {
    const t = Date.UTC(year, 0, 1);
    if (t < dates.from || t > dates.to) {
      continue;
    }
    const xt = left + ((t - dates.from) / Math.max(dates.to - dates.from, dayMs)) * plotWidth;
    yearTicks.push(
      `<text x="${fixed(xt)}" y="${axisTop + 16}" text-anchor="middle" font-size="11">${year}</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">${escapeXml(`Glaucoma progression — ${eyeName}: ${input.verdict}`)}</text>`,
    `<text x="${left}" y="42" fill="#b03a2e">${escapeXml(`AI-generated — verify · ${input.analyzer}`)}</text>`,
    ...shown.map((measure, index) =>
      panel(measure.series, measure.name, measure.unit, top + index * (panelHeight + gap), dates),
    ),
    ...yearTicks,
    `<text x="${left + plotWidth / 2}" y="${axisTop + 36}" text-anchor="middle" fill="#666">date of test (fitted lines: least squares over the series)</text>`,
    ...notes.map(
      (measure, index) =>
        `<text x="${left}" y="${axisTop + 56 + index * 18}" fill="#666">${escapeXml(`${measure.missing} in this series`)}</text>`,
    ),
    '</svg>',
  ].join('\n');
}
