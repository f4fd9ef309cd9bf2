/**
 * Lesion overlays: the region findings of an analysis (MULTIPOINT or POINT lesion positions on a colour
 * photograph, e.g. dr-screening's `lesions-<type>`) become one Color Softcopy Presentation State per photograph,
 * one graphic layer per lesion type with a circle around each position, so a PACS viewer shows the AI's marks
 * over the untouched image (`docs/conformance/dicom.md` §8.6). A preliminary overlay on publish; on sign-off a
 * reviewed one with the accepted and modified lesion findings only (the replaced overlays are listed in the IOCM
 * rejection note). UIDs derive from the analysis, the photograph and the version, so a rebuilt overlay has the
 * same identity and bytes.
 * @see https://dicom.nema.org/medical/dicom/current/output/chtml/part03/sect_A.33.2.html (Color Softcopy PS IOD)
 */
import { readFile } from 'node:fs/promises';
import type { AnalysisRecord, Finding, RegionFindingValue } from '../core/finding.ts';
import { uidFromName } from '../core/uid.ts';
import { getString, readInstanceHeader, scanBuffer, SopClass, Tag } from '../dicom/codec/index.ts';
import {
  buildColorPresentationState,
  colorSoftcopyPresentationStateSopClassUid,
  maxPresentationLayers,
  type PrLayer,
} from '../dicom/pr/index.ts';
import type { DeviceIdentity, SourceStudyContext } from '../dicom/sr/index.ts';

/** A photograph the findings point at (the `SourceInstance` shape of `result-objects.ts`). */
export interface OverlaySource {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly seriesInstanceUid: string;
  readonly eye: string;
  /** Absolute path of the Part 10 file. */
  readonly spoolPath: string;
}

/** A lesion overlay to deliver. */
export interface OverlayObject {
  readonly kind: 'pr';
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly part10: Uint8Array;
}

/** Display colours per lesion concept (the review station's colours, `web/src/findings.ts`). */
const lesionColours: Readonly<Record<string, string>> = {
  'DRS-MA': '#ff4d4d',
  'DRS-HEM': '#ff9f1a',
  'DRS-EX': '#ffe14d',
  'DRS-CWS': '#7fdbff',
  'DRS-NVD': '#ff4dff',
  'DRS-NVE': '#c04dff',
  'DRS-PRH': '#ff6f91',
};

const defaultColour = '#00e5a0';

/** The colour images an overlay can be drawn on (3 samples per pixel). */
const colourPhotographClasses = new Set<string>([
  SopClass.OphthalmicPhotography8BitImage,
  SopClass.VLPhotographicImage,
]);

/** Marker radius as a share of the photograph's width (a lesion's own size is not in the finding). */
const markerRadiusShare = 0.012;

/** The version of an overlay: its label (`preliminary`, `final`, `corrected-<n>`), when, and who reviewed it. */
export interface OverlayVersion {
  readonly label: string;
  /** Presentation Creation Date/Time: the analysis's end for the preliminary overlay, the sign-off after review. */
  readonly at: Date;
  /** The signing clinician (DICOM PN) of a reviewed overlay. */
  readonly reviewedBy?: string;
}

/** The SOP Instance UID of an analysis's overlay on one photograph in one version. */
export function overlayUid(analysisId: string, sopInstanceUid: string, label: string): string {
  return uidFromName(`pr:${analysisId}:${sopInstanceUid}:${label}`);
}

/** The lesion positions of the point-like region findings, per photograph. */
function regionsByImage(
  findings: readonly Finding[],
): Map<string, { finding: Finding; value: RegionFindingValue }[]> {
  const byImage = new Map<string, { finding: Finding; value: RegionFindingValue }[]>();
  for (const finding of findings) {
    const value = finding.value;
    if (
      value.kind !== 'region' ||
      (value.graphicType !== 'MULTIPOINT' && value.graphicType !== 'POINT') ||
      value.points.length < 2 ||
      finding.status === 'rejected'
    ) {
      continue;
    }
    const list = byImage.get(value.sopInstanceUid) ?? [];
    list.push({ finding, value });
    byImage.set(value.sopInstanceUid, list);
  }
  return byImage;
}

/** Rows, columns, pixel spacing and ICC profile of a colour photograph; `undefined` for other images. */
async function photographGeometry(source: OverlaySource): Promise<
  | {
      readonly rows: number;
      readonly columns: number;
      readonly frames: number;
      readonly pixelSpacingMm?: readonly [number, number];
      readonly iccProfile?: Uint8Array;
    }
  | undefined
