/**
 * Lesion heatmaps: each colour photograph an analysis found lesions on (the point-like region findings, e.g.
 * dr-screening's `lesions-<type>`) becomes a derived image — the photograph with the lesion-likelihood heatmap
 * (`imaging/lesion-heatmap.ts`) blended over it, as a Secondary Capture with the same matrix and pixel spacing,
 * so a PACS viewer without presentation-state support still shows where the AI found lesions
 * (`docs/conformance/dicom.md` §8.7). A preliminary heatmap on publish; on sign-off a clinician-reviewed one from
 * the kept findings only (the replaced heatmaps are listed in the IOCM rejection note, as the overlays are).
 * UIDs derive from the analysis, the photograph and the version, so a rebuilt heatmap has the same identity
 * and bytes.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.8.html (Secondary Capture Image IOD)
 */
import { readFile } from 'node:fs/promises';
import type { AnalysisRecord } from '../core/finding.ts';
import { uidFromName } from '../core/uid.ts';
import { readInstanceHeader, scanBuffer, SopClass, TransferSyntax } from '../dicom/codec/index.ts';
import { buildDerivedHeatmapImage, secondaryCaptureImageSopClassUid } from '../dicom/sc/index.ts';
import type { DeviceIdentity, SourceStudyContext } from '../dicom/sr/index.ts';
import {
  blendLesionHeatmap,
  computeLesionHeatmap,
  decodeFrame,
  heatmapLesionsOf,
  heatmapMinSigmaShare,
  readDataset,
} from '../imaging/index.ts';
import type { OverlaySource, OverlayVersion } from './lesion-overlays.ts';

/** A lesion heatmap to deliver. */
export interface HeatmapObject {
  readonly kind: 'sc';
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly part10: Uint8Array;
}

/** The colour images a heatmap is derived from. */
const colourPhotographClasses = new Set<string>([
  SopClass.OphthalmicPhotography8BitImage,
  SopClass.VLPhotographicImage,
]);

/** Transfer syntaxes whose pixels lost information: a heatmap derived from them says so. */
const lossyTransferSyntaxes = new Set<string>([
  TransferSyntax.JPEGBaseline8Bit,
  TransferSyntax.JPEGExtended12Bit,
  TransferSyntax.JPEGLSNearLossless,
  TransferSyntax.JPEG2000,
]);

/** The SOP Instance UID of an analysis's heatmap of one photograph in one version. */
export function heatmapUid(analysisId: string, sopInstanceUid: string, label: string): string {
  return uidFromName(`sc-heatmap:${analysisId}:${sopInstanceUid}:${label}`);
}

/** The series of an analyzer's heatmaps in a study. */
export function heatmapSeriesUid(studyInstanceUid: string, analyzerId: string): string {
  return uidFromName(`sc-heatmap-series:${studyInstanceUid}:${analyzerId}`);
}

/** The photographs an analysis has point-like lesion findings on (rejected findings left out). */
export function heatmapPhotographs(analysis: AnalysisRecord): string[] {
  const photographs = new Set<string>();
  for (const finding of analysis.findings) {
    const value = finding.value;
    if (
      value.kind === 'region' &&
      (value.graphicType === 'MULTIPOINT' || value.graphicType === 'POINT') &&
      value.points.length >= 2 &&
      finding.status !== 'rejected'
    ) {
      photographs.add(value.sopInstanceUid);
    }
  }
  return [...photographs];
}

/** The text of the Derivation Description. */
function derivationDescription(analysis: AnalysisRecord, lesions: number): string {
  return (
    `Lesion likelihood heatmap of ${lesions} lesion(s) found by ${analysis.provenance.analyzerId}@` +
    `${analysis.provenance.analyzerVersion}: per lesion a Gaussian (sigma = its radius, at least ` +
    `${heatmapMinSigmaShare * 100} % of the longer side) weighted by its confidence, combined as independent ` +
    'detections (1 - product of (1 - each)), pseudo-coloured and blended over the source photograph ' +
    '(Fovea lesion-heatmap).'
  );
}

