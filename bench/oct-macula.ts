/**
 * Speed, memory and accuracy of the oct-macula analysis on full-size synthetic OCT cubes (49 B-scans × 496
 * rows × 512 A-scans, Ophthalmic Tomography DICOM, explicit VR little endian): decoding every frame (as the
 * host's pixel access does) is timed separately from the analysis; each analysis is run three times (wall
 * and CPU time, median), and the peak resident memory is printed at the end. The memory of the analysis alone
 * is measured in a fresh child process per case that only reads the volume file, decodes it and analyses it
 * once (its peak RSS, Node's own baseline included, beside the RSS of an idle Node). Prints figures; not a test.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeOctVolume, type OctVolume } from '../src/analyzers/oct-macula/index.ts';
import { decodeFrame } from '../src/imaging/index.ts';
import { generateOctVolume, type FluidType } from '../src/synth/index.ts';

const cases: readonly { name: string; seed: string; eye: 'R' | 'L'; fluid: FluidType[]; dme?: boolean }[] = [
  { name: 'normal', seed: 'bench-normal', eye: 'R', fluid: [] },
  { name: 'DME', seed: 'bench-dme', eye: 'L', fluid: [], dme: true },
  { name: 'SRF + PED', seed: 'bench-srf-ped', eye: 'R', fluid: ['srf', 'ped'] },
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

/** Decodes every frame of a Part 10 OCT volume into one voxel array, as the host's pixel access does. */
async function decodeVolume(part10: Uint8Array, frames: number, rows: number, columns: number) {
  const voxels = new Uint8Array(frames * rows * columns);
  let spacing: readonly [number, number] | undefined;
  for (let f = 0; f < frames; f++) {
    const frame = await decodeFrame(part10, f);
    voxels.set(frame.data as Uint8Array, f * rows * columns);
    spacing = frame.pixelSpacing;
  }
  return { voxels, spacing };
}

// Child mode: `oct-macula.ts --child FILE EYE FRAMES ROWS COLUMNS` analyses one volume once and prints its peak RSS.
if (process.argv[2] === '--child') {
  const [file, eye, frames, rows, columns] = process.argv.slice(3) as [
    string,
    'R' | 'L',
    string,
    string,
    string,
  ];
  const [f, r, c] = [Number(frames), Number(rows), Number(columns)];
  const { voxels, spacing } = await decodeVolume(readFileSync(file), f, r, c);
  analyzeOctVolume(
    {
      frames: f,
      rows: r,
      columns: c,
      voxels,
      axialSpacingMm: spacing?.[0] ?? 0.0039,
      lateralSpacingMm: spacing?.[1] ?? 0.0117,
      frameSpacingMm: (c * (spacing?.[1] ?? 0.0117)) / f,
    },
    eye,
  );
  process.stdout.write(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
  process.exit(0);
}
const idleRss = Number(
  execFileSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.resourceUsage().maxRSS * 1024))',
  ]),
);
const scratch = mkdtempSync(join(tmpdir(), 'fovea-bench-oct-'));
const childPeaks: string[] = [];

console.log(
  `oct-macula benchmark — ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, Node ${process.version}`,
);
const rssBefore = process.memoryUsage().rss;
for (const entry of cases) {
  const { oct } = await generateOctVolume({
    seed: entry.seed,
    eye: entry.eye,
    fluid: entry.fluid,
    ...(entry.dme === true ? { dme: true } : {}),
  });
  const truth = oct.truth;
  const { frames, rows, columns } = truth.geometry;
  const decodeStarted = performance.now();
  const { voxels, spacing } = await decodeVolume(oct.part10, frames, rows, columns);
  const decodeMs = performance.now() - decodeStarted;
  const file = join(scratch, `${entry.name.replaceAll(/\W/gu, '-')}.dcm`);
  writeFileSync(file, oct.part10);
  const child = JSON.parse(
    execFileSync(process.execPath, [
      import.meta.filename,
      '--child',
      file,
      entry.eye,
      String(frames),
      String(rows),
      String(columns),
    ]).toString(),
  ) as { maxRssBytes: number };
  childPeaks.push(`${entry.name} ${mb(child.maxRssBytes)}`);
  const volume: OctVolume = {
    frames,
    rows,
    columns,
    voxels,
    axialSpacingMm: spacing?.[0] ?? truth.geometry.axialSpacingUm / 1000,
    lateralSpacingMm: spacing?.[1] ?? truth.geometry.lateralSpacingMm,
    frameSpacingMm: (columns * (spacing?.[1] ?? truth.geometry.lateralSpacingMm)) / frames,
  };
  const wall: number[] = [];
  const cpu: number[] = [];
  let result = analyzeOctVolume(volume, entry.eye);
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    result = analyzeOctVolume(volume, entry.eye);
    const used = process.cpuUsage(cpuStarted);
    wall.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  const fluid = (['irf', 'srf', 'ped'] as const)
    .map(
      (kind) =>
        `${kind} ${result.fluid[kind].volumeMm3.toFixed(3)}/${truth.fluid[kind].volumeMm3.toFixed(3)}`,
    )
    .join(', ');
  console.log(
    `${entry.name.padEnd(10)} ${frames}×${rows}×${columns}: decode ${decodeMs.toFixed(0)} ms (${(decodeMs / frames).toFixed(1)} ms/frame); ` +
      `analysis median ${median(wall).toFixed(0)} ms wall, ${median(cpu).toFixed(0)} ms CPU ` +
      `(segmentation ${result.timings.segmentationMs.toFixed(0)}, fluid ${result.timings.fluidMs.toFixed(0)}, ` +
      `metrics + quality ${result.timings.metricsMs.toFixed(0)} ms in the last run)`,
  );
  console.log(
    `           CST ${result.ilmBm.cstUm.toFixed(1)} µm (truth ${truth.centralSubfieldThicknessUm.toFixed(1)}); ` +
      `total volume ${result.ilmBm.totalVolumeMm3.toFixed(3)} mm³ (truth ${truth.totalMacularVolumeMm3.toFixed(3)}); ` +
      `fluid found/truth mm³: ${fluid}; quality ${result.quality.verdict}, ${result.quality.signalDb.toFixed(1)} dB`,
  );
}
rmSync(scratch, { recursive: true, force: true });
console.log(
  `memory of one analysis (a process that reads, decodes and analyses one volume): peak rss ${childPeaks.join(', ')} ` +
    `(an idle Node process: ${mb(idleRss)}); target ≤ 300 MB`,
);
const usage = process.resourceUsage();
console.log(
  `memory: rss now ${mb(process.memoryUsage().rss)} (at start ${mb(rssBefore)}), peak rss (maxRSS) ` +
    `${mb(usage.maxRSS * 1024)}; the peak includes the synthetic generator and the DICOM files`,
);
