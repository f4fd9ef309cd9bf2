/**
 * `fovea analyze PATH… --json [--out DIR]`: runs the registered analyzers on DICOM files and folders without a
 * server and prints the findings as JSON, one object per study (documented in `docs/analyze-json.md`); with
 * `--out` it also writes the DICOM objects the gateway would deliver (SR …) into DIR.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AnalyzerPool } from '../analyzers/host/index.ts';
import {
  analyzeVfSeries,
  manifest as vfManifest,
  readVfCsv,
  type VfProgression,
} from '../analyzers/vf-progression/index.ts';
import { loadConfig } from '../config/index.ts';
import { silentLogger } from '../core/logger.ts';
import { toFoveaError } from '../core/errors.ts';
import { analyzeOffline, offlineStudyJson, readInstanceFiles } from '../pipeline/offline-analysis.ts';
import { buildResultObjects } from '../pipeline/result-objects.ts';
import { findDicomFiles } from './dicom-files.ts';

const usage = `Usage: fovea analyze PATH... --json [--out DIR]

  PATH        DICOM files or folders (searched recursively), or visual-field series exported as CSV
              (the visualFields layout: id, eye, date, age, l1…l54): progression per patient and eye
  --json      print one JSON object per study (an array) on stdout
  --out DIR   also write the DICOM objects Fovea would deliver (SR …) into DIR
  --config F  a Fovea configuration file (FOVEA_CONFIG also works): its analyzers.onnx models run too
`;

/** The progression of one exported series, as `fovea analyze` prints it (docs/analyze-json.md). */
function visualFieldSeriesJson(source: string, id: string, result: VfProgression): Record<string, unknown> {
  return {
    kind: 'visual-field-series',
    source,
    id,
    eye: result.eye,
    analyzer: `${vfManifest.id}@${vfManifest.version}`,
    aiGenerated: true,
    verdict: result.verdict,
    reasons: result.reasons,
    fastProgressor: result.fastProgressor,
    spanYears: result.spanYears,
    trendEligible: result.trendEligible,
    mdTrend: result.mdTrend ?? null,
    poplr:
      result.poplr === undefined ? null : { s: result.poplr.s, p: result.poplr.p, exact: result.poplr.exact },
    events: result.gpa.last,
    tests: result.tests.map((test) => ({
      date: test.date,
      age: test.age,
      md: test.indices.md,
      psd: test.indices.psd,
    })),
  };
}

/** Runs the command; returns the exit code. */
export async function runAnalyzeCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        out: { type: 'string' },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    console.log(usage);
    return 0;
  }
  if (parsed.positionals.length === 0) {
    console.error(usage);
    return 2;
  }
  const csvPaths = parsed.positionals.filter((path) => path.toLowerCase().endsWith('.csv'));
  const csvJson: Record<string, unknown>[] = [];
  for (const path of csvPaths) {
    const { series, problems } = readVfCsv(await readFile(path, 'utf8'));
    for (const problem of problems) {
      console.error(`${path}: ${problem}`);
    }
    for (const entry of series) {
      csvJson.push(visualFieldSeriesJson(path, entry.id, analyzeVfSeries(entry)));
    }
  }
  const dicomPaths = parsed.positionals.filter((path) => !path.toLowerCase().endsWith('.csv'));
  if (dicomPaths.length === 0) {
    if (parsed.values.json === true) {
      console.log(JSON.stringify(csvJson, null, 2));
    } else {
      for (const entry of csvJson) {
        console.log(`${String(entry.id)} ${String(entry.eye)}: ${String(entry.verdict)}`);
      }
    }
    return csvJson.length > 0 ? 0 : 1;
  }
  const { files, skipped } = await findDicomFiles(dicomPaths);
  for (const entry of skipped) {
    console.error(`skipped ${entry.path}: ${entry.reason}`);
  }
  if (files.length === 0) {
    console.error('no DICOM files found');
    return 1;
  }
  let onnxModels;
  try {
    onnxModels = loadConfig({
      env: process.env,
      ...(parsed.values.config === undefined ? {} : { file: parsed.values.config }),
    }).analyzers.onnx;
  } catch (error) {
    console.error(`configuration invalid: ${toFoveaError(error).message}`);
    return 1;
  }
  const pool = await AnalyzerPool.start({ spoolRoot: '/', logger: silentLogger, onnxModels });
  try {
    const records = await readInstanceFiles(files.map((file) => file.path));
    const studies = await analyzeOffline(records, pool);
    const out = parsed.values.out;
    const written: Record<string, string[]> = {};
    if (out !== undefined) {
      await mkdir(out, { recursive: true });
      for (const study of studies) {
        for (const analysis of study.analyses) {
          if (analysis.record === undefined || analysis.record.findings.length === 0) {
            continue;
          }
          for (const object of await buildResultObjects(analysis.record, records, 'preliminary')) {
            const path = join(out, `${object.kind}-${object.sopInstanceUid}.dcm`);
            await writeFile(path, object.part10);
            (written[study.studyInstanceUid] ??= []).push(path);
          }
        }
      }
    }
    const json: Record<string, unknown>[] = [
      ...studies.map((study) => ({
        ...offlineStudyJson(study),
        ...(out === undefined ? {} : { written: written[study.studyInstanceUid] ?? [] }),
      })),
      ...csvJson,
    ];
    if (parsed.values.json === true) {
      console.log(JSON.stringify(json, null, 2));
    } else {
      for (const study of json) {
        const eyes = study.eyes as { R: { value: unknown }[]; L: { value: unknown }[] };
        console.log(
          `${study.studyInstanceUid as string}: R ${eyes.R.length} finding(s), L ${eyes.L.length} finding(s)`,
        );
      }
    }
    return studies.some((study) => study.analyses.some((analysis) => analysis.status === 'failed')) ? 1 : 0;
  } catch (error) {
    const failure = toFoveaError(error);
    console.error(`${failure.code}: ${failure.detail ?? failure.spec.title}`);
    return 1;
  } finally {
    await pool.close();
  }
}