> {
  if (!colourPhotographClasses.has(source.sopClassUid)) {
    return undefined;
  }
  const scan = scanBuffer(await readFile(source.spoolPath), { part10: true });
  const header = readInstanceHeader(scan);
  if (header.rows === undefined || header.columns === undefined || header.samplesPerPixel !== 3) {
    return undefined;
  }
  const spacing = (getString(scan.header, Tag.PixelSpacing) ?? '').split('\\').map(Number);
  const icc = scan.header.get(Tag.ICCProfile)?.value;
  return {
    rows: header.rows,
    columns: header.columns,
    frames: header.numberOfFrames ?? 1,
    ...(spacing.length === 2 && spacing.every((value) => value > 0)
      ? { pixelSpacingMm: [spacing[0]!, spacing[1]!] as const }
      : {}),
    ...(icc === undefined || icc.length < 128 ? {} : { iccProfile: new Uint8Array(icc) }),
  };
}

/** A Code String layer name from a concept code (`DRS-MA` → `DRS_MA`). */
function layerName(code: string, used: ReadonlySet<string>): string {
  const base =
    code
      .toUpperCase()
      .replaceAll(/[^A-Z0-9 _]/gu, '_')
      .slice(0, 14) || 'LESIONS';
  let name = base;
  for (let n = 2; used.has(name); n += 1) {
    name = `${base.slice(0, 13)}_${n}`;
  }
  return name;
}

/**
 * The lesion overlays of an analysis, one per colour photograph its point-like region findings are on (rejected
 * findings left out). Photographs that are not colour images, or marks outside the image, give no overlay.
 */
export async function buildLesionOverlays(
  analysis: AnalysisRecord,
  sources: readonly OverlaySource[],
  study: SourceStudyContext,
  device: DeviceIdentity,
  version: OverlayVersion,
): Promise<OverlayObject[]> {
  const objects: OverlayObject[] = [];
  const seriesInstanceUid = uidFromName(`pr-series:${analysis.studyInstanceUid}:${analysis.analyzerId}`);
  for (const [sopInstanceUid, regions] of regionsByImage(analysis.findings)) {
    const source = sources.find((instance) => instance.sopInstanceUid === sopInstanceUid);
    const eye = source?.eye;
    if (source === undefined || (eye !== 'R' && eye !== 'L')) {
      continue;
    }
    const geometry = await photographGeometry(source);
    if (geometry === undefined) {
      continue;
    }
    const radius = Math.max(4, Math.round(geometry.columns * markerRadiusShare));
    const used = new Set<string>();
    const layers: PrLayer[] = [];
    for (const { value } of regions.slice(0, maxPresentationLayers)) {
      const markers = [];
      for (let i = 0; i + 1 < value.points.length; i += 2) {
        const column = value.points[i]! + 0.5;
        const row = value.points[i + 1]! + 0.5;
        if (column >= 0 && column <= geometry.columns && row >= 0 && row <= geometry.rows) {
          markers.push({ column, row, radius });
        }
      }
      if (markers.length === 0) {
        continue;
      }
      const name = layerName(value.concept.value, used);
      used.add(name);
      layers.push({
        name,
        description: `${value.concept.meaning} (AI)`.slice(0, 64),
        colour: lesionColours[value.concept.value] ?? defaultColour,
        markers,
        label: { text: `${value.concept.meaning}: ${markers.length}` },
      });
    }
    if (layers.length === 0) {
      continue;
    }
    const uid = overlayUid(analysis.id, sopInstanceUid, version.label);
    const part10 = buildColorPresentationState({
      study,
      image: {
        sopClassUid: source.sopClassUid,
        sopInstanceUid,
        seriesInstanceUid: source.seriesInstanceUid,
        eye,
        rows: geometry.rows,
        columns: geometry.columns,
        ...(geometry.frames > 1 ? { frame: regions[0]!.value.frame ?? 1 } : {}),
        ...(geometry.pixelSpacingMm === undefined ? {} : { pixelSpacingMm: geometry.pixelSpacingMm }),
        ...(geometry.iccProfile === undefined ? {} : { iccProfile: geometry.iccProfile }),
      },
      device: { uid: device.uid, name: device.name, softwareVersion: device.softwareVersion },
      algorithm: {
        analyzerId: analysis.provenance.analyzerId,
        analyzerVersion: analysis.provenance.analyzerVersion,
        modelHash: analysis.provenance.modelHash,
      },
      seriesInstanceUid,
      seriesNumber: 9003,
      sopInstanceUid: uid,
      instanceNumber: objects.length + 1,
      contentDateTime: version.at,
      contentLabel: version.reviewedBy === undefined ? 'AI_LESIONS' : 'AI_LESIONS_FINAL',
      ...(version.reviewedBy === undefined ? {} : { reviewedBy: version.reviewedBy }),
      layers,
    });
    objects.push({
      kind: 'pr',
      sopClassUid: colorSoftcopyPresentationStateSopClassUid,
      sopInstanceUid: uid,
      seriesInstanceUid,
      part10,
    });
  }
  return objects;
}
