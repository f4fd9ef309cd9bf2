/**
 * The DICOM objects an analysis becomes: one Comprehensive 3D SR (TID 1500) per analysis with the findings of
 * both eyes, and, when the findings hold a complete ETDRS macular grid for an eye (the eleven LOINC concepts of
 * CID 4285), the macular thickness report (TID 2124, `docs/conformance/dicom.md` §8.5), and, per OCT volume
 * whose raw output carries a run-length fluid mask (`fluidLabels`), a binary Segmentation of IRF, SRF and PED
 * referencing the B-scans (`docs/conformance/dicom.md` §8.5), and per colour photograph with lesion positions a
 * Color Softcopy Presentation State marking them (`lesion-overlays.ts`, §8.6) and a derived Secondary Capture
 * image with the lesion heatmap blended over it (`lesion-heatmap.ts`, §8.7). UIDs derive from the analysis id
 * and the report status, and the content date from the analysis, so rebuilding after a crash gives the same
 * bytes and the same SOP Instance UID.
 */
import { readFile } from 'node:fs/promises';
import { FoveaError } from '../core/errors.ts';
import type { AnalysisRecord } from '../core/finding.ts';
import type { InstanceEye } from '../core/eye.ts';
import { implementationVersionName } from '../core/implementation.ts';
import { buildOctFluidSegmentation, segmentationSopClassUid } from '../dicom/seg/index.ts';
import {
  buildResultResources,
  resultTransaction,
  type FhirResultStatus,
  type FhirResultSubject,
} from '../fhir/index.ts';
import type { InstanceIndex } from '../core/instance-index.ts';
import { decodeLabelRuns, isEncodedLabels } from '../imaging/index.ts';
import { buildLesionHeatmaps } from './lesion-heatmap.ts';
import { buildLesionOverlays } from './lesion-overlays.ts';
import { uidFromName } from '../core/uid.ts';
import {
  buildMacularThicknessReport,
  buildMeasurementReport,
  comprehensiveSrSopClassUid,
  macularCodes,
  buildRejectionNote,
  comprehensive3dSrSopClassUid,
  keyObjectSelectionSopClassUid,
  readSourceStudyContext,
  type DeviceIdentity,
  type MacularThicknessEye,
  type SourceStudyContext,
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
  /**
   * `fhir`: a FHIR transaction Bundle (JSON bytes in `part10`), delivered to FHIR destinations only; `sc`: a
   * derived image (the lesion heatmap).
   */
  readonly kind: 'sr' | 'kos' | 'seg' | 'pr' | 'sc' | 'fhir';
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
  if (analysis.findings.length === 0) {
    return [];
  }
  const sources = evaluatedSources(analysis, instances);
  const study = await studyContextOf(sources);
  const report = buildReport(analysis, sources, study, { kind: status }, status, 1, device, []);
  const macular = buildMacularReport(analysis, instances, study, status, device);
  const version = { label: status, at: analysis.provenance.finishedAt };
  return [
    report,
    ...(macular === undefined ? [] : [macular]),
    ...buildFluidSegmentations(analysis, sources, study, device),
    ...(await buildLesionOverlays(analysis, sources, study, device, version)),
    ...(await buildLesionHeatmaps(analysis, sources, study, device, version)),
  ];
}

/** One OCT volume's fluid mask as the analyzer's raw output carries it. */
interface RawFluidMask {
  readonly sopInstanceUid: string;
  readonly eye: 'R' | 'L';
  readonly axialSpacingMm: number;
  readonly lateralSpacingMm: number;
  readonly labels: Uint8Array;
  readonly shape: readonly number[];
}

