/**
 * `fovea analyze PATH… --json [--out DIR] [--detail]`: runs the registered analyzers on DICOM files and folders
 * (and Heidelberg `.vol` exports, converted first) without a server and prints the findings as JSON, one object
 * per study (documented in `docs/analyze-json.md`); with `--out` it also writes the DICOM objects the gateway
 * would deliver (SR …) into DIR; with `--detail` it adds the OCT layer boundaries and thickness maps.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
import { octMaculaDetail } from './oct-detail.ts';
import { convertVol } from './vol-to-dicom.ts';

const usage = `Usage: fovea analyze PATH... --json [--out DIR] [--detail]

  PATH        DICOM files or folders (searched recursively), Heidelberg .vol exports (converted to DICOM
              as fovea import-vol does, then analysed the same way), or visual-field series exported as CSV
              (the visualFields layout: id, eye, date, age, l1…l54): progression per patient and eye
  --json      print one JSON object per study (an array) on stdout
  --out DIR   also write the DICOM objects Fovea would deliver (SR …) into DIR
  --detail    with --json: add, per macular OCT volume, every B-scan's layer boundaries (row per A-scan)
              and the ILM→BM thickness per A-scan (docs/analyze-json.md)
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
        detail: { type: 'boolean' },
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
  const { files, vols, skipped } = await findDicomFiles(dicomPaths);
  for (const entry of skipped) {
    console.error(`skipped ${entry.path}: ${entry.reason}`);
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
  // .vol exports are converted in memory; the analyzer workers read files, so the objects go to a private
  // temporary folder that is removed when the command ends.
  const imported: { source: string; paths: string[]; studyInstanceUid: string }[] = [];
  let importDir: string | undefined;
  for (const source of vols) {
    try {
      const converted = convertVol(await readFile(source));
      importDir ??= await mkdtemp(join(tmpdir(), 'fovea-analyze-vol-'));
      const paths: string[] = [];
      for (const object of [converted.oct, ...(converted.slo === undefined ? [] : [converted.slo])]) {
        const path = join(importDir, object.fileName);
        await writeFile(path, object.part10);
        paths.push(path);
      }
      imported.push({ source, paths, studyInstanceUid: converted.oct.studyInstanceUid });
    } catch (error) {
      console.error(`skipped ${source}: ${(error as Error).message}`);
    }
  }
  const removeImports = async (): Promise<void> => {
    if (importDir !== undefined) {
      await rm(importDir, { recursive: true, force: true });
    }
  };
  const paths = [...files.map((file) => file.path), ...imported.flatMap((entry) => entry.paths)];
  if (paths.length === 0) {
    console.error('no DICOM files found');
    return 1;
  }
  const pool = await AnalyzerPool.start({ spoolRoot: '/', logger: silentLogger, onnxModels }).catch(
    async (error: unknown) => {
      await removeImports();
      throw error;
    },
  );
  try {
    const records = await readInstanceFiles(paths);
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
    const json: Record<string, unknown>[] = [];
    for (const study of studies) {
      const sources = imported
        .filter((entry) => entry.studyInstanceUid === study.studyInstanceUid)
        .map((entry) => entry.source);
      json.push({
        ...offlineStudyJson(study),
        ...(sources.length === 0 ? {} : { importedFrom: sources }),
        ...(out === undefined ? {} : { written: written[study.studyInstanceUid] ?? [] }),
        // Only the JSON carries the detail; the summary lines have no place for it.
        ...(parsed.values.detail === true && parsed.values.json === true
          ? { detail: { octMacula: await octMaculaDetail(study) } }
          : {}),
      });
    }
    json.push(...csvJson);
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
    await removeImports();
  }
}
