/**
 * The DICOM objects an analysis becomes: for now one Comprehensive 3D SR (TID 1500) per analysis with the
 * findings of both eyes. UIDs derive from the analysis id and the report status, and the content date from
 * the analysis, so rebuilding after a crash gives the same bytes and the same SOP Instance UID.
 */
import { readFile } from 'node:fs/promises';
import { FoveaError } from '../core/errors.ts';
import type { AnalysisRecord } from '../core/finding.ts';
import type { InstanceEye } from '../core/eye.ts';
import { implementationVersionName } from '../core/implementation.ts';
import { uidFromName } from '../core/uid.ts';
import {
  buildMeasurementReport,
  buildRejectionNote,
  comprehensive3dSrSopClassUid,
  keyObjectSelectionSopClassUid,
  readSourceStudyContext,
  type DeviceIdentity,
  type ReportStatus,
  type VerifyingObserver,
} from '../dicom/sr/index.ts';

/** A source instance, with the absolute path of its Part 10 file. */
export interface SourceInstance {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly seriesInstanceUid: string;
  readonly eye: InstanceEye;
  /** Absolute path of the Part 10 file. */
  readonly spoolPath: string;
}

/** An object to deliver. */
export interface BuiltObject {
  readonly kind: 'sr' | 'kos';
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly part10: Uint8Array;
}

/** The installation that writes the objects (Device Observer UID, name, software version). */
export function foveaDevice(aeTitle: string, softwareVersion: string): DeviceIdentity {
  return { uid: uidFromName(`fovea-device:${aeTitle}`), name: aeTitle, softwareVersion };
}

const defaultDevice = foveaDevice('FOVEA', implementationVersionName);

/** Builds the objects of an analysis from its findings and the source instances it evaluated. */
export async function buildResultObjects(
  analysis: AnalysisRecord,
  instances: readonly SourceInstance[],
  status: 'preliminary',
  device: DeviceIdentity = defaultDevice,
): Promise<BuiltObject[]> {
  const report = await buildReport(analysis, instances, { kind: status }, status, 1, device, []);
  return report === undefined ? [] : [report];
}

/** What a final or corrected report replaces: the SR delivered before, by its UIDs. */
export interface ReplacedReport {
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
}

/**
 * The objects that replace a delivered report once a clinician has reviewed it: a new SR (COMPLETE /
 * VERIFIED, with the verifier) that lists the replaced SR in its Predecessor Documents Sequence, and an IOCM
 * rejection note (KOS, "Rejected for Quality Reasons") asking a PACS that supports IOCM to hide the replaced
 * one. `revision` distinguishes successive corrections (1 for the first final version). The findings given are
 * the reviewed ones (accepted and modified; rejected findings left out).
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.2.html (Predecessor Documents)
 */
export async function buildReplacementObjects(
  analysis: AnalysisRecord,
  instances: readonly SourceInstance[],
  replaced: ReplacedReport,
  verifier: VerifyingObserver,
  revision: number,
  device: DeviceIdentity = defaultDevice,
): Promise<BuiltObject[]> {
  const label = revision === 1 ? 'final' : `corrected-${revision}`;
  const report = await buildReport(
    analysis,
    instances,
    { kind: 'final', verifier },
    label,
    revision + 1,
    device,
    [
      {
        seriesInstanceUid: replaced.seriesInstanceUid,
        sopClassUid: comprehensive3dSrSopClassUid,
        sopInstanceUid: replaced.sopInstanceUid,
      },
    ],
  );
  if (report === undefined) {
    return [];
  }
  const first = instances[0]!;
  const study = readSourceStudyContext(await readFile(first.spoolPath));
  const noteUid = uidFromName(`kos:${analysis.id}:${label}`);
  const note: BuiltObject = {
    kind: 'kos',
    sopClassUid: keyObjectSelectionSopClassUid,
    sopInstanceUid: noteUid,
    seriesInstanceUid: uidFromName(`kos-series:${analysis.studyInstanceUid}`),
    part10: buildRejectionNote({
      study,
      rejected: [
        {
          seriesInstanceUid: replaced.seriesInstanceUid,
          sopClassUid: comprehensive3dSrSopClassUid,
          sopInstanceUid: replaced.sopInstanceUid,
        },
      ],
      reason: 'quality',
      device,
      description: `Replaced by the clinician-verified report ${report.sopInstanceUid}`,
      seriesInstanceUid: uidFromName(`kos-series:${analysis.studyInstanceUid}`),
      seriesNumber: 9002,
      sopInstanceUid: noteUid,
      instanceNumber: revision,
      contentDateTime: verifier.dateTime,
    }),
  };
  return [report, note];
}

async function buildReport(
  analysis: AnalysisRecord,
  instances: readonly SourceInstance[],
  reportStatus: ReportStatus,
  label: string,
  instanceNumber: number,
  device: DeviceIdentity,
  predecessors: readonly { seriesInstanceUid: string; sopClassUid: string; sopInstanceUid: string }[],
): Promise<BuiltObject | undefined> {
  if (analysis.findings.length === 0) {
    return undefined;
  }
  const evaluated = new Set(analysis.provenance.inputSopInstanceUids);
  const sources = instances.filter((instance) => evaluated.has(instance.sopInstanceUid));
  const first = sources[0];
  if (first === undefined) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: 'none of the evaluated instances is available' });
  }
  const study = readSourceStudyContext(await readFile(first.spoolPath));
  const seriesInstanceUid = uidFromName(`sr-series:${analysis.studyInstanceUid}:${analysis.analyzerId}`);
  const sopInstanceUid = uidFromName(`sr:${analysis.id}:${label}`);
  const part10 = buildMeasurementReport({
    study,
    sources: sources.map((source) => ({
      sopClassUid: source.sopClassUid,
      sopInstanceUid: source.sopInstanceUid,
      seriesInstanceUid: source.seriesInstanceUid,
      eye: source.eye,
    })),
    findings: analysis.findings,
    device,
    status: reportStatus,
    ...(predecessors.length === 0 ? {} : { predecessors }),
    seriesInstanceUid,
    seriesNumber: 9001,
    sopInstanceUid,
    instanceNumber,
    contentDateTime:
      reportStatus.kind === 'final' ? reportStatus.verifier.dateTime : analysis.provenance.finishedAt,
  });
  return { kind: 'sr', sopClassUid: comprehensive3dSrSopClassUid, sopInstanceUid, seriesInstanceUid, part10 };
}