function text(value: unknown): string | undefined {
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

/**
 * The lesion heatmaps of an analysis, one per 8-bit colour photograph its point-like region findings are on
 * (rejected findings left out). Other photographs, or an analysis without lesions, give none.
 */
export async function buildLesionHeatmaps(
  analysis: AnalysisRecord,
  sources: readonly OverlaySource[],
  study: SourceStudyContext,
  device: DeviceIdentity,
  version: OverlayVersion,
): Promise<HeatmapObject[]> {
  const objects: HeatmapObject[] = [];
  const seriesInstanceUid = heatmapSeriesUid(analysis.studyInstanceUid, analysis.analyzerId);
  for (const sopInstanceUid of heatmapPhotographs(analysis)) {
    const source = sources.find((instance) => instance.sopInstanceUid === sopInstanceUid);
    const eye = source?.eye;
    if (
      source === undefined ||
      (eye !== 'R' && eye !== 'L') ||
      !colourPhotographClasses.has(source.sopClassUid)
    ) {
      continue;
    }
    const bytes = await readFile(source.spoolPath);
    const frame = await decodeFrame(bytes, 0);
    if (frame.samplesPerPixel !== 3 || frame.bitsAllocated !== 8) {
      continue;
    }
    const lesions = heatmapLesionsOf(analysis, sopInstanceUid);
    if (lesions.length === 0) {
      continue;
    }
    const header = readInstanceHeader(scanBuffer(bytes, { part10: true }));
    const dataset = readDataset(bytes);
    const orientation = (Array.isArray(dataset.PatientOrientation) ? dataset.PatientOrientation : [])
      .map(String)
      .filter((value) => /^[APRLHFXY]{1,3}$/u.test(value));
    const icc = dataset.ICCProfile;
    const iccBytes = Array.isArray(icc) && icc[0] instanceof ArrayBuffer ? new Uint8Array(icc[0]) : undefined;
    const map = computeLesionHeatmap(lesions, frame.columns, frame.rows);
    const uid = heatmapUid(analysis.id, sopInstanceUid, version.label);
    const part10 = buildDerivedHeatmapImage({
      study,
      source: {
        sopClassUid: source.sopClassUid,
        sopInstanceUid,
        seriesInstanceUid: source.seriesInstanceUid,
        eye,
        rows: frame.rows,
        columns: frame.columns,
        ...(frame.pixelSpacing === undefined ? {} : { pixelSpacingMm: frame.pixelSpacing }),
        ...(orientation.length === 2
          ? { patientOrientation: [orientation[0]!, orientation[1]!] as const }
          : {}),
        ...(iccBytes === undefined || iccBytes.length < 128 ? {} : { iccProfile: iccBytes }),
        lossyCompressed:
          lossyTransferSyntaxes.has(header.transferSyntaxUid) || text(dataset.LossyImageCompression) === '01',
      },
      device: { uid: device.uid, name: device.name, softwareVersion: device.softwareVersion },
      algorithm: {
        analyzerId: analysis.provenance.analyzerId,
        analyzerVersion: analysis.provenance.analyzerVersion,
        modelHash: analysis.provenance.modelHash,
      },
      seriesInstanceUid,
      seriesNumber: 9005,
      sopInstanceUid: uid,
      instanceNumber: objects.length + 1,
      contentDateTime: version.at,
      rgb: blendLesionHeatmap(map, frame.data as Uint8Array),
      derivationDescription: derivationDescription(analysis, lesions.length),
      ...(version.reviewedBy === undefined ? {} : { reviewed: true }),
    });
    objects.push({
      kind: 'sc',
      sopClassUid: secondaryCaptureImageSopClassUid,
      sopInstanceUid: uid,
      seriesInstanceUid,
      part10,
    });
  }
  return objects;
}
