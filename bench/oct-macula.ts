/**
 * Speed, memory and accuracy of the oct-macula analysis on full-size synthetic OCT cubes (49 B-scans × 496
 * rows × 512 A-scans, Ophthalmic Tomography DICOM, explicit VR little endian): decoding every frame (as the
 * host's pixel access does) is timed separately from the analysis; each analysis is run three times (wall
 * and CPU time, median), and the peak resident memory is printed at the end. Prints figures; not a test.
 */
import { cpus } from 'node:os';
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
  const voxels = new Uint8Array(frames * rows * columns);
  let spacing: readonly [number, number] | undefined;
  for (let f = 0; f < frames; f++) {
    const frame = await decodeFrame(oct.part10, f);
    voxels.set(frame.data as Uint8Array, f * rows * columns);
    spacing = frame.pixelSpacing;
  }
  const decodeMs = performance.now() - decodeStarted;
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
const usage = process.resourceUsage();
console.log(
  `memory: rss now ${mb(process.memoryUsage().rss)} (at start ${mb(rssBefore)}), peak rss (maxRSS) ` +
    `${mb(usage.maxRSS * 1024)}; the peak includes the synthetic generator and the DICOM files`,
);
