/**
 * A synthetic glaucoma patient's yearly visual-field visits for the review-station tests: each visit one study
 * holding a 24-2 field (OPV) of each eye — the right eye progressing (an arcuate defect deepening, MD falling
 * by `mdSlope` dB/yr), the left stable — sent by STOW-RS oldest first; the earlier visits are waited for until
 * routed (so they are the newest visit's priors), then the newest, until the gateway's vf-progression analysis
 * of it has succeeded.
 */
import assert from 'node:assert/strict';
import type { DicomWebClient } from '../../src/dicom/dicomweb/index.ts';
import type { Gateway } from '../../src/main/index.ts';
import {
  addDays,
  generateVisualFieldSeries,
  makePatient,
  makeStudy,
  type SynthObject,
  type SynthStudyRef,
} from '../../src/synth/index.ts';
import { waitFor } from './gateway.ts';

/** The visits sent, oldest first. */
export interface VisualFieldVisits {
  readonly patientId: string;
  readonly studies: readonly SynthStudyRef[];
  /** The OPV objects (both eyes, every visit). */
  readonly objects: readonly SynthObject[];
}

/** Generates the visits (deterministic for the seed). */
export function generateVisualFieldVisits(seed: string, visits: number, mdSlope = -1.5): VisualFieldVisits {
  const patient = makePatient({ seed, ageRange: [60, 72] });
  const last = '20250610';
  const studies = Array.from({ length: visits }, (_, visit) =>
    makeStudy({
      seed,
      label: `vf-visit-${visit + 1}`,
      studyDate: addDays(last, -Math.round((visits - 1 - visit) * 365.25)),
      studyDescription: 'Visual fields (synthetic)',
    }),
  );
  const objects = [
    ...generateVisualFieldSeries({
      seed,
      eye: 'R',
      patient,
      studies,
      visits,
      mdSlopeDbPerYear: mdSlope,
      arcuate: 'superior',
    }),
    ...generateVisualFieldSeries({ seed, eye: 'L', patient, studies, visits, mdSlopeDbPerYear: 0 }),
  ];
  return { patientId: patient.patientId, studies, objects };
}

/** Sends the visits by STOW-RS and waits until the newest visit's vf-progression analysis has succeeded. */
export async function sendVisualFieldVisits(
  gateway: Gateway,
  client: DicomWebClient,
  visits: VisualFieldVisits,
): Promise<void> {
  const send = async (study: SynthStudyRef) => {
    const parts = visits.objects
      .filter((object) => object.studyInstanceUid === study.studyInstanceUid)
      .map((object) => object.part10);
    const stored = await client.storeInstances(parts, study.studyInstanceUid);
    assert.equal(stored.status, 200);
  };
  const earlier = visits.studies.slice(0, -1);
  for (const study of earlier) {
    await send(study);
  }
  await waitFor(
    async () => {
      const states = await Promise.all(
        earlier.map((study) => gateway.store.index.getStudy(study.studyInstanceUid)),
      );
      return states.every((state) => state?.state === 'routed');
    },
    90_000,
    'the earlier visits to be routed',
  );
  const newest = visits.studies.at(-1)!;
  await send(newest);
  await waitFor(
    async () => {
      const analyses = await gateway.results.listAnalyses(newest.studyInstanceUid);
      return analyses.some(
        (analysis) => analysis.analyzerId === 'vf-progression' && analysis.status === 'succeeded',
      );
    },
    120_000,
    'the vf-progression analysis of the newest visit',
  );
}

/** The OPV of one eye at one visit. */
export function fieldOf(visits: VisualFieldVisits, studyInstanceUid: string, eye: 'R' | 'L'): SynthObject {
  const found = visits.objects.find(
    (object) => object.studyInstanceUid === studyInstanceUid && object.eye === eye,
  );
  assert.ok(found, `a field of ${eye} in ${studyInstanceUid}`);
  return found;
}

/**
 * Fovea's MD and PSD of one test, as the vf-progression analysis of `studyInstanceUid` computed them (its raw
 * output holds every test of the eye's series).
 */
export async function foveaIndices(
  gateway: Gateway,
  studyInstanceUid: string,
  eye: 'R' | 'L',
  sopInstanceUid: string,
): Promise<{ md: number; psd: number }> {
  const analysis = (await gateway.results.listAnalyses(studyInstanceUid)).find(
    (entry) => entry.analyzerId === 'vf-progression' && entry.status === 'succeeded',
  );
  const raw = analysis?.raw as
    { eyes: { eye: string; tests: { sopInstanceUid: string; md: number; psd: number }[] }[] } | undefined;
  const test = raw?.eyes
    .find((entry) => entry.eye === eye)
    ?.tests.find((entry) => entry.sopInstanceUid === sopInstanceUid);
  assert.ok(test, `vf-progression's indices of ${sopInstanceUid}`);
  return { md: test.md, psd: test.psd };
}