/** The fluid masks in an analysis's raw output: `raw.eyes[]` entries with `fluidLabels` and a geometry. */
function rawFluidMasks(raw: unknown): RawFluidMask[] {
  const eyes = (raw as { eyes?: unknown } | null | undefined)?.eyes;
  if (!Array.isArray(eyes)) {
    return [];
  }
  const masks: RawFluidMask[] = [];
  for (const entry of eyes as Record<string, unknown>[]) {
    const geometry = entry.geometry as Record<string, unknown> | undefined;
    const axial = Number(geometry?.axialSpacingMm);
    const lateral = Number(geometry?.lateralSpacingMm);
    if (
      !isEncodedLabels(entry.fluidLabels) ||
      entry.fluidLabels.shape.length !== 3 ||
      typeof entry.sopInstanceUid !== 'string' ||
      (entry.eye !== 'R' && entry.eye !== 'L') ||
      !(axial > 0 && lateral > 0)
    ) {
      continue;
    }
    masks.push({
      sopInstanceUid: entry.sopInstanceUid,
      eye: entry.eye,
      axialSpacingMm: axial,
      lateralSpacingMm: lateral,
      labels: decodeLabelRuns(entry.fluidLabels),
      shape: entry.fluidLabels.shape,
    });
  }
  return masks;
}

/**
 * The fluid Segmentations of an analysis: one per OCT volume with a fluid mask whose source instance is
 * among the evaluated sources, in the source study, one series per analyzer.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.51.html (Segmentation IOD)
 */
function buildFluidSegmentations(
  analysis: AnalysisRecord,
  sources: readonly SourceInstance[],
  study: SourceStudyContext,
  device: DeviceIdentity,
): BuiltObject[] {
  const objects: BuiltObject[] = [];
  const seriesInstanceUid = uidFromName(`seg-series:${analysis.studyInstanceUid}:${analysis.analyzerId}`);
  for (const mask of rawFluidMasks(analysis.raw)) {
    const source = sources.find((instance) => instance.sopInstanceUid === mask.sopInstanceUid);
    if (source === undefined) {
      continue;
    }
    const [frames, rows, columns] = mask.shape as [number, number, number];
    const sopInstanceUid = uidFromName(`seg:${analysis.id}:${mask.sopInstanceUid}`);
    const part10 = buildOctFluidSegmentation({
      source: {
        study,
        seriesInstanceUid: source.seriesInstanceUid,
        sopInstanceUid: source.sopInstanceUid,
        sopClassUid: source.sopClassUid,
        eye: mask.eye,
        frames,
        rows,
        columns,
        pixelSpacingMm: [mask.axialSpacingMm, mask.lateralSpacingMm],
      },
      labels: mask.labels,
      device,
      algorithm: {
        analyzerId: analysis.provenance.analyzerId,
        analyzerVersion: analysis.provenance.analyzerVersion,
        modelHash: analysis.provenance.modelHash,
      },
      seriesInstanceUid,
      seriesNumber: 9004,
      sopInstanceUid,
      instanceNumber: objects.length + 1,
      contentDateTime: analysis.provenance.finishedAt,
    });
    if (part10 !== undefined) {
      objects.push({
        kind: 'seg',
        sopClassUid: segmentationSopClassUid,
        sopInstanceUid,
        seriesInstanceUid,
        part10,
      });
    }
  }
  return objects;
}

/** The instances the analysis evaluated, as its provenance lists them (at least one must be available). */
function evaluatedSources(analysis: AnalysisRecord, instances: readonly SourceInstance[]): SourceInstance[] {
  const evaluated = new Set(analysis.provenance.inputSopInstanceUids);
  const sources = instances.filter((instance) => evaluated.has(instance.sopInstanceUid));
  if (sources.length === 0) {
    throw new FoveaError('FOVEA_SR_INVALID', { detail: 'none of the evaluated instances is available' });
  }
  return sources;
}

/** Patient and study attributes for every object of one analysis, read once from its first source. */
async function studyContextOf(sources: readonly SourceInstance[]): Promise<SourceStudyContext> {
  return readSourceStudyContext(await readFile(sources[0]!.spoolPath));
}

