/**
 * Helpers for result tests: a synthetic two-eye fundus study on disk, the SRs (or other objects) Orthanc holds
 * for a study, and dciodvfy's error lines.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generatePatientStudy,
  writeObjects,
  type PatientStudyOptions,
  type SynthObject,
} from '../../src/synth/index.ts';
import type { OrthancPeer } from './orthanc.ts';
import { runAsync } from './peers.ts';

/** A synthetic fundus study (both eyes) written to a fresh folder. */
export async function writeFundusStudy(
  seed: number,
  size = 768,
  findings?: PatientStudyOptions['findings'],
): Promise<{ directory: string; studyInstanceUid: string; objects: SynthObject[]; files: string[] }> {
  const directory = mkdtempSync(join(tmpdir(), 'fovea-fundus-study-'));
  const study = await generatePatientStudy({
    seed,
    eyes: ['R', 'L'],
    fundusSize: { width: size, height: size },
    ...(findings === undefined ? {} : { findings }),
  });
  const files = (await writeObjects(directory, study.objects)).filter((file) => file.endsWith('.dcm'));
  return { directory, studyInstanceUid: study.study.studyInstanceUid, objects: study.objects, files };
}

/** Orthanc's instance ids of the SR instances of a study (empty when the study is absent). */
export function orthancSrInstances(orthanc: OrthancPeer, studyInstanceUid: string): Promise<string[]> {
  return orthancInstancesOf(orthanc, studyInstanceUid, 'SR');
}

/** Orthanc's instance ids of a study's instances of one modality (`SR`, `PR`, `SEG` …; empty when absent). */
export async function orthancInstancesOf(
  orthanc: OrthancPeer,
  studyInstanceUid: string,
  modality: string,
): Promise<string[]> {
  const found = (await orthanc.rest('POST', '/tools/lookup', studyInstanceUid)) as {
    Type: string;
    ID: string;
  }[];
  const study = found.find((entry) => entry.Type === 'Study');
  if (study === undefined) {
    return [];
  }
  const instances = (await orthanc.rest('GET', `/studies/${study.ID}/instances?expand`)) as {
    ID: string;
    MainDicomTags: Record<string, string>;
  }[];
  const matching: string[] = [];
  for (const instance of instances) {
    const tags = (await orthanc.rest('GET', `/instances/${instance.ID}/simplified-tags`)) as Record<
      string,
      unknown
    >;
    if (tags.Modality === modality) {
      matching.push(instance.ID);
    }
  }
  return matching;
}

/** Downloads an Orthanc instance's Part 10 file. */
export async function orthancFile(orthanc: OrthancPeer, id: string): Promise<Buffer> {
  const response = await fetch(`${orthanc.httpUrl}/instances/${id}/file`, {
    headers: { authorization: orthanc.authorization },
  });
  if (!response.ok) {
    throw new Error(`Orthanc file ${id} -> ${response.status}`);
  }
  return Buffer.from(await response.arrayBuffer());
}

/** The lines of dciodvfy's output that report an error. */
export async function dciodvfyErrors(part10: Uint8Array): Promise<string[]> {
  const directory = mkdtempSync(join(tmpdir(), 'fovea-dciodvfy-'));
  const path = join(directory, 'object.dcm');
  writeFileSync(path, part10);
  const result = await runAsync('dciodvfy', [path]);
  return result.output.split('\n').filter((line) => line.includes('Error'));
}

/** Sends files to a gateway's DICOM port with DCMTK `storescu` (called AE FOVEA); throws when it fails. */
export async function storescuSend(dicomPort: number, files: readonly string[]): Promise<void> {
  const sent = await runAsync('storescu', ['-aec', 'FOVEA', '127.0.0.1', String(dicomPort), ...files]);
  if (sent.status !== 0) {
    throw new Error(`storescu failed (${String(sent.status)}): ${sent.output}`);
  }
}
