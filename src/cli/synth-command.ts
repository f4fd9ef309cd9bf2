/**
 * `fovea synth`: writes synthetic ophthalmic DICOM objects and their ground truth (`*.truth.json`) to a
 * folder — colour fundus photographs, OCT scans with their SLO images, visual fields, or a whole cohort.
 */
import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Eye } from '../core/eye.ts';
import {
  addDays,
  fluidTypes,
  fundusArtefacts,
  generateCohort,
  generatePatientStudy,
  generateVisualField,
  generateVisualFieldSeries,
  makePatient,
  makeStudy,
  writeObjects,
} from '../synth/index.ts';
import type {
  EyeFindings,
  FluidType,
  FundusArtefact,
  IcdrLevel,
  SynthObject,
  SynthTransferSyntax,
  VfPattern,
} from '../synth/index.ts';

const usage = `Usage: fovea synth --kind fundus|oct|vf|cohort --out DIR [options]

  --kind KIND            fundus (OP), oct (OPT + SLO OP), vf (OPV) or cohort
  --out DIR              folder for the .dcm and .truth.json files (created if missing)
  --seed N               seed (default 1); the same seed gives the same files
  --eye R|L              one eye (default both, in one study)
  --icdr 0-4             fundus: ICDR level (default 0; 2 with --dme)
  --dme                  fundus: hard exudates within 1 DD of the fovea; oct: cysts and thickening
  --fluid irf,srf,ped    oct: fluid types
  --scan cube|circle     oct: macular cube (default) or peripapillary circle scan
  --artefacts LIST       fundus: ${fundusArtefacts.join(',')}
  --visits N             fundus/oct: studies (the last is current); vf: tests in a series; cohort: visits per patient
  --md-slope DB          vf series: MD slope in dB/year (default -1 with --visits > 1)
  --arcuate superior|inferior|none   vf series: hemifield of the progressing defect (default superior)
  --pattern 24-2|10-2    vf: test pattern (default 24-2)
  --size N               cohort: number of patients (default 12)
  --transfer-syntax explicit-le|jpeg-baseline   images (default explicit-le)
  --width N --height N   fundus: image size (default 1600 x 1200)
  --help`;

class UsageError extends Error {}

function parseInteger(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return n;
}

function parseList<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (value === undefined || value === '') {
    return [];
  }
  const items = value.split(',').map((item) => item.trim());
  for (const item of items) {
    if (!(allowed as readonly string[]).includes(item)) {
      throw new UsageError(`--${name}: unknown value ${item} (allowed: ${allowed.join(', ')})`);
    }
  }
  return items as T[];
}

function describe(object: SynthObject): string {
  const truth = object.truth as unknown as Record<string, unknown>;
  let detail = '';
  if (object.kind === 'fundus') {
    const t = truth as { icdr: number; dme: { present: boolean }; gradable: boolean; lesions: unknown[] };
    detail = `ICDR ${t.icdr}${t.dme.present ? ' DME' : ''}${t.gradable ? '' : ' ungradable'}, ${t.lesions.length} lesions`;
  } else if (object.kind === 'oct-volume') {
    const t = truth as { centralSubfieldThicknessUm: number; fluid: Record<FluidType, { volumeNl: number }> };
    const fluid = fluidTypes
      .filter((f) => t.fluid[f].volumeNl > 0)
      .map((f) => `${f} ${t.fluid[f].volumeNl} nL`);
    detail = `CST ${t.centralSubfieldThicknessUm} µm${fluid.length > 0 ? `, ${fluid.join(', ')}` : ''}`;
  } else if (object.kind === 'oct-circle-scan') {
    const t = truth as { rnfl: { averageUm: number } };
    detail = `RNFL average ${t.rnfl.averageUm} µm`;
  } else if (object.kind === 'visual-field') {
    const t = truth as { meanDeviationDb: number; visit: number | null };
    detail = `MD ${t.meanDeviationDb} dB${t.visit === null ? '' : `, visit ${t.visit}`}`;
  }
  return `  ${object.studyDate} ${object.modality.padEnd(3)} ${object.eye} ${object.kind.padEnd(15)} ${object.fileName}  ${detail}`;
}

