/**
 * `npm run check:deps`: enforces the import rule of docs/design.md §3 (which folder of `src/` may import which)
 * and keeps import cycles at zero. Reads every TypeScript file under src/, bench/, test/ and scripts/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/**
 * Which areas each area of src/ may import (besides itself). An area is the first folder under src/, or the
 * second for dicom/ and analyzers/ (dicom/codec, analyzers/sdk …).
 */
const allowed: Record<string, readonly string[]> = {
  core: [],
  config: ['core'],
  'dicom/codec': ['core'],
  'dicom/dimse': ['core'],
  'dicom/dicomweb': ['core'],
  'dicom/sr': ['core', 'dicom/codec'],
  'dicom/seg': ['core', 'dicom/codec'],
  'dicom/pr': ['core', 'dicom/codec'],
  'dicom/sc': ['core', 'dicom/codec'],
  'dicom/deid': ['core', 'dicom/codec'],
  'dicom/vendor': ['core', 'dicom/codec'],
  hl7: ['core'],
  auth: ['core'],
  fhir: ['core'],
  imaging: ['core', 'dicom/codec'],
  synth: ['core', 'dicom/codec'],
  'analyzers/sdk': ['core', 'imaging', 'dicom/codec'],
  analyzers: ['analyzers/sdk', 'imaging'],
  'analyzers/host': ['core', 'analyzers/sdk', 'analyzers', 'imaging', 'dicom/codec'],
  store: ['core', 'audit'],
  pipeline: [
    'core',
    'config',
    'dicom/codec',
    'dicom/dimse',
    'dicom/dicomweb',
    'dicom/sr',
    'dicom/seg',
    'dicom/pr',
    'dicom/sc',
    'dicom/vendor',
    'hl7',
    'fhir',
    'imaging',
    'analyzers/sdk',
  ],
  worklist: ['core', 'config'],
  audit: ['core'],
  // imaging: the viewer's rendered frames are decoded by the same decoder the analyzers use.
  api: ['core', 'config', 'dicom/codec', 'dicom/dicomweb', 'worklist', 'audit', 'auth', 'imaging'],
  main: ['*'],
  cli: ['*'],
};

function areaOf(file: string): string | undefined {
  const parts = relative(join(root, 'src'), file).split('/');
  if (parts[0] === '..' || parts.length < 2) {
    return undefined;
  }
  if ((parts[0] === 'dicom' || parts[0] === 'analyzers') && parts.length > 2) {
    const sub = `${parts[0]}/${parts[1]}`;
    if (sub in allowed) {
      return sub;
    }
  }
  return parts[0];
}

function walk(directory: string, out: string[]): string[] {
  for (const name of readdirSync(directory)) {
    if (name === 'node_modules' || name.startsWith('.')) {
      continue;
    }
    const path = join(directory, name);
    if (statSync(path).isDirectory()) {
      walk(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"](\.[^'"]+\.ts)['"]/gu;

const files = ['src', 'bench', 'test', 'scripts'].flatMap((folder) => {
  try {
    return walk(join(root, folder), []);
  } catch {
    return [];
  }
});
const graph = new Map<string, string[]>();
const problems: string[] = [];

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets: string[] = [];
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier === undefined || !specifier.startsWith('.')) {
      continue;
    }
    const target = resolve(dirname(file), specifier);
    targets.push(target);
    const from = areaOf(file);
    const isTest = file.endsWith('.test.ts');
    const relativeTarget = relative(root, target);
    if (
      from !== undefined &&
      !isTest &&
      !relativeTarget.startsWith('src/') &&
      relativeTarget !== 'package.json'
    ) {
      problems.push(
        `${relative(root, file)} imports ${relativeTarget}: product code must not import test, bench or scripts`,
      );
      continue;
    }
    const to = areaOf(target);
    if (from === undefined || to === undefined || from === to || isTest) {
      continue;
    }
    const rule = allowed[from];
    if (rule === undefined) {
      problems.push(
        `${relative(root, file)}: area "${from}" has no import rule (add it to scripts/check-deps.ts and design.md)`,
      );
      continue;
    }
    if (!rule.includes('*') && !rule.includes(to)) {
      problems.push(`${relative(root, file)} (${from}) may not import ${relativeTarget} (${to})`);
    }
  }
  graph.set(file, targets);
}

// Cycles among product files (type-only imports included: a cycle of types is still a tangle).
const productFiles = new Set(
  files.filter((file) => areaOf(file) !== undefined && !file.endsWith('.test.ts')),
);
const state = new Map<string, 'visiting' | 'done'>();
const stack: string[] = [];
const cycles: string[][] = [];
function visit(file: string): void {
  state.set(file, 'visiting');
  stack.push(file);
  for (const target of graph.get(file) ?? []) {
    if (!productFiles.has(target)) {
      continue;
    }
    const seen = state.get(target);
    if (seen === 'visiting') {
      cycles.push([...stack.slice(stack.indexOf(target)), target].map((path) => relative(root, path)));
    } else if (seen === undefined) {
      visit(target);
    }
  }
  stack.pop();
  state.set(file, 'done');
}
for (const file of productFiles) {
  if (!state.has(file)) {
    visit(file);
  }
}
for (const cycle of cycles) {
  problems.push(`import cycle: ${cycle.join(' -> ')}`);
}

if (problems.length > 0) {
  for (const problem of problems) {
    console.error(problem);
  }
  console.error(`check:deps: ${problems.length} problem(s)`);
  process.exitCode = 1;
} else {
  console.log(`check:deps: ${files.length} files, import rule respected, no cycles`);
}