/** The per-eye macular grid of an analysis's findings (only eyes with all eleven measurements). */
export function macularGridEyes(
  analysis: AnalysisRecord,
  instances: readonly SourceInstance[],
): MacularThicknessEye[] {
  const c = macularCodes;
  const eyes: MacularThicknessEye[] = [];
  for (const eye of ['R', 'L'] as const) {
    const values = new Map<string, number>();
    let definition: 'ILM-BM' | 'ILM-RPE' = 'ILM-BM';
    const sources = new Set<string>();
    for (const finding of analysis.findings) {
      if (
        finding.eye === eye &&
        finding.value.kind === 'measurement' &&
        finding.value.concept.scheme === 'LN'
      ) {
        values.set(finding.value.concept.value, finding.value.value);
        if (finding.value.qualifier?.value === c.ilmToRpe.value) {
          definition = 'ILM-RPE';
        }
        finding.sourceSopInstanceUids.forEach((uid) => sources.add(uid));
      }
    }
    const get = (concept: { value: string }): number | undefined => values.get(concept.value);
    const all = [
      c.centrePointThickness,
      c.centreSubfieldThickness,
      c.innerSuperior,
      c.innerNasal,
      c.innerInferior,
      c.innerTemporal,
      c.outerSuperior,
      c.outerNasal,
      c.outerInferior,
      c.outerTemporal,
      c.totalVolume,
    ].map(get);
    const sourceInstances = instances
      .filter((instance) => sources.has(instance.sopInstanceUid))
      .map(({ sopClassUid, sopInstanceUid, seriesInstanceUid }) => ({
        sopClassUid,
        sopInstanceUid,
        seriesInstanceUid,
      }));
    if (all.some((value) => value === undefined) || sourceInstances.length === 0) {
      continue;
    }
    const [centrePoint, cst, is, inn, ii, it, os, on, oi, ot, volume] = all as number[];
    eyes.push({
      eye,
      cst_um: cst!,
      centrePoint_um: centrePoint!,
      subfields: {
        centre: cst!,
        innerSuperior: is!,
        innerNasal: inn!,
        innerInferior: ii!,
        innerTemporal: it!,
        outerSuperior: os!,
        outerNasal: on!,
        outerInferior: oi!,
        outerTemporal: ot!,
      },
      totalVolume_mm3: volume!,
      thicknessDefinition: definition,
      sourceInstances,
    });
  }
  return eyes;
}

function buildMacularReport(
  analysis: AnalysisRecord,
  instances: readonly SourceInstance[],
  study: SourceStudyContext,
  label: string,
  device: DeviceIdentity,
): BuiltObject | undefined {
  const eyes = macularGridEyes(analysis, instances);
  if (eyes.length === 0) {
    return undefined;
  }
  const seriesInstanceUid = uidFromName(`macular-series:${analysis.studyInstanceUid}:${analysis.analyzerId}`);
  const sopInstanceUid = uidFromName(`macular:${analysis.id}:${label}`);
  const part10 = buildMacularThicknessReport({
    study,
    eyes,
    device,
    algorithm: analysis.provenance,
    status: { kind: 'preliminary' },
    seriesInstanceUid,
    seriesNumber: 9003,
    sopInstanceUid,
    instanceNumber: 1,
    contentDateTime: analysis.provenance.finishedAt,
  });
  return { kind: 'sr', sopClassUid: comprehensiveSrSopClassUid, sopInstanceUid, seriesInstanceUid, part10 };
}

/** What a final or corrected report replaces: the SR delivered before, by its UIDs. */
export interface ReplacedReport {
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
}

/** An object of the previous version the new version replaces (a lesion overlay), by its UIDs and class. */
export interface ReplacedObject extends ReplacedReport {
  readonly sopClassUid: string;
}