/** Runs `fovea synth` with its arguments (without the command name); returns the exit code. */
export async function runSynthCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kind: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        eye: { type: 'string' },
        icdr: { type: 'string' },
        dme: { type: 'boolean' },
        fluid: { type: 'string' },
        scan: { type: 'string' },
        artefacts: { type: 'string' },
        visits: { type: 'string' },
        'md-slope': { type: 'string' },
        arcuate: { type: 'string' },
        pattern: { type: 'string' },
        size: { type: 'string' },
        'transfer-syntax': { type: 'string' },
        width: { type: 'string' },
        height: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`fovea synth: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const values = parsed.values;
  if (values.help === true) {
    console.log(usage);
    return 0;
  }
  try {
    const kind = values.kind;
    if (kind !== 'fundus' && kind !== 'oct' && kind !== 'vf' && kind !== 'cohort') {
      throw new UsageError('--kind must be fundus, oct, vf or cohort');
    }
    const out = values.out;
    if (out === undefined || out === '') {
      throw new UsageError('--out DIR is required');
    }
    const seed = values.seed ?? '1';
    if (!/^[0-9A-Za-z._-]{1,64}$/.test(seed)) {
      throw new UsageError('--seed must be 1–64 letters, digits, dots, dashes or underscores');
    }
    let eyeList: Eye[] = ['R', 'L'];
    if (values.eye !== undefined) {
      const eye = values.eye.toUpperCase();
      if (eye !== 'R' && eye !== 'L') {
        throw new UsageError('--eye must be R or L');
      }
      eyeList = [eye];
    }
    const dme = values.dme === true;
    const icdr = parseInteger('icdr', values.icdr, dme ? 2 : 0, 0, 4) as IcdrLevel;
    if (dme && icdr < 2) {
      throw new UsageError('--dme needs --icdr 2 or more (hard exudates are more than microaneurysms)');
    }
    const fluid = parseList<FluidType>('fluid', values.fluid, fluidTypes);
    const artefacts = parseList<FundusArtefact>('artefacts', values.artefacts, fundusArtefacts);
    const visits = parseInteger('visits', values.visits, 1, 1, 20);
    const transferSyntaxValue = values['transfer-syntax'] ?? 'explicit-le';
    if (transferSyntaxValue !== 'explicit-le' && transferSyntaxValue !== 'jpeg-baseline') {
      throw new UsageError('--transfer-syntax must be explicit-le or jpeg-baseline');
    }
    const transferSyntax: SynthTransferSyntax = transferSyntaxValue;
    const scan = values.scan ?? 'cube';
    if (scan !== 'cube' && scan !== 'circle') {
      throw new UsageError('--scan must be cube or circle');
    }
    const patternValue = values.pattern ?? '24-2';
    if (patternValue !== '24-2' && patternValue !== '10-2') {
      throw new UsageError('--pattern must be 24-2 or 10-2');
    }
    const pattern: VfPattern = patternValue;
    const arcuate = values.arcuate ?? 'superior';
    if (arcuate !== 'superior' && arcuate !== 'inferior' && arcuate !== 'none') {
      throw new UsageError('--arcuate must be superior, inferior or none');
    }
    const mdSlope = values['md-slope'] === undefined ? (visits > 1 ? -1 : 0) : Number(values['md-slope']);
    if (!Number.isFinite(mdSlope) || mdSlope > 0 || mdSlope < -10) {
      throw new UsageError('--md-slope must be a number of dB/year in [-10, 0]');
    }
    const width = parseInteger('width', values.width, 1600, 128, 8192);
    const height = parseInteger('height', values.height, 1200, 128, 8192);
    const started = performance.now();
    await mkdir(out, { recursive: true });

    if (kind === 'cohort') {
      const size = parseInteger('size', values.size, 12, 1, 100000);
      console.log(`fovea synth: cohort of ${size} patients (seed ${seed}, ${visits} visit(s)) -> ${out}`);
      const cohort = await generateCohort({
        seed,
        size,
        visits,
        out,
        retain: false,
        transferSyntax,
        onCase: (entry, index, total) => {
          console.log(
            `  [${index + 1}/${total}] ${entry.caseId} ${entry.patientId} expected ${entry.expectedTriage}, ${entry.objects.length} objects`,
          );
        },
      });
      const objects = cohort.manifest.cases.reduce((sum, c) => sum + c.objects.length, 0);
      console.log(
        `wrote ${objects} objects, their truth files and manifest.json in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      return 0;
    }

    const patient = makePatient({ seed });
    const current = makeStudy({ seed, label: 'current' });
    const objects: SynthObject[] = [];
    if (kind === 'vf') {
      for (const eye of eyeList) {
        if (visits === 1) {
          objects.push(generateVisualField({ seed, eye, patient, study: current, pattern }));
        } else {
          objects.push(
            ...generateVisualFieldSeries({
              seed,
              eye,
              patient,
              pattern,
              visits,
              mdSlopeDbPerYear: mdSlope,
              arcuate,
              lastTestDate: current.studyDate,
            }),
          );
        }
      }
    } else {
      const findings: EyeFindings = { icdr, dme, artefacts, fluid };
      for (let visit = 1; visit <= visits; visit++) {
        const yearsBack = visits - visit;
        const study =
          yearsBack === 0
            ? current
            : makeStudy({
                seed,
                label: `prior-${yearsBack}`,
                studyDate: addDays(current.studyDate, -Math.round(yearsBack * 365.25)),
              });
        const result = await generatePatientStudy({
          seed,
          patient,
          study,
          visitLabel: yearsBack === 0 ? 'current' : `prior-${yearsBack}`,
          eyes: eyeList,
          findings: { R: findings, L: findings },
          content:
            kind === 'fundus'
              ? { fundus: true }
              : scan === 'cube'
                ? { octVolume: true }
                : { octCircleScan: true },
          transferSyntax,
          fundusSize: { width, height },
        });
        objects.push(...result.objects);
      }
    }
    await writeObjects(out, objects);
    console.log(
      `fovea synth: ${patient.patientName} (${patient.patientId}), ${objects.length} objects -> ${out}`,
    );
    for (const object of objects) {
      console.log(describe(object));
    }
    console.log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`fovea synth: ${error.message}\n\n${usage}`);
      return 2;
    }
    console.error(`fovea synth: failed: ${(error as Error).message}`);
    return 1;
  }
}
