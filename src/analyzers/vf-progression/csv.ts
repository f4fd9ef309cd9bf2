/**
 * Reader of the visual-field CSV series format of the R package visualFields (as exported by PyVisualFields):
 * `id, eye (OD/OS), date, time, age, type, fpr, fnr, fl, duration, l1 … l54`. Pure: a string in, typed series out.
 * @see https://cran.r-project.org/package=visualFields (vfctrSunyiu24d2, vfpwgRetest24d2)
 */
import { locationCount } from './locations.ts';
import { sortTests, type VfSeries, type VfTest } from './series.ts';

/** The outcome of reading a CSV: the series (per patient and eye) and every line that could not be used. */
export interface VfCsvReadResult {
  readonly series: readonly VfSeries[];
  /** `line N: problem` for each skipped line (lenient read). */
  readonly problems: readonly string[];
}

const required = ['id', 'eye', 'date', 'age'] as const;

function splitLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i]!;
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        cell += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      cells.push(cell);
      cell = '';
    } else {
      cell += char;
    }
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

function optionalNumber(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'NA') {
    return undefined;
  }
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** `HH:MM:SS` → seconds. */
function durationOf(value: string | undefined): number | undefined {
  const match = /^(\d+):(\d{2}):(\d{2})$/.exec(value ?? '');
  if (match === null) {
    return optionalNumber(value);
  }
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]);
}

function eyeOf(value: string): 'R' | 'L' | undefined {
  const upper = value.toUpperCase();
  if (upper === 'OD' || upper === 'R' || upper === 'RIGHT') {
    return 'R';
  }
  if (upper === 'OS' || upper === 'L' || upper === 'LEFT') {
    return 'L';
  }
  return undefined;
}

/**
 * Reads a visualFields-format CSV into one series per patient and eye (in order of first appearance; tests
 * sorted by date and time). Lines with a missing id, an unknown eye, a bad date or age, or a sensitivity that
 * is not a number are skipped and reported.
 */
export function readVfCsv(text: string): VfCsvReadResult {
  const lines = text.split(/\r?\n/);
  const header = splitLine(lines[0] ?? '').map((name) => name.toLowerCase());
  const column = new Map(header.map((name, index) => [name, index]));
  const problems: string[] = [];
  const missing = [...required, ...Array.from({ length: locationCount }, (_, k) => `l${k + 1}`)].filter(
    (name) => !column.has(name),
  );
  if (missing.length > 0) {
    return { series: [], problems: [`header: missing column(s) ${missing.join(', ')}`] };
  }
  const byKey = new Map<string, { id: string; eye: 'R' | 'L'; tests: VfTest[] }>();
  for (let lineIndex = 1; lineIndex < lines.length; lineIndex++) {
    const line = lines[lineIndex]!;
    if (line.trim() === '') {
      continue;
    }
    const cells = splitLine(line);
    const cell = (name: string): string | undefined => cells[column.get(name) ?? -1];
    const id = cell('id') ?? '';
    const eye = eyeOf(cell('eye') ?? '');
    const date = cell('date') ?? '';
    const age = optionalNumber(cell('age'));
    const sensitivities = Array.from({ length: locationCount }, (_, k) => optionalNumber(cell(`l${k + 1}`)));
    const problem =
      id === ''
        ? 'no id'
        : eye === undefined
          ? `unknown eye '${cell('eye') ?? ''}'`
          : !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))
            ? `bad date '${date}'`
            : age === undefined
              ? 'no age'
              : sensitivities.some((s) => s === undefined)
                ? 'a sensitivity is missing or not a number'
                : undefined;
    if (problem !== undefined || eye === undefined || age === undefined) {
      problems.push(`line ${lineIndex + 1}: ${problem ?? 'unreadable'}`);
      continue;
    }
    const time = cell('time');
    const type = cell('type');
    const test: VfTest = {
      date,
      ...(time === undefined || time === '' ? {} : { time }),
      age,
      sensitivities: sensitivities as number[],
      ...withNumber('falsePositiveRate', optionalNumber(cell('fpr'))),
      ...withNumber('falseNegativeRate', optionalNumber(cell('fnr'))),
      ...withNumber('fixationLossRate', optionalNumber(cell('fl'))),
      ...withNumber('durationSeconds', durationOf(cell('duration'))),
      ...(type === undefined || type === '' ? {} : { type }),
    };
    const key = `${id}\u0000${eye}`;
    let series = byKey.get(key);
    if (series === undefined) {
      series = { id, eye, tests: [] };
      byKey.set(key, series);
    }
    series.tests.push(test);
  }
  return {
    series: [...byKey.values()].map((s) => ({ id: s.id, eye: s.eye, tests: sortTests(s.tests) })),
    problems,
  };
}

function withNumber<K extends string>(key: K, value: number | undefined): Partial<Record<K, number>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, number>);
}