/**
 * The objects that replace a delivered report once a clinician has reviewed it: a new SR (COMPLETE /
 * VERIFIED, with the verifier) that lists the replaced SR in its Predecessor Documents Sequence, and an IOCM
 * rejection note (KOS, "Rejected for Quality Reasons") asking a PACS that supports IOCM to hide the replaced
 * one. `revision` distinguishes successive corrections (1 for the first final version). The findings given are
 * the reviewed ones (accepted and modified; rejected findings left out). Lesion overlays are redrawn from them
 * (clinician-reviewed), and so are the lesion heatmaps; the previous version's overlays and heatmaps
 * (`replacedOverlays`) are listed in the rejection note too, so a PACS that supports IOCM no longer shows marks
 * the clinician rejected.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_C.17.2.html (Predecessor Documents)
 */
export async function buildReplacementObjects(
  analysis: AnalysisRecord,
  instances: readonly SourceInstance[],
  replaced: ReplacedReport,
  verifier: VerifyingObserver,
  revision: number,
  device: DeviceIdentity = defaultDevice,
  replacedOverlays: readonly ReplacedObject[] = [],
): Promise<BuiltObject[]> {
  const label = revision === 1 ? 'final' : `corrected-${revision}`;
  if (analysis.findings.length === 0) {
    return [];
  }
  const sources = evaluatedSources(analysis, instances);
  const study = await studyContextOf(sources);
  const report = buildReport(
    analysis,
    sources,
    study,
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
  const version = { label, at: verifier.dateTime, reviewedBy: verifier.name };
  const overlays = [
    ...(await buildLesionOverlays(analysis, sources, study, device, version)),
    ...(await buildLesionHeatmaps(analysis, sources, study, device, version)),
  ];
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
        ...replacedOverlays,
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
  return [report, ...overlays, note];
}

function buildReport(
  analysis: AnalysisRecord,
  sources: readonly SourceInstance[],
  study: SourceStudyContext,
  reportStatus: ReportStatus,
  label: string,
  instanceNumber: number,
  device: DeviceIdentity,
  predecessors: readonly { seriesInstanceUid: string; sopClassUid: string; sopInstanceUid: string }[],
): BuiltObject {
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

/** The media type written as the "SOP Class UID" of a FHIR result object. */
export const fhirBundleMediaType = 'application/fhir+json';

/** Who a study's FHIR results are about, from the index (Patient ID and issuer, name, accession, date). */
export async function fhirSubjectOf(
  index: InstanceIndex,
  studyInstanceUid: string,
): Promise<FhirResultSubject | undefined> {
  const study = await index.getStudy(studyInstanceUid);
  if (study?.patientId === undefined || study.patientId === '') {
    return undefined;
  }
  const issuer = (await index.getAssembly(studyInstanceUid))?.case.issuerOfPatientId;
  return {
    patientId: study.patientId,
    ...(issuer === undefined ? {} : { issuerOfPatientId: issuer }),
    ...(study.patientName === undefined ? {} : { patientName: study.patientName }),
    studyInstanceUid,
    ...(study.accessionNumber === undefined ? {} : { accessionNumber: study.accessionNumber }),
    ...(study.studyDate === undefined ? {} : { studyDate: study.studyDate }),
  };
}

/**
 * The FHIR results of an analysis as one object: the transaction Bundle of its Observations, DiagnosticReport,
 * Device (and review Provenance), with an id derived from the analysis and the version label, so a retry sends
 * the same Bundle and the server keeps one copy of each resource (`docs/conformance/fhir.md`).
 */
export function buildFhirResultObject(
  analysis: AnalysisRecord,
  subject: FhirResultSubject,
  status: FhirResultStatus,
  label: string,
  issued: Date,
  reviewer?: { readonly name: string; readonly dateTime: Date },
): BuiltObject {
  const resources = buildResultResources({
    analysis,
    subject,
    status,
    issued,
    ...(reviewer === undefined ? {} : { reviewer }),
  });
  return {
    kind: 'fhir',
    sopClassUid: fhirBundleMediaType,
    sopInstanceUid: uidFromName(`fhir:${analysis.id}:${label}`),
    seriesInstanceUid: uidFromName(`fhir-series:${analysis.studyInstanceUid}`),
    part10: Buffer.from(JSON.stringify(resultTransaction(resources))),
  };
}
